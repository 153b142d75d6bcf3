import ArgumentParser
import FileIO
import Foundation

/// `charnn serve …` runs `charnn-serve …`, the separately built server beside this binary (its
/// SwiftNIO and Hummingbird dependencies would more than double the first build of `charnn`;
/// docs/serving.md). Every argument goes to it unchanged, `--help` included.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve checkpoints over HTTP: OpenAI's completions API and a playground page (charnn-serve).",
        discussion: """
            Runs charnn-serve from the folder of this binary with the same arguments; `make serve` builds \
            it. `charnn serve --help` shows its options.
            """)

    @Argument(parsing: .allUnrecognized, help: "Arguments of charnn-serve (checkpoints and options).")
    var arguments: [String] = []

    /// The server's path: beside this executable.
    static func serverPath() -> String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let dir = (FileManager.default.fileExists(atPath: beside.path) ? beside : me).deletingLastPathComponent()
        return dir.appendingPathComponent("charnn-serve").path
    }

    func run() throws { try Self.execServer(arguments) }

    /// Replaces this process with charnn-serve and `arguments` (`charnn serve --help` included:
    /// `CharNN.main` calls this before parsing anything).
    static func execServer(_ arguments: [String]) throws -> Never {
        let server = serverPath()
        guard FileManager.default.isExecutableFile(atPath: server) else {
            throw CLIError(
                "the server is built apart from charnn and is not at \(quotedPath(server)): build it with "
                    + "`make serve` (swift build -c release --product charnn-serve)")
        }
        let argv = [server] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        execv(server, &cArgs)
        throw CLIError("cannot run \(quotedPath(server)): \(errnoReason(errno))")
    }
}

import ArgumentParser
import FileIO
import Foundation
import Models
import NeuralCore
import TensorIO
import Tokenization
import Training

@main
struct CharNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charnn",
        abstract: "Character-level recurrent language models: train, sample, compare.",
        subcommands: [
            TrainCommand.self, SampleCommand.self, ReplCommand.self, EvalCommand.self,
            CompareCommand.self, BenchCommand.self, InfoCommand.self, InspectCommand.self,
            SynthCommand.self, ServeCommand.self,
        ])

    /// This release of charnn (`--version`).
    static let version = "0.3.0"

    @Flag(help: "Show the version, the git commit it was built from and the kernels this CPU runs.")
    var version = false

    /// `charnn --version`; plain `charnn` shows the help.
    func run() throws {
        guard version else { throw CleanExit.helpRequest(self) }
        Console.out(Self.versionText + "\n")
    }

    /// Three lines: the version and build, the commit (`buildCommit`, written before each build by
    /// the BuildCommit plugin: "unknown" outside a git checkout, "-dirty" after uncommitted changes)
    /// and the kernels (`KernelLevel.summary`).
    static var versionText: String {
        #if DEBUG
        let build = "debug build"
        #else
        let build = "release build"
        #endif
        return "charnn \(version) (\(build))\ncommit \(buildCommit)\nkernels \(KernelLevel.summary)"
    }

    /// Every failure ends as one `error: …` line on stderr and exit status 1 (128 + the signal
    /// after Ctrl-C or SIGTERM); help goes to stdout with status 0.
    static func main() {
        // `charnn serve …` is charnn-serve's, help included.
        if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "serve" {
            do { try ServeCommand.execServer(Array(CommandLine.arguments.dropFirst(2))) } catch {
                Console.error(describe(error))
                Console.finish(1)
            }
        }
        CacheReports.install()
        // A core type the user forced that this CPU cannot run would die with SIGILL in the
        // first product: refuse it in words first.
        do { try BLASCore.checkCoreType() } catch {
            Console.error(error.description)
            Console.finish(1)
        }
        BLASRestart.ifNeeded()
        // Under mpirun: MPI starts here (after the restart, which replaces the process, and before any
        // thread). Started by hand: a single process, and MPI is never initialized.
        Job.start()
        // A closed pipe is an EPIPE from write(2), handled where the output is written.
        signal(SIGPIPE, SIG_IGN)
        Interrupt.install(farewell: "interrupted")
        // A FIFO that nobody writes to would keep a command waiting in silence: say so (and wait on).
        FIFOWaiting.notice = { path in Console.info("waiting for a writer on \(quotedPath(path)) …") }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Console.finish(code.rawValue)
        } catch {
            // (Each exitCode/message call renders the usage text: ask once.)
            let status = exitCode(for: error)
            // Under mpirun an error that reaches here (a bad option, a missing file) is met by every rank
            // alike: rank 0 says it, once. Errors that ranks may not share are handled where they arise (Job).
            if !Job.world.isRoot { Console.finish(status == .success ? 0 : 1) }
            if status == .success {
                Console.out(fullMessage(for: error) + "\n")
                Console.finish(0)
            }
            Console.error(userMessage(for: error, status: status))
            Console.finish(1)
        }
        Console.finish(0)
    }

    /// Argument-parser's own errors (unknown option, validation) in its words; any other error
    /// through `describe`.
    static func userMessage(for error: any Error, status: ExitCode) -> String {
        if status == .validationFailure {
            let parsed = message(for: error)
            if !parsed.isEmpty { return parsed }
        }
        return describe(error)
    }
}

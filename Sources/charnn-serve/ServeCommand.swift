import ArgumentParser
import CharNNKit
import Foundation
import NIOCore
import NIOPosix
import NeuralCore
import Serving
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charnn serve",
        abstract: "Serve checkpoints over HTTP: OpenAI's completions API, and a playground page.",
        discussion: """
            Each CKPT is a checkpoint or run directory; clients name it by its folder's name (a run's \
            best/ or latest/: the run's), or by --name. The server listens on 127.0.0.1 unless --host \
            says otherwise; a host other than loopback needs --api-key (or CHARNN_API_KEY), or \
            --insecure-no-key to serve without one deliberately. SIGTERM or Ctrl-C drains: new requests \
            get 503, generations in flight get --grace to finish, then the server exits 0. \
            docs/serving.md describes the API.
            """)

    @Argument(help: "Checkpoint or run directories to serve.") var checkpoints: [String]
    @Option(help: "A name for each checkpoint, in order (default: its folder's name).") var name: [String] = []
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(help: "Key every API request must send as 'Authorization: Bearer KEY' (default: $CHARNN_API_KEY).")
    var apiKey: String?
    @Flag(help: "Allow a non-loopback --host without an API key.") var insecureNoKey = false
    @Option(help: "Generations that advance together, per model (1...16).") var maxStreams = 16
    @Option(help: "Requests that may wait for a stream, per model; beyond them, 503.") var queue = 64
    @Option(help: "The most characters a request may ask for (max_tokens).") var maxTokens = 4096
    @Option(help: "Weights for generation: f32 (exact), f16, int8.") var precision = "f32"
    @Option(help: "Threads of one step (default 2, as charnn's; 1 for a model too small to gain from two).")
    var threads: Int?
    @Option(help: "An origin allowed to call the API from its pages (CORS); default: none.") var cors: String?
    @Option(help: "Seconds generations in flight get to finish on SIGTERM or Ctrl-C.") var grace = 10
    @Option(help: "Seconds an idle connection stays open.") var idleTimeout = 30
    @Option(
        help: """
            Milliseconds between two events of a streamed choice; each carries every character \
            drawn since the last (0: an event per character).
            """)
    var streamInterval = 20
    @Option(
        help: """
            Threads that run the connections and the responses (1: one thread for all of them, which \
            leaves the most CPU to the step).
            """)
    var httpThreads = 1

    /// As charnn: help on stdout with status 0; any refusal one `error:` line and status 1.
    static func main() async {
        // As charnn: a core type this CPU cannot run is refused in words, and OpenBLAS starts
        // again with the right kernels, and with one thread under `ulimit -v` or `-d` (its
        // workers' refused buffers would make `exit` wait for ever).
        do { try BLASCore.checkCoreType() } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            Foundation.exit(1)
        }
        BLASRestart.ifNeeded()
        do {
            var command = try parseAsRoot()
            if let server = command as? ServeCommand {
                server.placeTheResponses()
                try await server.run()
            } else {
                try command.run()
            }
        } catch {
            let status = exitCode(for: error)
            if status == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let text = message(for: error)
            FileHandle.standardError.write(Data("error: \(text.isEmpty ? "\(error)" : text)\n".utf8))
            Foundation.exit(1)
        }
    }

    func validate() throws {
        guard !checkpoints.isEmpty else { throw ValidationError("give at least one checkpoint") }
        guard name.isEmpty || name.count == checkpoints.count else {
            throw ValidationError("give one --name per checkpoint (\(checkpoints.count)), or none")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        guard (1...16).contains(maxStreams) else { throw ValidationError("--max-streams must be in 1...16, got \(maxStreams)") }
        guard (0...100_000).contains(queue) else { throw ValidationError("--queue must be in 0...100000, got \(queue)") }
        guard (1...1_000_000).contains(maxTokens) else {
            throw ValidationError("--max-tokens must be in 1...1000000, got \(maxTokens)")
        }
        guard WeightPrecision(rawValue: precision) != nil else {
            throw ValidationError("--precision must be f32, f16 or int8, got '\(precision)'")
        }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be in 1...256") }
        guard (0...3600).contains(grace) else { throw ValidationError("--grace must be in 0...3600 seconds") }
        guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be in 1...3600 seconds") }
        guard (1...64).contains(httpThreads) else { throw ValidationError("--http-threads must be in 1...64, got \(httpThreads)") }
        guard (0...1000).contains(streamInterval) else {
            throw ValidationError("--stream-interval must be in 0...1000 milliseconds, got \(streamInterval)")
        }
    }

    /// Runs the HTTP connections on `--http-threads` NIO event loops, and Swift's tasks (the
    /// responses) on those same loops instead of a pool of threads of their own: a streamed event
    /// then goes from the scheduler to its socket with one wake-up of one thread, not a hop to a
    /// pool thread and another to the connection's loop. On a machine whose cores all run the
    /// step, every extra thread woken preempts a spinning member of the step's team (docs/serving.md,
    /// "How fast it serves"). Call once, before anything uses NIO or awaits: from `main`.
    func placeTheResponses() {
        NIOSingletons.groupLoopCountSuggestion = httpThreads
        if !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
            FileHandle.standardError.write(
                Data("charnn serve: warning: Swift's tasks stay on their own threads on this platform\n".utf8))
        }
    }

    func run() async throws {
        var settings = ServerSettings()
        settings.host = host
        settings.port = port
        settings.apiKey = apiKey ?? ProcessInfo.processInfo.environment["CHARNN_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        settings.corsOrigin = cors
        settings.model = CharModel.Settings(
            streams: maxStreams, queue: queue, threads: threads, precision: WeightPrecision(rawValue: precision)!)
        settings.limits.maxTokens = maxTokens
        settings.limits.defaultMaxTokens = min(settings.limits.defaultMaxTokens, maxTokens)
        settings.grace = .seconds(grace)
        settings.idleTimeout = .seconds(idleTimeout)
        settings.streamInterval = .milliseconds(streamInterval)
        if !settings.isLoopback && settings.apiKey == nil && !insecureNoKey {
            fail(
                "--host \(host) would open the API to the network without a key: give --api-key KEY (or "
                    + "CHARNN_API_KEY), or --insecure-no-key to do it deliberately")
        }
        var specs: [ModelSpec] = []
        for (i, path) in checkpoints.enumerated() {
            let given = i < name.count ? name[i] : nil
            specs.append(ModelSpec(checkpoint: path, name: given ?? CharModel.defaultName(for: path)))
        }
        if let dup = Dictionary(grouping: specs, by: \.name).first(where: { $0.value.count > 1 }) {
            fail("two checkpoints are both named '\(dup.key)': tell them apart with --name")
        }
        raiseOpenFileLimit()
        let server = ModelServer(settings: settings, models: specs)
        let names = specs.map(\.name).joined(separator: ", ")
        let shown = host.contains(":") ? "[\(host)]" : host
        // Load first, so a bad checkpoint is one error line before anything listens.
        do { try server.load() } catch { fail("\(error)") }

        let app = server.application { port in
            FileHandle.standardOutput.write(
                Data("charnn serve: \(names) on http://\(shown):\(port)/ (page) and http://\(shown):\(port)/v1 (API)\n".utf8))
        }
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: .init(label: "charnn-serve")))
        // SIGTERM / SIGINT: drain the models, then stop the server; a second signal exits at once.
        let grace = self.grace
        let signals = [Int32(SIGTERM), Int32(SIGINT)].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if Drain.started.exchange() {
                    FileHandle.standardError.write(Data("charnn serve: interrupted again, exiting now\n".utf8))
                    Foundation.exit(130)
                }
                FileHandle.standardError.write(
                    Data("charnn serve: draining (new requests get 503; up to \(grace) s for those in flight)\n".utf8))
                server.drain()
                Task { await group.triggerGracefulShutdown() }
            }
            source.resume()
            return source
        }
        // The sources must outlive the server: released, they would stop delivering the (ignored) signals.
        Drain.sources = signals
        do { try await group.run() } catch {
            fail("\(error)".contains("Address already in use") ? "port \(port) on \(host) is already in use" : "\(error)")
        }
    }

    /// Lets connections use the descriptors the hard limit allows (the soft limit is often 1,024).
    func raiseOpenFileLimit() {
        #if os(Linux)
            let resource = Int32(RLIMIT_NOFILE.rawValue)
        #else
            let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = min(limit.rlim_max, 65_536)
        _ = setrlimit(resource, &limit)
    }

    func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

/// Whether a drain has begun (set once, from a signal handler's queue).
enum Drain {
    static let started = Once()
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
}

final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    /// Marks it done; returns whether it already was.
    func exchange() -> Bool {
        lock.withLock {
            defer { done = true }
            return done
        }
    }
}

import CharNNKit
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NeuralCore
import ServiceLifecycle

/// A checkpoint to serve, and the name clients call it by.
public struct ModelSpec: Sendable, Equatable {
    public var checkpoint: String
    public var name: String

    public init(checkpoint: String, name: String) {
        self.checkpoint = checkpoint
        self.name = name
    }
}

/// Everything `charnn serve` is told.
public struct ServerSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Required on every API request when set (the page and `/health` stay open).
    public var apiKey: String?
    /// The origin allowed to call the API from another page (nil: no CORS headers).
    public var corsOrigin: String?
    public var model = CharModel.Settings()
    public var limits = RequestLimits()
    /// A connection with no request in progress is closed after this long.
    public var idleTimeout: Duration = .seconds(30)
    /// On SIGTERM or Ctrl-C, generations in flight get this long to finish.
    public var grace: Duration = .seconds(10)
    /// A streamed completion writes at most one event per choice this often, carrying every
    /// character drawn since the last (the first goes out at once). Zero: an event per character.
    public var streamInterval: Duration = .milliseconds(20)

    public init() {}

    /// Whether `host` is a loopback address (or name).
    public var isLoopback: Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "[::1]" || h.hasPrefix("127.")
    }
}

/// The server's state, as `/health` tells it.
enum Phase: String {
    case loading, ready, draining
}

/// The HTTP API over one or more models: OpenAI's completions, `/v1/models`, `/health`,
/// `/metrics`, charnn's `/v1/score` and `/v1/trace`, and the playground page at `/`.
public final class ModelServer: @unchecked Sendable {
    public let settings: ServerSettings
    public let specs: [ModelSpec]
    let metrics = ServerMetrics()
    let analyses = Gate()
    private let lock = NSLock()
    private var loaded: [String: CharModel] = [:]
    private var phase = Phase.loading
    let started = Date()

    public init(settings: ServerSettings, models: [ModelSpec]) {
        precondition(!models.isEmpty, "a server needs a model")
        self.settings = settings
        specs = models
    }

    /// A server over models already loaded (tests, apps).
    public init(settings: ServerSettings, loaded models: [CharModel]) {
        self.settings = settings
        specs = models.map { ModelSpec(checkpoint: $0.path, name: $0.name) }
        for m in models { loaded[m.name] = m }
        phase = .ready
    }

    var currentPhase: Phase { lock.withLock { phase } }

    /// The models by name, once loaded.
    var models: [String: CharModel] { lock.withLock { loaded } }

    /// Loads every model (blocking); the server answers `/health` with `loading` meanwhile.
    public func load() throws {
        for spec in specs where models[spec.name] == nil {
            let m = try CharModel(checkpoint: spec.checkpoint, name: spec.name, settings: settings.model)
            lock.withLock { loaded[spec.name] = m }
        }
        lock.withLock { if phase == .loading { phase = .ready } }
    }

    /// Stops taking generations (new requests get 503), lets those in flight finish within the
    /// grace time, then ends the rest.
    public func drain() {
        lock.withLock { phase = .draining }
        let all = Array(models.values)
        for m in all { m.stopAccepting() }
        let deadline = ContinuousClock.now.advanced(by: settings.grace)
        for m in all { _ = m.waitUntilIdle(deadline: deadline) }
        for m in all { m.shutdown() }
    }

    /// The router with every endpoint and the middleware (errors, key, CORS, draining).
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIMiddleware(server: self))
        router.get("/") { _, _ in Self.page() }
        router.get("/health") { _, _ in try self.health() }
        router.get("/metrics") { _, _ in self.metricsResponse() }
        router.get("/v1/models") { _, _ in try self.modelList() }
        router.post("/v1/completions") { request, context in try await self.completions(request, context) }
        router.post("/v1/score") { request, context in try await self.score(request, context) }
        router.post("/v1/trace") { request, context in try await self.trace(request, context) }
        return router
    }

    /// The Hummingbird application on the settings' address; `onRunning` receives the bound port.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        var logger = Logger(label: "charnn-serve")
        logger.logLevel = .warning
        return Application(
            router: router(),
            server: .http1(
                configuration: .init(
                    idleTimeout: .nanoseconds(
                        settings.idleTimeout.components.seconds * 1_000_000_000
                            + settings.idleTimeout.components.attoseconds / 1_000_000_000))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "charnn"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    // MARK: - Plain endpoints

    static func page() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        // Self-contained: nothing may load from elsewhere.
        headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
        return Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: PlaygroundPage.bytes)))
    }

    func health() throws -> Response {
        let phase = currentPhase
        struct Health: Encodable {
            var status: String
            var models: [String]
            var active_streams: Int
            var waiting: Int
        }
        let loads = models.values.map(\.load)
        let body = Health(
            status: phase.rawValue, models: specs.map(\.name), active_streams: loads.map(\.active).reduce(0, +),
            waiting: loads.map(\.waiting).reduce(0, +))
        return try Self.json(body, status: phase == .ready ? .ok : .serviceUnavailable)
    }

    func modelList() throws -> Response {
        struct Entry: Encodable {
            var id: String
            var object = "model"
            var created: Int
            var owned_by = "charnn"
            var cell: String
            var layers: Int
            var hidden: Int
            var vocabulary: Int
            var unit: String
            var precision: String
        }
        struct List: Encodable {
            var object = "list"
            var data: [Entry]
        }
        let all = models
        let created = Int(started.timeIntervalSince1970)
        let entries = specs.compactMap { spec -> Entry? in
            guard let m = all[spec.name] else { return nil }
            return Entry(
                id: m.name, created: created, cell: m.config.cell.rawValue, layers: m.config.layers,
                hidden: m.config.hidden, vocabulary: m.config.vocabularySize, unit: m.vocabulary.unit.rawValue,
                precision: m.settings.precision.rawValue)
        }
        return try Self.json(List(data: entries))
    }

    func metricsResponse() -> Response {
        let loads = models.values.map(\.load)
        metrics.activeStreams.set(Double(loads.map(\.active).reduce(0, +)))
        metrics.queueLength.set(Double(loads.map(\.waiting).reduce(0, +)))
        metrics.countSteps(
            steps: models.values.map(\.stepsRun).reduce(0, +), streams: models.values.map(\.streamStepsRun).reduce(0, +))
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.text())))
    }

    // MARK: - Helpers

    /// The model a request names (or the only one, when it names none).
    func model(_ name: String?) throws(APIError) -> CharModel {
        guard currentPhase != .loading else { throw .unavailable("the models are still loading", code: "loading") }
        guard currentPhase != .draining else { throw .unavailable("the server is shutting down", code: "shutting_down") }
        let all = models
        guard let name else {
            if specs.count == 1, let only = all[specs[0].name] { return only }
            throw .invalidRequest("'model' is required: this server has \(specs.count) models", param: "model")
        }
        guard let m = all[name] else { throw .unknownModel(name, known: specs.map(\.name)) }
        return m
    }

    /// The request's body as a JSON object, at most `limits.bodyBytes`.
    func fields(_ request: Request) async throws -> Fields {
        let limit = settings.limits.bodyBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError.tooLarge(limit: limit)
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch let error as HTTPError
        where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit)
        } catch {
            // The client closed the connection, or the idle timeout did, before the body's end:
            // its fault, not the server's (counted as a 400; nobody may be left to answer).
            throw APIError.invalidRequest("the request's body ended before its declared length", param: nil)
        }
        return try JSONBody.object(from: Data(buffer.readableBytesView))
    }

    /// Members in a fixed (sorted) order: swift-foundation's encoder otherwise writes them in
    /// its dictionaries' order, which changed from one chunk to the next of the same stream.
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static func errorResponse(_ error: APIError) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let r = error.retryAfter { headers[.retryAfter] = String(r) }
        let data = (try? encoder.encode(error.body)) ?? Data("{\"error\":{\"message\":\"error\"}}".utf8)
        return Response(status: error.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Every request passes here: the key, CORS, counting, and any error written as OpenAI's object.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    let server: ModelServer

    /// Paths open without the key: the page (which asks for the key) and the health check.
    static func isOpen(_ path: String) -> Bool { path == "/" || path == "/health" }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        let start = ContinuousClock.now
        var response: Response
        if request.method == .options, let origin = server.settings.corsOrigin {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
            response.headers[.accessControlMaxAge] = "600"
            return response
        }
        do {
            if let key = server.settings.apiKey, !Self.isOpen(path), !Self.authorized(request, key: key) {
                throw APIError.unauthorized
            }
            response = try await next(request, context)
        } catch let error as APIError {
            response = ModelServer.errorResponse(error)
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                // A known path asked with another method is a 405 that says which method it takes.
                if let method = endpoints[path] {
                    response = ModelServer.errorResponse(.methodNotAllowed(request.method.rawValue, path))
                    response.headers[.allow] = method
                } else {
                    response = ModelServer.errorResponse(.notFound(path))
                }
            case .methodNotAllowed:
                response = ModelServer.errorResponse(.methodNotAllowed(request.method.rawValue, path))
            case .contentTooLarge:
                response = ModelServer.errorResponse(.tooLarge(limit: server.settings.limits.bodyBytes))
            default:
                response = ModelServer.errorResponse(
                    APIError(status: error.status, message: error.body ?? "\(error.status)", type: "invalid_request_error"))
            }
        } catch {
            response = ModelServer.errorResponse(.internalError("\(error)"))
        }
        if let origin = server.settings.corsOrigin { response.headers[.accessControlAllowOrigin] = origin }
        server.metrics.request(path: path, status: response.status.code, seconds: start.duration(to: .now))
        return response
    }

    /// `Authorization: Bearer KEY` (or `x-api-key: KEY`), compared in constant time.
    static func authorized(_ request: Request, key: String) -> Bool {
        var given: String? = nil
        if let auth = request.headers[.authorization] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { given = String(parts[1]) }
        } else if let name = HTTPField.Name("x-api-key"), let k = request.headers[name] {
            given = k
        }
        guard let given else { return false }
        return constantTimeEqual(Array(given.utf8), Array(key.utf8))
    }
}

/// A count of work in progress with a ceiling.
final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var inside = 0

    /// Counts one more unless `limit` are inside; returns whether it did.
    func enter(limit: Int) -> Bool {
        lock.withLock {
            guard inside < limit else { return false }
            inside += 1
            return true
        }
    }

    func leave() { lock.withLock { inside -= 1 } }
}

/// Every endpoint and the method it takes.
let endpoints: [String: String] = [
    "/": "GET", "/health": "GET", "/metrics": "GET", "/v1/models": "GET", "/v1/completions": "POST",
    "/v1/score": "POST", "/v1/trace": "POST",
]

/// Equal byte strings, in a time that depends only on their lengths.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var diff = UInt8(a.count == b.count ? 0 : 1)
    let n = max(a.count, b.count)
    for i in 0..<n {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0xFF
        diff |= x ^ y
    }
    return diff == 0
}

extension HTTPField.Name {
    static let retryAfter = HTTPField.Name("Retry-After")!
}

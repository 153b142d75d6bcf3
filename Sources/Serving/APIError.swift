import CharNNKit
import Foundation
import HTTPTypes

/// An error as OpenAI's API writes it, with its HTTP status:
/// `{"error": {"message", "type", "param", "code"}}`.
public struct APIError: Error, Equatable, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Seconds a client should wait before trying again (503).
    public var retryAfter: Int?

    public init(
        status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil,
        retryAfter: Int? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    static func invalidRequest(_ message: String, param: String?, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func unknownModel(_ name: String, known: [String]) -> APIError {
        APIError(
            status: .notFound,
            message: "the model '\(name)' does not exist; this server has \(known.map { "'\($0)'" }.joined(separator: ", "))",
            type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    static let unauthorized = APIError(
        status: .unauthorized,
        message: "a valid API key is required: send 'Authorization: Bearer KEY' (the key given to --api-key)",
        type: "authentication_error", code: "invalid_api_key")

    static func tooLarge(limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, message: "the request body is larger than \(limit) bytes",
            type: "invalid_request_error", code: "request_too_large")
    }

    static func unavailable(_ message: String, code: String, retryAfter: Int = 1) -> APIError {
        APIError(
            status: .serviceUnavailable, message: message, type: "server_error", code: code, retryAfter: retryAfter)
    }

    static func notFound(_ path: String) -> APIError {
        APIError(status: .notFound, message: "no such endpoint: \(path)", type: "invalid_request_error", code: "not_found")
    }

    static func methodNotAllowed(_ method: String, _ path: String) -> APIError {
        APIError(
            status: .methodNotAllowed, message: "\(path) does not take \(method)", type: "invalid_request_error",
            code: "method_not_allowed")
    }

    static func internalError(_ message: String) -> APIError {
        APIError(status: .internalServerError, message: message, type: "server_error", code: "internal_error")
    }

    /// The facade's errors as the API reports them.
    static func from(_ error: GenerationError) -> APIError {
        switch error {
        case .invalidOption(let field, let why): return .invalidRequest("'\(field)' \(why)", param: field)
        case .overCapacity:
            return .unavailable("\(error)", code: "over_capacity")
        case .shuttingDown: return .unavailable("the server is shutting down", code: "shutting_down")
        case .textTooLong(let field, _, _): return .invalidRequest("\(error)", param: field)
        }
    }

    struct Body: Encodable {
        struct Inner: Encodable {
            var message: String
            var type: String
            var param: String?
            var code: String?

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(message, forKey: .message)
                try c.encode(type, forKey: .type)
                try c.encode(param, forKey: .param)  // null, not absent, as OpenAI writes it
                try c.encode(code, forKey: .code)
            }
            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }
        var error: Inner
    }

    var body: Body { Body(error: .init(message: message, type: type, param: param, code: code)) }
}

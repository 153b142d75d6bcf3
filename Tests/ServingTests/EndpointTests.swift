import CharNNKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Serving
import XCTest

/// The shipped checkpoint (checkpoints/shakespeare-lstm) of this repository.
let shippedCheckpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("checkpoints/shakespeare-lstm").path

/// Every endpoint and every error of the API, in process (Hummingbird's router test client).
final class EndpointTests: XCTestCase, @unchecked Sendable {
    static let model: CharModel = try! CharModel(
        checkpoint: shippedCheckpoint, name: "shakespeare", settings: .init(streams: 4, queue: 2))

    func server(_ configure: (inout ServerSettings) -> Void = { _ in }) -> ModelServer {
        var s = ServerSettings()
        s.port = 0
        configure(&s)
        return ModelServer(settings: s, loaded: [Self.model])
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        let any = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
        return try XCTUnwrap(any as? [String: Any], "not an object: \(String(buffer: response.body))")
    }

    func post(
        _ client: some TestClientProtocol, _ uri: String, _ body: String, headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var h = headers
        h[.contentType] = "application/json"
        return try await client.execute(uri: uri, method: .post, headers: h, body: ByteBuffer(string: body))
    }

    /// The error object: status, message naming what is wrong, type, param, code.
    func assertError(
        _ r: TestResponse, _ status: HTTPResponse.Status, param: String? = nil, code: String? = nil,
        contains: String? = nil, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(r.status, status, String(buffer: r.body), file: file, line: line)
        let e = try XCTUnwrap(try json(r)["error"] as? [String: Any], file: file, line: line)
        XCTAssertNotNil(e["message"] as? String, file: file, line: line)
        XCTAssertNotNil(e["type"] as? String, file: file, line: line)
        XCTAssertTrue(e.keys.contains("param") && e.keys.contains("code"), "\(e)", file: file, line: line)
        if let param { XCTAssertEqual(e["param"] as? String, param, file: file, line: line) }
        if let code { XCTAssertEqual(e["code"] as? String, code, file: file, line: line) }
        if let contains {
            XCTAssertTrue((e["message"] as? String ?? "").contains(contains), "\(e)", file: file, line: line)
        }
    }

    func testCompletionHasOpenAIsShape() async throws {
        try await server().application().test(.router) { client in
            let r = try await self.post(
                client, "/v1/completions",
                #"{"model":"shakespeare","prompt":"ROMEO:","max_tokens":40,"seed":7,"temperature":0.8}"#)
            XCTAssertEqual(r.status, .ok, String(buffer: r.body))
            let o = try self.json(r)
            XCTAssertEqual(o["object"] as? String, "text_completion")
            XCTAssertTrue((o["id"] as? String ?? "").hasPrefix("cmpl-"))
            XCTAssertEqual(o["model"] as? String, "shakespeare")
            XCTAssertNotNil(o["created"] as? Int)
            let choices = try XCTUnwrap(o["choices"] as? [[String: Any]])
            XCTAssertEqual(choices.count, 1)
            XCTAssertEqual((choices[0]["text"] as? String)?.count, 40)
            XCTAssertEqual(choices[0]["finish_reason"] as? String, "length")
            XCTAssertEqual(choices[0]["index"] as? Int, 0)
            XCTAssertTrue(choices[0]["logprobs"] is NSNull)
            let usage = try XCTUnwrap(o["usage"] as? [String: Int])
            XCTAssertEqual(usage["prompt_tokens"], 6)
            XCTAssertEqual(usage["completion_tokens"], 40)
            XCTAssertEqual(usage["total_tokens"], 46)

            // The same seed through the facade directly: the same text.
            let direct = try await Self.collectText(
                Self.model.start(prompt: "ROMEO:", options: GenerationOptions(maxTokens: 40, temperature: 0.8, seed: 7)))
            XCTAssertEqual(choices[0]["text"] as? String, direct)
        }
    }

    static func collectText(_ g: CharModel.Generation) async throws -> String {
        var text = ""
        for try await e in g.events { if case .piece(let p) = e { text += p.text } }
        return text
    }

    func testPromptListNEchoStopAndLogprobs() async throws {
        try await server().application().test(.router) { client in
            let r = try await self.post(
                client, "/v1/completions",
                #"{"prompt":["ROMEO:","JULIET:"],"n":2,"max_tokens":30,"seed":1,"echo":true,"logprobs":3}"#)
            XCTAssertEqual(r.status, .ok, String(buffer: r.body))
            let choices = try XCTUnwrap(try self.json(r)["choices"] as? [[String: Any]])
            XCTAssertEqual(choices.map { $0["index"] as? Int }, [0, 1, 2, 3])
            let texts = choices.map { $0["text"] as? String ?? "" }
            XCTAssertTrue(texts[0].hasPrefix("ROMEO:") && texts[2].hasPrefix("JULIET:"), "\(texts)")
            XCTAssertNotEqual(texts[0], texts[1], "the n choices of a prompt draw from different streams")
            let lp = try XCTUnwrap(choices[0]["logprobs"] as? [String: Any])
            XCTAssertEqual((lp["tokens"] as? [String])?.count, 30)
            XCTAssertEqual((lp["token_logprobs"] as? [Double])?.count, 30)
            XCTAssertEqual((lp["top_logprobs"] as? [[String: Double]])?.first?.count, 3)
            XCTAssertEqual((lp["text_offset"] as? [Int])?.first, "ROMEO:".count)

            let s = try await self.post(
                client, "/v1/completions", #"{"prompt":"ROMEO:","max_tokens":300,"seed":3,"stop":["e","\n"]}"#)
            let c = try XCTUnwrap((try self.json(s)["choices"] as? [[String: Any]])?.first)
            XCTAssertEqual(c["finish_reason"] as? String, "stop")
            XCTAssertFalse((c["text"] as? String ?? "e").contains("e"))
        }
    }

    func testStreamedCompletionEndsWithDone() async throws {
        try await server().application().test(.router) { client in
            let r = try await self.post(
                client, "/v1/completions",
                #"{"prompt":"ROMEO:","max_tokens":20,"seed":7,"stream":true,"stream_options":{"include_usage":true}}"#)
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(r.headers[.contentType], "text/event-stream")
            let events = String(buffer: r.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            XCTAssertTrue(events.allSatisfy { $0.hasPrefix("data: ") }, "\(events)")
            XCTAssertEqual(events.last, "data: [DONE]")
            // Every chunk writes its members in one (sorted) order, not its dictionaries' order.
            let firstKeys = events.dropLast().map { e in
                e.dropFirst(6).split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            }
            XCTAssertEqual(Set(firstKeys), [#"{"choices""#], "\(events)")
            var text = ""
            var finish: String? = nil
            var usage: [String: Any]? = nil
            for e in events.dropLast() {
                let o = try XCTUnwrap(
                    try JSONSerialization.jsonObject(with: Data(e.dropFirst(6).utf8)) as? [String: Any])
                XCTAssertEqual(o["object"] as? String, "text_completion")
                if let u = o["usage"] as? [String: Any] { usage = u }
                for c in o["choices"] as? [[String: Any]] ?? [] {
                    text += c["text"] as? String ?? ""
                    if let f = c["finish_reason"] as? String { finish = f }
                }
            }
            XCTAssertEqual(text.count, 20)
            XCTAssertEqual(finish, "length")
            XCTAssertEqual(usage?["completion_tokens"] as? Int, 20)
            let direct = try await Self.collectText(
                Self.model.start(prompt: "ROMEO:", options: GenerationOptions(maxTokens: 20, seed: 7)))
            XCTAssertEqual(text, direct)
        }
    }

    /// The pieces of each streamed chunk (choice index, text, logprobs tokens and offsets).
    static func streamedPieces(_ body: ByteBuffer) throws -> [(index: Int, text: String, tokens: [String], offsets: [Int])] {
        var pieces: [(Int, String, [String], [Int])] = []
        for e in String(buffer: body).components(separatedBy: "\n\n") where e.hasPrefix("data: {") {
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(e.dropFirst(6).utf8)) as? [String: Any])
            for c in o["choices"] as? [[String: Any]] ?? [] {
                guard let text = c["text"] as? String, !text.isEmpty else { continue }
                let lp = c["logprobs"] as? [String: Any]
                pieces.append(
                    (c["index"] as! Int, text, lp?["tokens"] as? [String] ?? [], lp?["text_offset"] as? [Int] ?? []))
            }
        }
        return pieces
    }

    /// A streamed choice's event carries every character drawn since its last one (at most one
    /// event per `streamInterval`), each with its logprobs; with an interval of 0, one character
    /// per event. Either way the texts are the non-streamed answer's.
    func testStreamedChunksCarryWhatIsReady() async throws {
        let request = #"{"prompt":"ROMEO:","max_tokens":300,"seed":11,"n":2,"logprobs":1"#
        let whole: [String] = try await server().application().test(.router) { client in
            let r = try await self.post(client, "/v1/completions", request + "}")
            let choices = try XCTUnwrap(try self.json(r)["choices"] as? [[String: Any]])
            return choices.map { $0["text"] as? String ?? "" }
        }
        for interval in [Duration.milliseconds(30), .zero] {
            try await server({ $0.streamInterval = interval }).application().test(.router) { client in
                let r = try await self.post(client, "/v1/completions", request + #","stream":true}"#)
                let pieces = try Self.streamedPieces(r.body)
                var texts = ["", ""]
                for p in pieces {
                    XCTAssertEqual(p.tokens.joined(), p.text)
                    XCTAssertEqual(p.offsets.first, texts[p.index].count, "text_offset continues the choice's text")
                    texts[p.index] += p.text
                }
                XCTAssertEqual(texts, whole)
                if interval == .zero {
                    XCTAssertTrue(pieces.allSatisfy { $0.text.count == 1 }, "an event per character")
                } else {
                    XCTAssertTrue(pieces.contains { $0.text.count > 1 }, "characters drawn together share an event")
                    XCTAssertLessThan(pieces.count, 600)
                }
            }
        }
    }

    func testErrorsAreOpenAIErrorObjects() async throws {
        try await server().application().test(.router) { client in
            try self.assertError(
                try await self.post(client, "/v1/completions", "{not json"), .badRequest, contains: "not valid JSON")
            try self.assertError(try await self.post(client, "/v1/completions", "[1]"), .badRequest, contains: "object")
            try self.assertError(
                try await self.post(client, "/v1/completions", #"{"prompt":"A","temperature":"hot"}"#), .badRequest,
                param: "temperature")
            try self.assertError(
                try await self.post(client, "/v1/completions", #"{"prompt":"A","max_tokens":100000000}"#), .badRequest,
                param: "max_tokens")
            try self.assertError(
                try await self.post(client, "/v1/completions", #"{"prompt":"A","top_p":2}"#), .badRequest, param: "top_p")
            try self.assertError(
                try await self.post(client, "/v1/completions", #"{"prompt":"A","n":17}"#), .badRequest, param: "n")
            try self.assertError(
                try await self.post(client, "/v1/completions", #"{"prompt":"A","stop":["a","b","c","d","e"]}"#),
                .badRequest, param: "stop")
            try self.assertError(
                try await self.post(client, "/v1/completions", #"{"prompt":[1,2]}"#), .badRequest, param: "prompt")
            try self.assertError(
                try await self.post(client, "/v1/completions", #"{"prompt":"A","frequency_penalty":1}"#), .badRequest,
                param: "frequency_penalty")
            try self.assertError(
                try await self.post(client, "/v1/completions", #"{"model":"gpt-4","prompt":"A"}"#), .notFound,
                param: "model", code: "model_not_found")
            let big = "{\"prompt\":\"" + String(repeating: "a", count: (1 << 20) + 10) + "\"}"
            try self.assertError(try await self.post(client, "/v1/completions", big), .contentTooLarge)
            try self.assertError(
                try await client.execute(uri: "/v1/nothing", method: .get), .notFound, code: "not_found")
            let get = try await client.execute(uri: "/v1/completions", method: .get)
            try self.assertError(get, .methodNotAllowed, code: "method_not_allowed")
            XCTAssertEqual(get.headers[.allow], "POST")
        }
    }

    func testUnknownPromptCharactersAreReportedNotFatal() async throws {
        try await server().application().test(.router) { client in
            let r = try await self.post(client, "/v1/completions", #"{"prompt":"ROMEO\u263A:","max_tokens":5}"#)
            XCTAssertEqual(r.status, .ok)
            let warnings = try XCTUnwrap(try self.json(r)["warnings"] as? [String])
            XCTAssertEqual(warnings.count, 1)
            XCTAssertTrue(warnings[0].contains("not in the model's vocabulary"), warnings[0])
        }
    }

    func testAPIKeyIsRequiredWhenSet() async throws {
        try await server { $0.apiKey = "sesame" }.application().test(.router) { client in
            try self.assertError(
                try await self.post(client, "/v1/completions", #"{"prompt":"A","max_tokens":1}"#), .unauthorized,
                code: "invalid_api_key")
            try self.assertError(
                try await self.post(
                    client, "/v1/completions", #"{"prompt":"A","max_tokens":1}"#, headers: [.authorization: "Bearer sesam"]),
                .unauthorized)
            try self.assertError(try await client.execute(uri: "/v1/models", method: .get), .unauthorized)
            let ok = try await self.post(
                client, "/v1/completions", #"{"prompt":"A","max_tokens":1}"#, headers: [.authorization: "Bearer sesame"])
            XCTAssertEqual(ok.status, .ok)
            // The page and the health check stay open.
            let page = try await client.execute(uri: "/", method: .get)
            XCTAssertEqual(page.status, .ok)
            let health = try await client.execute(uri: "/health", method: .get)
            XCTAssertEqual(health.status, .ok)
        }
    }

    func testModelsHealthMetricsAndPage() async throws {
        try await server().application().test(.router) { client in
            let models = try self.json(try await client.execute(uri: "/v1/models", method: .get))
            XCTAssertEqual(models["object"] as? String, "list")
            let data = try XCTUnwrap(models["data"] as? [[String: Any]])
            XCTAssertEqual(data.first?["id"] as? String, "shakespeare")
            XCTAssertEqual(data.first?["object"] as? String, "model")
            XCTAssertEqual(data.first?["cell"] as? String, "lstm")

            let health = try await client.execute(uri: "/health", method: .get)
            XCTAssertEqual(health.status, .ok)
            XCTAssertEqual(try self.json(health)["status"] as? String, "ready")

            _ = try await self.post(client, "/v1/completions", #"{"prompt":"A","max_tokens":12,"seed":1}"#)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            for name in [
                "charnn_requests_total", "charnn_generated_characters_total", "charnn_time_to_first_character_seconds",
                "charnn_character_latency_seconds", "charnn_queue_length", "charnn_active_streams", "charnn_steps_total",
                "charnn_stream_steps_total",
            ] {
                XCTAssertTrue(metrics.contains(name), "\(name) missing from:\n\(metrics)")
            }
            XCTAssertTrue(metrics.contains(#"charnn_requests_total{endpoint="/v1/completions",status="200"}"#), metrics)
            // One unit of prompt and 12 drawn: at least 12 steps, each advancing at least this stream.
            func value(_ name: String) -> Double? {
                metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
            }
            XCTAssertGreaterThanOrEqual(value("charnn_steps_total") ?? 0, 12, metrics)
            XCTAssertGreaterThanOrEqual(value("charnn_stream_steps_total") ?? 0, value("charnn_steps_total") ?? 1, metrics)

            let page = try await client.execute(uri: "/", method: .get)
            XCTAssertEqual(page.headers[.contentType], "text/html; charset=utf-8")
            let html = String(buffer: page.body)
            XCTAssertTrue(html.contains("<html"))
            XCTAssertFalse(html.contains("http://") || html.contains("https://"), "the page loads nothing from elsewhere")
        }
    }

    func testScoreAndTrace() async throws {
        try await server().application().test(.router) { client in
            let s = try self.json(
                try await self.post(client, "/v1/score", #"{"text":"First Citizen:\nBefore we proceed"}"#))
            let units = try XCTUnwrap(s["units"] as? [[String: Any]])
            XCTAssertEqual(units.count, "First Citizen:\nBefore we proceed".count)
            XCTAssertTrue(units[0]["surprisal"] is NSNull)
            XCTAssertGreaterThan(s["bits_per_character"] as? Double ?? 0, 0)

            let t = try self.json(try await self.post(client, "/v1/trace", #"{"text":"ROMEO:","layer":0}"#))
            XCTAssertEqual(t["cell"] as? String, "lstm")
            XCTAssertEqual(t["kinds"] as? [String], ["h", "c", "i", "f", "g", "o"])
            let steps = try XCTUnwrap(t["steps"] as? [[String: Any]])
            XCTAssertEqual(steps.count, 6)
            let values = try XCTUnwrap(steps[3]["values"] as? [String: [Double]])
            XCTAssertEqual(values["f"]?.count, 384)
            XCTAssertTrue(values["f"]!.allSatisfy { (0...1).contains($0) })
            try self.assertError(
                try await self.post(client, "/v1/trace", #"{"text":"A","layer":5}"#), .badRequest, param: "layer")
            try self.assertError(try await self.post(client, "/v1/score", #"{}"#), .badRequest, param: "text")
        }
    }

    /// Scores and traces take CPU seconds each: beyond `limits.analyses` at once, 503.
    func testAnalysesAreBounded() async throws {
        try await server { $0.limits.analyses = 0 }.application().test(.router) { client in
            let r = try await self.post(client, "/v1/score", #"{"text":"ROMEO:"}"#)
            try self.assertError(r, .serviceUnavailable, code: "over_capacity")
            XCTAssertEqual(r.headers[HTTPField.Name("Retry-After")!], "1")
        }
    }

    func testCORSOnlyWhenAsked() async throws {
        try await server().application().test(.router) { client in
            let r = try await client.execute(uri: "/v1/models", method: .get)
            XCTAssertNil(r.headers[.accessControlAllowOrigin])
        }
        try await server { $0.corsOrigin = "http://localhost:3000" }.application().test(.router) { client in
            let r = try await client.execute(uri: "/v1/models", method: .get)
            XCTAssertEqual(r.headers[.accessControlAllowOrigin], "http://localhost:3000")
            let pre = try await client.execute(uri: "/v1/completions", method: .options)
            XCTAssertEqual(pre.status, .noContent)
            XCTAssertEqual(pre.headers[.accessControlAllowOrigin], "http://localhost:3000")
        }
    }
}

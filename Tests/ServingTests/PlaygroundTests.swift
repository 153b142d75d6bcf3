import CharNNKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Serving
import XCTest

/// The playground page and what it asks of `/v1/trace` (`from`, `digits`, `ranking`).
extension EndpointTests {
    func testPageIsSelfContainedWithTheCellAndControls() async throws {
        try await server().application().test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get)
            XCTAssertEqual(page.status, .ok)
            let csp = try XCTUnwrap(page.headers[.contentSecurityPolicy])
            XCTAssertTrue(csp.contains("default-src 'self'"), csp)
            let html = String(buffer: page.body)
            XCTAssertTrue(html.hasPrefix("<!doctype html>"), String(html.prefix(40)))
            XCTAssertTrue(html.hasSuffix("</html>\n"))
            // Nothing from elsewhere: no URL, no external script, style sheet or font.
            for banned in ["http://", "https://", "//www.", "<script src", "@import", "url(h", "url(/"] {
                XCTAssertFalse(html.contains(banned), "the page holds \(banned)")
            }
            // Its one link is the empty icon (no request for /favicon.ico).
            XCTAssertEqual(html.components(separatedBy: "<link").count, 2)
            XCTAssertTrue(html.contains(#"<link rel="icon" href="data:,">"#))
            for id in [
                #"id="prompt""#, #"id="generate""#, #"id="temperature""#, #"id="topk""#, #"id="topp""#,
                #"id="length""#, #"id="seed""#, #"id="model""#, #"id="layer""#, #"id="apikey""#, #"id="cell""#,
                #"id="play""#, #"id="back""#, #"id="fwd""#, #"id="step""#, #"id="strips""#, #"id="ranking""#,
            ] {
                XCTAssertTrue(html.contains(id), "the page lacks \(id)")
            }
            // It streams completions with logprobs and follows them with the trace.
            for use in ["/v1/completions", "/v1/trace", "/v1/models", "stream: true", "logprobs: 5", "[DONE]"] {
                XCTAssertTrue(html.contains(use), "the page does not use \(use)")
            }
        }
    }

    func testPageStaysOpenWithAnAPIKey() async throws {
        try await server { $0.apiKey = "sesame" }.application().test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get)
            XCTAssertEqual(page.status, .ok)
            // The page learns it needs the key from the API's 401.
            try self.assertError(try await client.execute(uri: "/v1/models", method: .get), .unauthorized)
            let r = try await self.post(
                client, "/v1/trace", #"{"text":"AB","from":1}"#, headers: [.authorization: "Bearer sesame"])
            XCTAssertEqual(r.status, .ok, String(buffer: r.body))
        }
    }

    func testTraceFromReturnsTheLaterStepsOfTheWholeText() async throws {
        try await server().application().test(.router) { client in
            let text = #"ROMEO:\nBut soft"#
            let all = try self.json(try await self.post(client, "/v1/trace", #"{"text":"\#(text)","layer":1}"#))
            XCTAssertEqual(all["count"] as? Int, 15)
            XCTAssertEqual(all["from"] as? Int, 0)
            XCTAssertNil(all["ranking"], "no ranking unless asked")
            let part = try self.json(
                try await self.post(client, "/v1/trace", #"{"text":"\#(text)","layer":1,"from":11}"#))
            XCTAssertEqual(part["count"] as? Int, 15)
            XCTAssertEqual(part["from"] as? Int, 11)
            let allSteps = try XCTUnwrap(all["steps"] as? [[String: Any]])
            let steps = try XCTUnwrap(part["steps"] as? [[String: Any]])
            XCTAssertEqual(steps.count, 4)
            XCTAssertEqual(steps.map { $0["text"] as? String }, ["s", "o", "f", "t"])
            for (a, b) in zip(steps, allSteps[11...]) {
                XCTAssertEqual(a["values"] as? [String: [Double]], b["values"] as? [String: [Double]])
                XCTAssertEqual(a["surprisal"] as? Double, b["surprisal"] as? Double)
            }
            // Past the end: no steps, still the count.
            let none = try self.json(try await self.post(client, "/v1/trace", #"{"text":"AB","from":5}"#))
            XCTAssertEqual((none["steps"] as? [Any])?.count, 0)
            XCTAssertEqual(none["count"] as? Int, 2)
        }
    }

    func testTraceDigitsRoundsTheValues() async throws {
        try await server().application().test(.router) { client in
            let t = try self.json(try await self.post(client, "/v1/trace", #"{"text":"KING","digits":2}"#))
            let full = try self.json(try await self.post(client, "/v1/trace", #"{"text":"KING"}"#))
            let steps = try XCTUnwrap(t["steps"] as? [[String: Any]])
            let fullSteps = try XCTUnwrap(full["steps"] as? [[String: Any]])
            var rounded = 0
            for (a, b) in zip(steps, fullSteps) {
                let va = try XCTUnwrap(a["values"] as? [String: [Double]])
                let vb = try XCTUnwrap(b["values"] as? [String: [Double]])
                for (kind, xs) in va {
                    for (x, y) in zip(xs, vb[kind]!) {
                        XCTAssertEqual(x * 100, (x * 100).rounded(), accuracy: 1e-3, "\(kind) \(x)")
                        XCTAssertEqual(x, y, accuracy: 0.005 + 1e-6)
                        if x != y { rounded += 1 }
                    }
                }
            }
            XCTAssertGreaterThan(rounded, 0)
        }
    }

    func testTraceRankingRanksTheLayersUnits() async throws {
        try await server().application().test(.router) { client in
            let text = #"First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"#
            let t = try self.json(
                try await self.post(client, "/v1/trace", #"{"text":"\#(text)","layer":1,"ranking":true,"from":80}"#))
            let ranking = try XCTUnwrap(t["ranking"] as? [[String: Any]])
            XCTAssertEqual(
                ranking.map { $0["property"] as? String },
                [
                    "in_quotes", "bracket_depth", "line_position", "word_start", "word_position", "uppercase",
                    "caps_line", "whitespace", "vowel",
                ])
            let line = try XCTUnwrap(ranking.first { $0["property"] as? String == "line_position" })
            XCTAssertEqual(line["varies"] as? Bool, true)
            XCTAssertNotNil(line["summary"] as? String)
            let chance = try XCTUnwrap(line["chance_level"] as? Double)
            let units = try XCTUnwrap(line["units"] as? [[String: Any]])
            XCTAssertEqual(units.count, 5)
            let rs = units.map { abs($0["r"] as? Double ?? 2) }
            XCTAssertEqual(rs, rs.sorted(by: >), "best first")
            XCTAssertTrue(rs.allSatisfy { $0 <= 1 })
            XCTAssertGreaterThan(rs[0], chance, "the shipped model has a line-position unit")
            for u in units {
                XCTAssertTrue(["h", "c", "i", "f", "g", "o"].contains(u["kind"] as? String ?? ""), "\(u)")
                XCTAssertTrue((0..<384).contains(u["unit"] as? Int ?? -1), "\(u)")
            }
            let quotes = try XCTUnwrap(ranking.first { $0["property"] as? String == "in_quotes" })
            XCTAssertEqual(quotes["varies"] as? Bool, false)
            XCTAssertEqual((quotes["units"] as? [Any])?.count, 0)

            // Too short to rank: the properties, nothing ranked, no chance level.
            let short = try self.json(try await self.post(client, "/v1/trace", #"{"text":"ROMEO:","ranking":true}"#))
            let r = try XCTUnwrap(short["ranking"] as? [[String: Any]])
            XCTAssertEqual(r.count, 9)
            XCTAssertTrue(r.allSatisfy { ($0["units"] as? [Any])?.isEmpty == true && $0["chance_level"] is NSNull })
        }
    }

    func testTraceFollowsAGeneratedCompletion() async throws {
        // What the page does: stream a completion, then trace prompt + text. The trace reads
        // the text as the generation did, so its surprisal is the completion's −logprob.
        try await server().application().test(.router) { client in
            let c = try self.json(
                try await self.post(
                    client, "/v1/completions",
                    #"{"prompt":"JULIET:\n","max_tokens":30,"seed":11,"temperature":0.9,"logprobs":5}"#))
            let choice = try XCTUnwrap((c["choices"] as? [[String: Any]])?.first)
            let text = try XCTUnwrap(choice["text"] as? String)
            let logprobs = try XCTUnwrap((choice["logprobs"] as? [String: Any])?["token_logprobs"] as? [Double])
            let whole = "JULIET:\n" + text
            let body = try JSONSerialization.data(withJSONObject: ["text": whole, "from": 8, "layer": 0])
            let t = try self.json(try await self.post(client, "/v1/trace", String(decoding: body, as: UTF8.self)))
            let steps = try XCTUnwrap(t["steps"] as? [[String: Any]])
            XCTAssertEqual(steps.count, text.count)
            XCTAssertEqual(steps.map { $0["text"] as? String ?? "" }.joined(), text)
            for (step, lp) in zip(steps, logprobs) {
                XCTAssertEqual(step["surprisal"] as? Double ?? .nan, -lp, accuracy: 2e-3)
            }
        }
    }

    func testTraceRejectsBadFollowFields() async throws {
        try await server().application().test(.router) { client in
            try self.assertError(
                try await self.post(client, "/v1/trace", #"{"text":"AB","from":-1}"#), .badRequest, param: "from")
            try self.assertError(
                try await self.post(client, "/v1/trace", #"{"text":"AB","digits":0}"#), .badRequest, param: "digits")
            try self.assertError(
                try await self.post(client, "/v1/trace", #"{"text":"AB","digits":9}"#), .badRequest, param: "digits")
            try self.assertError(
                try await self.post(client, "/v1/trace", #"{"text":"AB","ranking":"yes"}"#), .badRequest,
                param: "ranking")
        }
    }
}

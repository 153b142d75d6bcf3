import CharNNKit
import Foundation
import Inspection
import Sampling
import XCTest

/// The shipped checkpoint (checkpoints/shakespeare-lstm, a 2×384 LSTM) of this repository.
let shippedCheckpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("checkpoints/shakespeare-lstm").path

/// Everything a generation reports: its text and how it ended.
func collect(_ g: CharModel.Generation) async throws -> (text: String, finish: FinishReason?, pieces: [GeneratedPiece]) {
    var text = "", finish: FinishReason? = nil, pieces: [GeneratedPiece] = []
    for try await e in g.events {
        switch e {
        case .piece(let p):
            text += p.text
            pieces.append(p)
        case .finished(let r): finish = r
        }
    }
    return (text, finish, pieces)
}

final class CharModelTests: XCTestCase {
    static let model: CharModel = try! CharModel(checkpoint: shippedCheckpoint)

    /// A seeded generation through the facade writes what `Generator` (what `charnn sample` runs)
    /// writes with the same seed, prompt and settings.
    func testSeededGenerationEqualsTheSampler() async throws {
        let m = Self.model
        let options = GenerationOptions(maxTokens: 120, temperature: 0.8, topK: 20, seed: 42)
        let got = try await collect(try m.start(prompt: "ROMEO:\n", options: options))
        XCTAssertEqual(got.finish, .length)
        XCTAssertEqual(got.text.count, 120)

        let ckpt = try CharModelTests.loadGenerator(seed: 42, settings: try SamplingSettings(temperature: 0.8, topK: 20))
        try ckpt.prime("ROMEO:\n")
        let expected = ckpt.generate(length: 120)[0]
        XCTAssertEqual(got.text, expected)
    }

    static func loadGenerator(seed: UInt64, settings: SamplingSettings, count: Int = 1) throws -> Generator {
        let ckpt = try CharModelTestSupport.checkpoint()
        return Generator(model: ckpt.model, vocabulary: ckpt.vocabulary, settings: settings, seed: seed, count: count)
    }

    /// The seed rule: the same request gives the same text alone, and batched with others that
    /// started before it, after it, and end before it.
    func testSeedGivesTheSameTextAloneOrBatched() async throws {
        let probe = GenerationOptions(maxTokens: 300, temperature: 1, seed: 2024)
        let (alone, batched) = try await Self.aloneAndBatched(
            Self.model, prompt: "KING HENRY:", probe, others: 7, joinAfter: .milliseconds(20))
        XCTAssertEqual(batched, alone)
    }

    /// The seed rule with 8-bit and half-precision weights too, on two threads (the 8-bit
    /// panels, the half-precision row dots, the step's chunks shared by the team).
    func testSeedGivesTheSameTextAloneOrBatchedForEveryPrecision() async throws {
        for settings in [
            CharModel.Settings(streams: 8, queue: 8, threads: 2, precision: .int8),
            CharModel.Settings(streams: 8, queue: 8, threads: 2, precision: .float16),
        ] {
            let m = try CharModel(checkpoint: shippedCheckpoint, settings: settings)
            defer { m.shutdown() }
            let probe = GenerationOptions(maxTokens: 200, temperature: 1, seed: 77)
            let (alone, batched) = try await Self.aloneAndBatched(
                m, prompt: "JULIET:", probe, others: 5, joinAfter: nil)
            XCTAssertEqual(alone.count, 200, "\(settings.precision)")
            XCTAssertEqual(batched, alone, "\(settings.precision)")
        }
    }

    /// `probe`'s text alone, then beside `others` seeded generations of different prompts and
    /// lengths that start first (it joins `joinAfter` later, or at once).
    static func aloneAndBatched(
        _ m: CharModel, prompt: String, _ probe: GenerationOptions, others: Int, joinAfter: Duration?
    ) async throws -> (alone: String, batched: String?) {
        let alone = try await collect(try m.start(prompt: prompt, options: probe)).text
        let texts = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<others {
                let g = try m.start(
                    prompt: String(repeating: "x", count: i * 5) + "First Citizen:",
                    options: GenerationOptions(maxTokens: 40 + 50 * i, seed: UInt64(i)))
                group.addTask { (i, try await collect(g).text) }
            }
            // Join while the others run (they are a few characters in by then).
            if let joinAfter { try await Task.sleep(for: joinAfter) }
            let g = try m.start(prompt: prompt, options: probe)
            group.addTask { (-1, try await collect(g).text) }
            var texts: [Int: String] = [:]
            for try await (i, t) in group { texts[i] = t }
            return texts
        }
        XCTAssertEqual(texts.count, others + 1)
        return (alone, texts[-1])
    }

    /// Many streams advance together: 8 generations of 200 characters take about 200 steps of
    /// the batched predictor, not 8 × 200.
    func testStreamsShareSteps() async throws {
        let m = try CharModel(checkpoint: shippedCheckpoint, settings: .init(streams: 8, queue: 0))
        let before = m.stepsRun
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                let g = try m.start(prompt: "A", options: GenerationOptions(maxTokens: 200, seed: UInt64(i)))
                group.addTask { _ = try await collect(g) }
            }
            try await group.waitForAll()
        }
        // The last step counts itself just after it delivered the finishes: wait for it.
        XCTAssertTrue(m.waitUntilIdle(deadline: .now + .seconds(5)))
        let steps = m.stepsRun - before
        XCTAssertGreaterThanOrEqual(steps, 200)
        XCTAssertLessThan(steps, 400, "8 streams of 200 characters took \(steps) steps")
    }

    /// A stop string ends the generation and is not returned; text that only starts like it is.
    func testStopStringEndsAndIsNotReturned() async throws {
        let m = Self.model
        let free = try await collect(
            try m.start(prompt: "ROMEO:", options: GenerationOptions(maxTokens: 400, temperature: 0.7, seed: 3))).text
        guard let r = free.range(of: "e") else { return XCTFail("no 'e' in \(free)") }
        let stopped = try await collect(
            try m.start(prompt: "ROMEO:", options: GenerationOptions(maxTokens: 400, temperature: 0.7, seed: 3, stop: ["e"])))
        XCTAssertEqual(stopped.finish, .stop)
        XCTAssertEqual(stopped.text, String(free[..<r.lowerBound]))

        // A two-character stop string that never occurs: everything comes out, held parts included.
        let never = try await collect(
            try m.start(
                prompt: "ROMEO:", options: GenerationOptions(maxTokens: 400, temperature: 0.7, seed: 3, stop: ["e#"])))
        XCTAssertEqual(never.finish, .length)
        XCTAssertEqual(never.text, free)
    }

    /// Beyond the streams and the line, `start` refuses; a cancelled generation frees its stream.
    func testCapacityQueueAndCancellation() async throws {
        let m = try CharModel(checkpoint: shippedCheckpoint, settings: .init(streams: 1, queue: 1))
        let long = GenerationOptions(maxTokens: 1_000_000, seed: 1)
        var first: CharModel.Generation? = try m.start(prompt: "A", options: long)
        let second = try m.start(prompt: "B", options: GenerationOptions(maxTokens: 5, seed: 2))
        XCTAssertThrowsError(try m.start(prompt: "C", options: long)) { error in
            XCTAssertEqual(error as? GenerationError, .overCapacity(streams: 1, queue: 1))
        }
        // The first one's listener goes away: its stream is freed and the waiting one runs.
        do {
            var it = first!.events.makeAsyncIterator()
            _ = try await it.next()
        }
        first = nil
        let done = try await collect(second)
        XCTAssertEqual(done.finish, .length)
        XCTAssertEqual(done.text.count, 5)
        let deadline = ContinuousClock.now + .seconds(5)
        while m.load.active > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        XCTAssertEqual(m.load.active, 0)
    }

    /// Draining: no new generations; those in flight finish.
    func testStopAcceptingLetsRunningOnesFinish() async throws {
        let m = try CharModel(checkpoint: shippedCheckpoint, settings: .init(streams: 2, queue: 0))
        let running = try m.start(prompt: "A", options: GenerationOptions(maxTokens: 50, seed: 9))
        m.stopAccepting()
        XCTAssertThrowsError(try m.start(prompt: "B")) { XCTAssertEqual($0 as? GenerationError, .shuttingDown) }
        let r = try await collect(running)
        XCTAssertEqual(r.finish, .length)
        XCTAssertTrue(m.waitUntilIdle(deadline: .now + .seconds(5)))
        m.shutdown()
        XCTAssertThrowsError(try m.start(prompt: "C")) { XCTAssertEqual($0 as? GenerationError, .shuttingDown) }
    }

    /// Bad options name their field.
    func testBadOptionsNameTheField() {
        let m = Self.model
        let cases: [(GenerationOptions, String)] = [
            (GenerationOptions(maxTokens: -1), "max_tokens"),
            (GenerationOptions(temperature: -1), "temperature"),
            (GenerationOptions(topK: -1), "top_k"),
            (GenerationOptions(topP: 1.5), "top_p"),
            (GenerationOptions(logprobs: 21), "logprobs"),
            (GenerationOptions(stop: ["a", "b", "c", "d", "e"]), "stop"),
        ]
        for (o, field) in cases {
            XCTAssertThrowsError(try m.start(prompt: "A", options: o)) { error in
                guard case .invalidOption(let f, _)? = error as? GenerationError else { return XCTFail("\(error)") }
                XCTAssertEqual(f, field)
            }
        }
    }

    /// Log-probabilities: the chosen unit's, and alternatives sorted best first, each ≤ 0, with
    /// a greedy draw choosing the best alternative.
    func testLogprobsOfGreedyGeneration() async throws {
        let got = try await collect(
            try Self.model.start(prompt: "ROMEO:", options: GenerationOptions(maxTokens: 30, temperature: 0, logprobs: 5)))
        XCTAssertEqual(got.pieces.count, 30)
        for p in got.pieces {
            XCTAssertEqual(p.top.count, 5)
            XCTAssertEqual(p.top.first?.text, p.text)
            XCTAssertEqual(p.top.first?.logprob ?? 1, p.logprob ?? 0, accuracy: 1e-12)
            XCTAssertEqual(p.top.map(\.logprob), p.top.map(\.logprob).sorted(by: >))
            XCTAssertLessThanOrEqual(p.logprob ?? 1, 0)
        }
    }

    /// Unknown characters of a prompt are skipped and reported, as `sample` does.
    func testUnknownPromptCharactersAreSkipped() async throws {
        let g = try Self.model.start(prompt: "ROMEO\u{1F600}:", options: GenerationOptions(maxTokens: 3, seed: 1))
        XCTAssertEqual(g.unknown.count, 1)
        XCTAssertEqual(g.promptUnits, 6)
        _ = try await collect(g)
    }

    /// Scores equal the inspection trace's (the same one-stream protocol as `charnn eval`).
    func testScoreMatchesTheActivationTrace() throws {
        let text = "First Citizen:\nBefore we proceed any further, hear me speak."
        let s = try Self.model.score(text)
        XCTAssertEqual(s.units.count, text.count)
        XCTAssertNil(s.units[0].surprisal)
        let ckpt = try CharModelTestSupport.checkpoint()
        let (ids, _) = try ckpt.vocabulary.encode(text)
        let trace = ActivationTrace(model: ckpt.model, ids: ids.map { Int32($0) })
        XCTAssertEqual(s.meanSurprisal!, trace.meanSurprisal!, accuracy: 1e-4)
        let best = try Self.model.probabilities(after: "First Citize", top: 3)
        XCTAssertEqual(best.first?.text, "n")
    }

    /// The simple stream of text pieces an app reads.
    func testGenerateStreamsText() async throws {
        var text = ""
        for try await piece in Self.model.generate(prompt: "ROMEO:", options: GenerationOptions(maxTokens: 25, seed: 5)) {
            text += piece
        }
        XCTAssertEqual(text.count, 25)
    }
}

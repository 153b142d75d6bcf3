import Models
import NeuralCore
import Tokenization
import XCTest

@testable import Sampling

/// Generation end to end on a small random model: determinism, prime handling, stop strings.
final class GenerationTests: XCTestCase {
    func makeModel() throws -> (LanguageModel, Vocabulary) {
        let vocab = try Vocabulary(
            unit: .grapheme, normalization: .nfc, tokens: ["\n", " ", "a", "b", "c", "d", "é", "!"])
        let config = ModelConfig(cell: .gru, layers: 2, hidden: 12, embedding: 6, vocabularySize: vocab.count)
        return (try LanguageModel(config: config, seed: 5), vocab)
    }

    func testSameSeedSameText() throws {
        let (model, vocab) = try makeModel()
        let settings = try SamplingSettings(temperature: 1.0, topK: 0, topP: 1)
        func run(_ seed: UInt64) throws -> String {
            let g = Generator(model: model, vocabulary: vocab, settings: settings, seed: seed)
            try g.prime("ab")
            return g.generate(length: 200)[0]
        }
        XCTAssertEqual(try run(3), try run(3))
        XCTAssertNotEqual(try run(3), try run(4))
        XCTAssertEqual(try run(3).count, 200)
    }

    func testGreedyIsDeterministicAcrossSeedsAndEqualsTopK1() throws {
        let (model, vocab) = try makeModel()
        func run(_ s: SamplingSettings, _ seed: UInt64) throws -> String {
            let g = Generator(model: model, vocabulary: vocab, settings: s, seed: seed)
            try g.prime("ba")
            return g.generate(length: 100)[0]
        }
        let greedy = try run(try SamplingSettings(temperature: 0), 1)
        XCTAssertEqual(greedy, try run(try SamplingSettings(temperature: 0), 99))
        XCTAssertEqual(greedy, try run(try SamplingSettings(temperature: 1, topK: 1), 7))
    }

    /// An unseen character in the prime is skipped and reported, never a crash.
    func testUnseenPrimeCharacterIsSkipped() throws {
        let (model, vocab) = try makeModel()
        let g = Generator(model: model, vocabulary: vocab, settings: try SamplingSettings(temperature: 0), seed: 1)
        let unknowns = try g.prime("a🙂b")
        XCTAssertEqual(unknowns.map(\.token), ["🙂"])
        // Same state as priming "ab".
        let h = Generator(model: model, vocabulary: vocab, settings: try SamplingSettings(temperature: 0), seed: 1)
        try h.prime("ab")
        XCTAssertEqual(g.generate(length: 50), h.generate(length: 50))
        // A prime made only of unseen characters still generates.
        let k = Generator(model: model, vocabulary: vocab, settings: try SamplingSettings(temperature: 0), seed: 1)
        XCTAssertEqual(try k.prime("🙂🙂").count, 1)
        XCTAssertEqual(k.generate(length: 10)[0].count, 10)
    }

    func testNFCPrimeMatchesComposedToken() throws {
        let (model, vocab) = try makeModel()
        let g = Generator(model: model, vocabulary: vocab, settings: try SamplingSettings(temperature: 0), seed: 1)
        XCTAssertEqual(try g.prime("e\u{301}"), [], "decomposed é must normalize to the vocabulary's é")
    }

    func testStopStringAndBatchedStreams() throws {
        let (model, vocab) = try makeModel()
        let g = Generator(
            model: model, vocabulary: vocab, settings: try SamplingSettings(temperature: 1.5), seed: 2, count: 4)
        try g.prime("a")
        var streamed = [String](repeating: "", count: 4)
        let texts = g.generate(length: 300, stop: "a") { s, piece in
            streamed[s] += piece; return true
        }
        XCTAssertEqual(texts, streamed, "the callback sees exactly the returned text")
        for t in texts where t.count < 300 { XCTAssertTrue(t.hasSuffix("a")) }
        XCTAssertGreaterThan(Set(texts).count, 1, "independent streams should differ")
        // Stream 0 of a batch equals a single-stream run with the same seed (streams are independent).
        let single = Generator(
            model: model, vocabulary: vocab, settings: try SamplingSettings(temperature: 1.5), seed: 2)
        try single.prime("a")
        XCTAssertEqual(single.generate(length: 300, stop: "a")[0], texts[0])
    }

    func testContextCarriesUntilReset() throws {
        let (model, vocab) = try makeModel()
        let s = try SamplingSettings(temperature: 0)
        let g = Generator(model: model, vocabulary: vocab, settings: s, seed: 1)
        try g.prime("ab")
        let first = g.generate(length: 5)[0]
        try g.prime("c")
        let continued = g.generate(length: 20)[0]
        let whole = Generator(model: model, vocabulary: vocab, settings: s, seed: 1)
        try whole.prime("ab" + first + "c")
        XCTAssertEqual(whole.generate(length: 20)[0], continued)
        g.reset()
        try g.prime("c")
        let fresh = Generator(model: model, vocabulary: vocab, settings: s, seed: 1)
        try fresh.prime("c")
        XCTAssertEqual(g.generate(length: 20), fresh.generate(length: 20))
    }

    /// Each piece carries the ids drawn for it: the ids of all pieces are the continuation, also
    /// for the byte unit, where bytes that are not UTF-8 show as U+FFFD but keep their ids.
    func testPiecesCarryTheDrawnIDs() throws {
        let (model, vocab) = try makeModel()
        let settings = try SamplingSettings(temperature: 1.5)
        let g = Generator(model: model, vocabulary: vocab, settings: settings, seed: 3, count: 2)
        try g.prime("ab")
        var ids = [[Int32]](repeating: [], count: 2)
        let texts = g.generatePieces(length: 200) { s, piece in
            XCTAssertEqual(piece.ids.count, 1)
            XCTAssertEqual(vocab.decode(piece.ids), piece.text)
            ids[s] += piece.ids
            return true
        }
        for s in 0..<2 { XCTAssertEqual(vocab.decode(ids[s]), texts[s]) }
        // The same draws as `generate`.
        let h = Generator(model: model, vocabulary: vocab, settings: settings, seed: 3, count: 2)
        try h.prime("ab")
        XCTAssertEqual(h.generate(length: 200), texts)

        // Bytes: lone continuation bytes and lead bytes make ill-formed sequences.
        let bytes = try Vocabulary(
            unit: .byte, normalization: .none,
            tokens: ["\n", "a", "b", "\u{80}", "\u{C3}", "\u{A9}", "\u{E2}", "\u{FF}"])
        let byteModel = try LanguageModel(
            config: ModelConfig(cell: .gru, layers: 1, hidden: 12, embedding: 6, vocabularySize: bytes.count), seed: 5)
        let b = Generator(model: byteModel, vocabulary: bytes, settings: try SamplingSettings(temperature: 2), seed: 1)
        var byteIDs: [Int32] = []
        var replaced = 0
        b.generatePieces(length: 400) { _, piece in
            XCTAssertEqual(String(decoding: bytes.decodeBytes(piece.ids), as: UTF8.self), piece.text)
            if piece.text.contains("\u{FFFD}") { replaced += 1 }
            byteIDs += piece.ids
            return true
        }
        XCTAssertGreaterThan(replaced, 0, "the test should meet ill-formed bytes")
        XCTAssertLessThanOrEqual(byteIDs.count, 400)
        XCTAssertGreaterThan(byteIDs.count, 390, "at most 3 bytes of an unfinished character are held back")
    }
}

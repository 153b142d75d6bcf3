import Models
import NeuralCore
import Tokenization
import XCTest

@testable import Sampling

final class BeamSearchTests: XCTestCase {
    /// Width 1 is greedy decoding; a wider beam never finds a less likely continuation.
    func testWidthOneIsGreedyAndWiderIsNoWorse() throws {
        let vocab = try Vocabulary(unit: .grapheme, normalization: .nfc, tokens: ["\n", " ", "a", "b", "c", "d"])
        let config = ModelConfig(cell: .lstm, layers: 2, hidden: 10, embedding: 5, vocabularySize: vocab.count)
        let model = try LanguageModel(config: config, seed: 9)
        let g = Generator(model: model, vocabulary: vocab, settings: try SamplingSettings(temperature: 0), seed: 1)
        try g.prime("ab")
        let greedy = g.generate(length: 30)[0]
        let one = try BeamSearch(model: model, vocabulary: vocab, width: 1).search(prime: "ab", length: 30)
        XCTAssertEqual(one.text, greedy)
        let five = try BeamSearch(model: model, vocabulary: vocab, width: 5).search(prime: "ab", length: 30)
        // Width 1 runs the single-stream path and width 5 the batched GEMM, which round
        // differently (~1e-7 per logit); over 30 steps that is far below 1e-5.
        XCTAssertGreaterThanOrEqual(five.logProbability, one.logProbability - 1e-5)
        XCTAssertEqual(five.text.count, 30)
        // Its reported score is the model's log-probability of its text.
        let ids = try vocab.encode("ab" + five.text).ids
        let predictor = Predictor(model: model, batch: 1)
        var total = 0.0
        for i in 0..<(ids.count - 1) {
            let logits = [ids[i]].withUnsafeBufferPointer { predictor.step(tokens: $0.baseAddress!) }
            if i >= 1 {
                let row = (0..<vocab.count).map { Double(logits[$0]) }
                let m = row.max()!
                total += row[Int(ids[i + 1])] - (m + log(row.reduce(0) { $0 + exp($1 - m) }))
            }
        }
        XCTAssertEqual(total, five.logProbability, accuracy: 1e-4)
    }
}

import NeuralCore
import XCTest

@testable import Models

/// `Predictor.step(tokens:count:)` and `moveStream`, the path of a server whose streams join and
/// leave: a stream's logits are the same bits whatever else shares the step (fewer or more
/// streams, other rows, other threads), for every cell and every weight precision.
final class StreamSlotsTests: XCTestCase {
    func testAStreamsBitsDoNotDependOnItsCompany() throws {
        for cell in CellKind.allCases {
            for precision in WeightPrecision.allCases {
                let V = 13, S = 12
                let config = ModelConfig(cell: cell, layers: 2, hidden: 40, embedding: 16, vocabularySize: V)
                let model = try LanguageModel(config: config, seed: 5)
                var rng = SplitMix64(seed: 9)
                let mine = (0..<S).map { _ in Int32(rng.next() % UInt64(V)) }
                // Alone: one stream, one thread.
                let alone = Predictor(model: model, batch: 1, threads: 1, precision: precision)
                var expected: [[Float]] = []
                for t in mine {
                    var token = t
                    let l = alone.step(tokens: &token)
                    expected.append(Array(UnsafeBufferPointer(start: l, count: V)))
                }
                // In company: 6 rows on 2 threads; the stream starts in row 4 with 5 others, and
                // the others leave one by one, each time the last row moving into the freed one.
                let shared = Predictor(model: model, batch: 6, threads: 2, precision: precision)
                var row = 4, count = 6
                var tokens = [Int32](repeating: 0, count: 6)
                for (t, token) in mine.enumerated() {
                    for r in 0..<count { tokens[r] = r == row ? token : Int32(rng.next() % UInt64(V)) }
                    let l = tokens.withUnsafeBufferPointer { shared.step(tokens: $0.baseAddress!, count: count) }
                    XCTAssertEqual(
                        Array(UnsafeBufferPointer(start: l + row * V, count: V)), expected[t],
                        "\(cell) \(precision) t=\(t) row \(row) of \(count)")
                    if count > 1 && t % 2 == 1 {
                        // Another stream leaves: the last row moves into the freed one.
                        let victim = row == 0 ? 1 : 0, last = count - 1
                        if victim != last {
                            shared.moveStream(from: last, to: victim)
                            if row == last { row = victim }
                        }
                        count -= 1
                    }
                }
            }
        }
    }
}

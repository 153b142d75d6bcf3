import Evaluation
import Foundation
import Models
import NeuralCore
import XCTest
import _TestSupport

@testable import Training

/// How `compare` and `eval` split their work over ranks (`mpirun -np N`), checked in one process:
/// the shares tile the work, and the parts put together give the single-process figures.
final class RankShareTests: XCTestCase {
    func testWindowSharesTileTheText() {
        for count in [0, 1, 2, 3, 10, 101, 257] {
            for window in [1, 3, 7, 256, 1000] {
                let targets = max(count - 1, 0)
                for parts in 1...4 {
                    var scored = 0, next = 0
                    for part in 0..<parts {
                        let r = windowShare(count: count, window: window, part: part, parts: parts)
                        if r.isEmpty { continue }
                        XCTAssertEqual(r.lowerBound, next, "count \(count) W \(window) part \(part)/\(parts)")
                        XCTAssertEqual(r.lowerBound % window, 0)
                        scored += r.count - 1
                        next = r.upperBound - 1  // the next part starts at this part's last token
                    }
                    XCTAssertEqual(scored, targets, "count \(count) W \(window) parts \(parts)")
                }
            }
        }
    }

    func testWindowSharesSumToTheWholeFigure() throws {
        let V = 11
        let data = randomTokens(count: 203, vocabulary: V, seed: 5)
        for cell in [CellKind.lstm, .gru] {
            let m = try LanguageModel(
                config: ModelConfig(
                    cell: cell, layers: 2, hidden: 8, embedding: 6,
                    vocabularySize: V), seed: 9)
            for W in [1, 7, 40, 500] {
                let whole = evaluateWindows(model: m, data: data, window: W)
                for parts in [1, 2, 3] {
                    var sum = 0.0, count = 0
                    for part in 0..<parts {
                        let s = evaluateWindowShare(model: m, data: data, window: W, part: part, parts: parts)
                        sum += s.lossSum
                        count += s.count
                    }
                    XCTAssertEqual(count, whole.chars)
                    XCTAssertEqual(
                        sum / Double(count), whole.lossNats, accuracy: 1e-5 * whole.lossNats,
                        "\(cell) W \(W) parts \(parts)")
                }
            }
        }
    }
}

import Foundation
import Models
import NeuralCore
import XCTest

@testable import Evaluation

/// The long-range memory probe: bucketing on a hand-made loss sequence whose answer is known,
/// and the per-position scores against the one-stream evaluation.
final class MemoryProbeTests: XCTestCase {
    // Ids: a 0, ( 1, ) 2, newline 3, [ 4, ] 5.
    let symbols = ProbeSymbols(anchors: [1, 3, 4], pairs: [2: 1, 5: 4])

    func testBucketsArePowersOfTwo() {
        XCTAssertEqual([1, 2, 3, 4, 7, 8, 15, 16, 1000].map(MemoryProbe.bucket(of:)), [0, 1, 1, 2, 2, 3, 3, 4, 9])
        XCTAssertTrue(MemoryProbe.bounds(ofBucket: 0) == (1, 1))
        XCTAssertTrue(MemoryProbe.bounds(ofBucket: 3) == (8, 15))
    }

    /// a ( a a ) \n a [ a×8 ]: the loss of position j is j − 1 (losses[i] = i), so each bucket's
    /// mean can be worked out by hand.
    func testBucketingOfAHandMadeText() {
        let tokens: [Int32] = [0, 1, 0, 0, 2, 3, 0, 4] + [Int32](repeating: 0, count: 8) + [5]
        let losses = (0..<(tokens.count - 1)).map(Double.init)
        var choices = [Double](repeating: .nan, count: losses.count)
        choices[3] = 0.25  // the ) at position 4
        choices[15] = 0.5  // the ] at position 16
        let r = MemoryProbe.analyze(tokens: tokens, losses: losses, choices: choices, symbols: symbols)
        // Since the last anchor: d 1 at j 2, 6, 8 (losses 1, 5, 7); d 2–3 at j 3, 4, 7, 9, 10;
        // d 4–7 at j 5, 11…14; d 8–15 at j 15, 16.
        XCTAssertEqual(
            r.sinceAnchor,
            [
                DistanceBucket(from: 1, to: 1, count: 3, meanLoss: 13.0 / 3),
                DistanceBucket(from: 2, to: 3, count: 5, meanLoss: (2 + 3 + 6 + 8 + 9) / 5.0),
                DistanceBucket(from: 4, to: 7, count: 5, meanLoss: (4 + 10 + 11 + 12 + 13) / 5.0),
                DistanceBucket(from: 8, to: 15, count: 2, meanLoss: 14.5),
            ])
        // ) is 3 after its (, ] is 9 after its [.
        XCTAssertEqual(
            r.closerLoss,
            [
                DistanceBucket(from: 2, to: 3, count: 1, meanLoss: 3),
                DistanceBucket(from: 8, to: 15, count: 1, meanLoss: 15),
            ])
        XCTAssertEqual(
            r.closerChoice,
            [
                DistanceBucket(from: 2, to: 3, count: 1, meanLoss: 0.25),
                DistanceBucket(from: 8, to: 15, count: 1, meanLoss: 0.5),
            ])
    }

    /// ( [ ) ]: the ) closes the ( and the [ left open inside it; the ] then has no opener.
    func testUnmatchedClosersAreNotCounted() {
        let tokens: [Int32] = [1, 4, 0, 2, 0, 5]
        let r = MemoryProbe.analyze(tokens: tokens, losses: [1, 1, 1, 1, 1], symbols: symbols)
        XCTAssertEqual(r.closerLoss, [DistanceBucket(from: 2, to: 3, count: 1, meanLoss: 1)])
        XCTAssertEqual(r.closerChoice, [], "no choice losses given")
        XCTAssertEqual(r.sinceAnchor.map(\.count).reduce(0, +), 5, "every position after the first anchor")
    }

    func testNoAnchorsNoBuckets() {
        let r = MemoryProbe.analyze(
            tokens: [Int32](repeating: 0, count: 50), losses: [Double](repeating: 1, count: 49),
            symbols: symbols)
        XCTAssertEqual(r, MemoryProbeResult(sinceAnchor: [], closerLoss: [], closerChoice: []))
    }

    /// The per-position losses are those of the one-stream evaluation; a closer's choice loss is
    /// at most its full loss (the closers' share of the probability is at most 1) and at least 0.
    func testPositionScoresAreTheOneStreamEvaluation() throws {
        let V = 9
        for cell in [CellKind.lstm, .gru] {
            let model = try LanguageModel(
                config: ModelConfig(
                    cell: cell, layers: 2, hidden: 8, embedding: 6,
                    vocabularySize: V), seed: 4)
            let data = randomTokens(count: 300, vocabulary: V, seed: 9)
            let scores = scorePositions(model: model, data: data, closers: [2, 5])
            XCTAssertEqual(scores.losses.count, 299)
            let reference = evaluateStepwise(model: model, data: data, precision: .float32)
            XCTAssertEqual(scores.report.lossNats, reference.lossNats, accuracy: 1e-9 * reference.lossNats)
            XCTAssertEqual(scores.report.chars, reference.chars)
            var closers = 0
            for i in 0..<299 {
                if data[i + 1] == 2 || data[i + 1] == 5 {
                    closers += 1
                    XCTAssertGreaterThanOrEqual(scores.choices[i], 0)
                    XCTAssertLessThanOrEqual(scores.choices[i], scores.losses[i] + 1e-6)
                } else {
                    XCTAssertTrue(scores.choices[i].isNaN)
                }
            }
            XCTAssertGreaterThan(closers, 30)
        }
    }
}

import Models
import Optimization
import Training
import XCTest

/// The recipe `train --max-time` picks: a pure function of the budget, the corpus size and the
/// machine's speed.
final class RecipeTests: XCTestCase {
    let tinyshakespeare = 1_115_394

    func testTenMinutesOnTinyshakespeare() {
        let r = RecipeBook.choose(seconds: 600, corpusUnits: tinyshakespeare)
        XCTAssertEqual(r.cell, .gru)
        XCTAssertEqual(r.layers, 2)
        XCTAssertEqual(r.hidden, 384)
        // 600 s × 97% × 10,550 chars/s / 2,500 chars per step.
        XCTAssertEqual(r.expectedSteps, 2_456)
        XCTAssertEqual(r.expectedEpochs, 2_456.0 * 2_500 / (Double(tinyshakespeare) * 0.9), accuracy: 1e-9)
        XCTAssertEqual(r.dropout, 0.2)
        XCTAssertEqual(r.learningRate, 2e-3)
        XCTAssertEqual(r.schedule, .cosine(warmup: 100))
        XCTAssertEqual(r.evalEvery, 900)
        XCTAssertEqual(r.resetSpan, 250)
        XCTAssertEqual(r.resetEvery(seq: 50), 5)
        XCTAssertEqual(r.resetEvery(seq: 16), 16, "250 / 16 = 15.6: the nearest whole number of windows")
        XCTAssertEqual(r.resetEvery(seq: 1000), 1, "a window longer than the span: every window")
    }

    func testSummaryNamesEveryChoice() {
        let r = RecipeBook.choose(seconds: 600, corpusUnits: tinyshakespeare)
        XCTAssertEqual(
            r.summary,
            "2×384 gru, dropout 0.2, adam lr 0.002, cosine:100, state reset every 250 characters, validation every 900 steps "
                + "(~2,456 steps of B 50 × S 50, ~6.1 epochs on the reference machine)")
        let unknown = RecipeBook.choose(seconds: 600, corpusUnits: nil)
        XCTAssertEqual(unknown.dropout, 0, "a corpus of unknown size gets no dropout")
        XCTAssertFalse(unknown.summary.contains("epochs"), unknown.summary)
    }

    /// A larger budget never picks a smaller model; the extremes are the ladder's ends.
    func testModelGrowsWithTheBudget() {
        var previous = 0
        for seconds in stride(from: 1.0, through: 7_200, by: 30) {
            let r = RecipeBook.choose(seconds: seconds, corpusUnits: tinyshakespeare)
            let index = RecipeBook.ladder.firstIndex { $0.hidden == r.hidden && $0.cell == r.cell }
            let i = try? XCTUnwrap(index, "\(r.summary) is not on the ladder")
            XCTAssertGreaterThanOrEqual(i ?? -1, previous, "\(seconds) s")
            previous = i ?? previous
        }
        XCTAssertEqual(RecipeBook.choose(seconds: 1, corpusUnits: tinyshakespeare).hidden, RecipeBook.ladder[0].hidden)
        XCTAssertEqual(
            RecipeBook.choose(seconds: 36_000, corpusUnits: tinyshakespeare).hidden,
            RecipeBook.ladder.last?.hidden)
    }

    /// The picked model reads its minimum characters per parameter whenever the smallest one does,
    /// and the next larger one would not.
    func testThePickedModelIsTheLargestThatGetsTrained() {
        let charsPerStep = Double(RecipeBook.batch * RecipeBook.seq)
        for seconds in [10.0, 60, 180, 600, 1_800, 3_600] {
            let r = RecipeBook.choose(seconds: seconds, corpusUnits: tinyshakespeare)
            let i = RecipeBook.ladder.firstIndex { $0.hidden == r.hidden } ?? -1
            let perParameter = Double(r.expectedSteps) * charsPerStep / Double(RecipeBook.ladder[max(i, 0)].parameters)
            if i > 0 { XCTAssertGreaterThanOrEqual(perParameter, RecipeBook.minimumCharsPerParameter, r.summary) }
            if i + 1 < RecipeBook.ladder.count {
                let next = RecipeBook.ladder[i + 1]
                let nextSteps = seconds * (1 - RecipeBook.evaluationShare) * next.charsPerSecond / charsPerStep
                XCTAssertLessThan(
                    nextSteps * charsPerStep / Double(next.parameters),
                    RecipeBook.minimumCharsPerParameter, "\(seconds) s: \(r.summary)")
            }
            XCTAssertLessThanOrEqual(r.warmup, max(r.expectedSteps / 20, 0))
        }
        XCTAssertEqual(RecipeBook.choose(seconds: 180, corpusUnits: tinyshakespeare).hidden, 256)
        XCTAssertEqual(RecipeBook.choose(seconds: 3_600, corpusUnits: tinyshakespeare).hidden, 512)
    }

    /// A machine twice as fast buys what twice the budget buys on the reference one.
    func testSpeedScalesLikeTheBudget() {
        for seconds in [30.0, 300, 600, 1_200] {
            XCTAssertEqual(
                RecipeBook.choose(seconds: seconds, corpusUnits: tinyshakespeare, speed: 2),
                RecipeBook.choose(seconds: 2 * seconds, corpusUnits: tinyshakespeare))
        }
    }

    /// The same steps over a smaller text are more passes over it: more dropout, never less.
    func testDropoutGrowsAsTheCorpusShrinks() {
        var previous: Float = 1
        for units in [100_000, 300_000, 1_000_000, 3_000_000, 30_000_000] {
            let r = RecipeBook.choose(seconds: 600, corpusUnits: units)
            XCTAssertLessThanOrEqual(r.dropout, previous, "\(units) units: \(r.summary)")
            previous = r.dropout
        }
        XCTAssertEqual(RecipeBook.choose(seconds: 600, corpusUnits: 30_000_000).dropout, 0)
        XCTAssertEqual(RecipeBook.choose(seconds: 600, corpusUnits: 100_000).dropout, 0.3)
        XCTAssertEqual(RecipeBook.dropout(epochs: 1.9), 0)
        XCTAssertEqual(RecipeBook.dropout(epochs: 8), 0.3)
    }

    /// The training fraction changes the epochs the same steps make, not the model.
    func testTrainFractionOnlyChangesEpochs() {
        let a = RecipeBook.choose(seconds: 600, corpusUnits: tinyshakespeare, trainFraction: 0.9)
        let b = RecipeBook.choose(seconds: 600, corpusUnits: tinyshakespeare, trainFraction: 0.45)
        XCTAssertEqual(a.hidden, b.hidden)
        XCTAssertEqual(a.expectedSteps, b.expectedSteps)
        XCTAssertEqual(b.expectedEpochs, 2 * a.expectedEpochs, accuracy: 1e-9)
    }
}

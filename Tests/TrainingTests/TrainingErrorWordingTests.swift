import Models
import Optimization
import XCTest
import _TestSupport

@testable import Training

/// Training's errors speak in facts and settings ("a batch of 4 streams × 16 steps"), never in
/// flags: the executable's `describe()` words them with `--batch`, `--lr`, `--out`.
final class TrainingErrorWordingTests: XCTestCase {
    func testNoErrorNamesAFlag() {
        var errors: [any Error] = [
            TrainingError.corpusTooSmall(tokens: 36, batch: 4, steps: 16, path: "small.txt"),
            TrainingError.corpusTooSmall(tokens: 1, batch: 4, steps: 16),
            TrainingError.corpusTooSmall(tokens: 100, batch: Int.max, steps: 2),
            TrainingError.vocabularyMismatch("a.txt: not the text the checkpoint c was trained on"),
            TrainingError.checkpoint(path: "c/config.json", reason: "damaged"),
            TrainingError.invalidSetting("a batch of 0 streams"),
            TrainingError.cannotWrite(path: "r", reason: "Permission denied", what: .runDirectory),
            TrainingError.cannotWrite(path: "r/.lock", reason: "Permission denied", what: .lockFile),
            TrainingError.cannotWrite(path: "r/m.jsonl", reason: "No space left on device", what: .metricsFile),
            TrainingError.nonFiniteInitialWeights(forgetBias: 1e30),
            TrainingError.nonFiniteInitialWeights(forgetBias: nil),
            TrainingError.diverged("training diverged: a NaN loss again", remedy: .smallerSteps),
            TrainingError.diverged("training cannot start from the last good state", remedy: .otherStartingWeights),
            TrainingError.runDirectoryInUse(path: "runs/a", pid: 42),
            TrainingError.runDirectoryInUse(path: "runs/a", pid: nil),
            TrainingError.cannotWrite(path: "runs/a/metrics.jsonl", reason: "No space left on device"),
        ]
        // Every setting the validation refuses.
        let refusals: [(inout TrainingSettings) -> Void] = [
            { $0.batch = 0 }, { $0.steps = 0 },
            {
                $0.batch = 1 << 20; $0.steps = 1 << 20
            }, { $0.clip = -1 },
            { $0.optimizer.learningRate = 0 }, { $0.optimizer.beta1 = 1 }, { $0.optimizer.epsilon = 0 },
            { $0.validationFraction = 1 }, { $0.evalEvery = 0 }, { $0.forgetBias = .nan },
            { $0.budget = TrainingBudget(steps: -1) }, { $0.budget = TrainingBudget(epochs: -1) },
            { $0.budget = TrainingBudget(maxTime: -1) }, { $0.schedule = .step(every: 0, factor: 0.5) },
            { $0.schedule = .cosine(warmup: -1) },
        ]
        for refuse in refusals {
            var settings = TrainingSettings()
            refuse(&settings)
            XCTAssertThrowsError(try settings.validate()) { errors.append($0) }
        }
        XCTAssertEqual(errors.count, 16 + refusals.count, "every refusal throws")
        assertSpeaksInFacts(errors)
    }

    func testCorpusTooSmallSuggestsWindowsThatFit() {
        let e = TrainingError.corpusTooSmall(tokens: 36, batch: 4, steps: 16, path: "small.txt")
        XCTAssertEqual(
            "\(e)",
            "small.txt: the training part has 36 characters, too few for a batch of 4 streams × "
                + "16 steps (needs more than 64); a batch of 2 streams × 8 steps fits, or use a smaller "
                + "validation fraction")
        let fit = TrainingError.fittingWindows(tokens: 36, batch: 4, steps: 16)
        XCTAssertLessThan(fit.batch * fit.steps, 36, "a batch needs one more character than its positions")
        XCTAssertEqual(TrainingError.charactersNeeded(batch: Int.max, steps: 2), "more than \(Int.max)")
    }

    /// A write failure says what the file is, its quoted path and the system's reason, on one line.
    func testWriteFailuresNameWhatWasWritten() {
        let cases: [(TrainingError, String)] = [
            (
                .cannotWrite(path: "a-file", reason: "File exists", what: .runDirectory),
                "cannot create the run directory 'a-file': File exists"
            ),
            (
                .cannotWrite(path: "missing/dir/m.jsonl", reason: "No such file or directory", what: .metricsFile),
                "cannot write the metrics file 'missing/dir/m.jsonl': No such file or directory"
            ),
            (
                .cannotWrite(path: "r/.lock", reason: "Permission denied", what: .lockFile),
                "cannot write the lock file 'r/.lock': Permission denied"
            ),
            (
                .cannotWrite(path: "r/.replacing", reason: "Read-only file system"),
                "cannot write 'r/.replacing': Read-only file system"
            ),
            (
                .cannotWrite(path: "a\nb", reason: "File exists", what: .runDirectory),
                "cannot create the run directory 'a\\nb': File exists"
            ),
        ]
        for (error, text) in cases { XCTAssertEqual("\(error)", text) }
    }

    func testDivergenceNamesTheSettingsToChange() {
        XCTAssertEqual(
            "\(TrainingError.diverged("x", remedy: .smallerSteps))",
            "x. Try a lower learning rate or a tighter gradient clip")
        XCTAssertEqual(
            "\(TrainingError.diverged("x", remedy: .otherStartingWeights))",
            "x. Check the forget-gate bias, or the checkpoint's weights")
    }
}

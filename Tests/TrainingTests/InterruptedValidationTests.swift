import Checkpointing
import Foundation
import Models
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// Ctrl-C in the middle of a validation pass.
final class InterruptedValidationTests: XCTestCase {
    func testPartialValidationIsNotRecorded() throws {
        let dir = try temporaryDirectory(self, "interrupt")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 3000).utf8).write(to: URL(fileURLWithPath: corpus))
        let out = dir.appendingPathComponent("run").path
        let session = try TrainingSession(
            corpus: corpus, model: ModelConfig(cell: .gru, layers: 1, hidden: 8, vocabularySize: 1),
            settings: tinySettings(steps: 100, evalEvery: 4), text: TextOptions(),
            outDirectory: out)
        // The validation part (300 characters, B 4, S 16) takes 5 windows; stop after the first.
        var callsAtStep4 = 0
        var events: [TrainingEvent] = []
        let outcome = try session.run(
            onStep: { _ in }, onEvent: { events.append($0) },
            shouldStop: {
                guard session.trainer.progress.step == 4 else { return false }
                callsAtStep4 += 1
                return callsAtStep4 >= 2
            })
        XCTAssertEqual(outcome, .interrupted)
        XCTAssertEqual(session.trainer.progress.step, 4)
        let evaluations = events.filter { if case .evaluation = $0 { return true } else { return false } }
        XCTAssertTrue(evaluations.isEmpty, "an interrupted validation is not reported: \(evaluations)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/best"), "no best/ from a partial validation")
        let latest = try Checkpoint.load(out + "/latest")
        XCTAssertEqual(latest.progress?.step, 4)
        XCTAssertNil(latest.progress?.bestValidationLoss)
        XCTAssertEqual(latest.progress?.history.count, 0)
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        XCTAssertFalse(metrics.contains("\"eval\""), metrics)
    }
}

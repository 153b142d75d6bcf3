import XCTest
import _TestSupport

@testable import Evaluation

/// Dynamic evaluation's settings out of range: which setting, named as the summary JSON names it
/// (`dynamic_window`), never as a flag (the executable's `describe()` adds `--dynamic-window`).
final class DynamicEvaluationErrorTests: XCTestCase {
    func testEachSettingOutOfRangeIsNamed() throws {
        XCTAssertNil(DynamicEvaluationSettings().problem)
        let cases: [(DynamicEvaluationSettings, DynamicEvaluationError.Setting, String)] = [
            (DynamicEvaluationSettings(segment: 0), .segment, "dynamic_window must be ≥ 1, got 0"),
            (
                DynamicEvaluationSettings(learningRate: -1), .learningRate,
                "dynamic_lr must be a finite number ≥ 0, got -1.0"
            ),
            (
                DynamicEvaluationSettings(learningRate: .nan), .learningRate,
                "dynamic_lr must be a finite number ≥ 0, got nan"
            ),
            (DynamicEvaluationSettings(decay: 2), .decay, "dynamic_decay must be in [0, 1], got 2.0"),
            (DynamicEvaluationSettings(decay: -0.5), .decay, "dynamic_decay must be in [0, 1], got -0.5"),
        ]
        for (settings, setting, text) in cases {
            let problem = try XCTUnwrap(settings.problem, "\(settings)")
            XCTAssertEqual(problem.setting, setting)
            XCTAssertEqual("\(problem)", text)
        }
        assertSpeaksInFacts(cases.compactMap { $0.0.problem })
        // The names are the summary JSON's keys.
        let keys = Set(try jsonObject(encoding: DynamicEvaluationSettings()).keys)
        XCTAssertEqual(Set(DynamicEvaluationError.Setting.allCases.map(\.rawValue)), keys)
    }
}

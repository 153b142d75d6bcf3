import Models
import XCTest
import _TestSupport

/// Token ids drawn uniformly from 0..<V (the same sequence the tests drew inside TrainingTests).
func randomTokens(count: Int, vocabulary V: Int, seed: UInt64) -> [Int32] {
    var rng = SeededRandom(seed: seed)
    return (0..<count).map { _ in Int32(rng.below(V)) }
}

/// Every parameter's values, in order.
func weights(_ model: LanguageModel) -> [[Float]] { model.parameters.map { $0.value.array } }

/// Asserts two models have the same parameters, bit for bit.
func assertSameWeights(
    _ a: LanguageModel, _ b: LanguageModel, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.parameters.map(\.name), b.parameters.map(\.name), file: file, line: line)
    for (p, q) in zip(a.parameters, b.parameters) {
        let x = p.value.array, y = q.value.array
        let differing = zip(x, y).filter { $0.bitPattern != $1.bitPattern }.count
        XCTAssertTrue(
            x.count == y.count && differing == 0,
            "\(message) \(p.name): \(differing) of \(x.count) values differ", file: file, line: line)
    }
}

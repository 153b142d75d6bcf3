import Foundation
import Models
import NeuralCore
import Tokenization
import XCTest
import _TestSupport

@testable import Training

/// Token ids drawn uniformly from 0..<V.
func randomTokens(count: Int, vocabulary V: Int, seed: UInt64) -> [Int32] {
    var rng = SeededRandom(seed: seed)
    return (0..<count).map { _ in Int32(rng.below(V)) }
}

/// A vocabulary of V single-letter tokens.
func letterVocabulary(_ V: Int) throws -> Vocabulary {
    let letters = (0..<V).map { String(UnicodeScalar(UInt8(0x41 + $0))) }
    return try Vocabulary(unit: .grapheme, normalization: .nfc, tokens: letters)
}

/// The values of every parameter, in order.
func weights(_ model: LanguageModel) -> [[Float]] { model.parameters.map { $0.value.array } }

/// Asserts two float arrays are bitwise-equal element by element, reporting the largest difference.
func assertIdentical(_ x: [Float], _ y: [Float], _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    guard x.count == y.count else { return XCTFail("\(name): \(x.count) vs \(y.count) values", file: file, line: line) }
    let differing = zip(x, y).filter { $0.bitPattern != $1.bitPattern }
    if !differing.isEmpty {
        let d = differing.map { abs($0 - $1) }.max() ?? .nan
        XCTFail("\(name): \(differing.count) of \(x.count) values differ, max |Δ| = \(d)", file: file, line: line)
    }
}

/// Asserts two models have the same parameters, bit for bit.
func assertSameWeights(
    _ a: LanguageModel, _ b: LanguageModel, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.parameters.map(\.name), b.parameters.map(\.name), file: file, line: line)
    for (p, q) in zip(a.parameters, b.parameters) {
        assertIdentical(p.value.array, q.value.array, message + " " + p.name, file: file, line: line)
    }
}

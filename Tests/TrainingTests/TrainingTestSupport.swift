import Foundation
import Models
import NeuralCore
import Tokenization
import XCTest
import _TestSupport

@testable import Training

/// Seeded pseudo-English (ASCII): words, sentences, lines.
func pseudoEnglish(characters: Int, seed: UInt64 = 5) -> String {
    let words =
        "the of and to in is was that for it with as his on be at by had are but from or have an they which one you were all she there would their we him been has when who will more no if out so said what up its"
        .split(separator: " ")
    var rng = SeededRandom(seed: seed)
    var out = ""
    while out.count < characters {
        let n = 3 + rng.below(8)
        var s = (0..<n).map { _ in String(words[rng.below(words.count)]) }
        s[0] = s[0].prefix(1).uppercased() + s[0].dropFirst()
        out += s.joined(separator: " ") + (rng.below(3) == 0 ? ".\n" : ". ")
    }
    return String(out.prefix(characters))
}

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

/// Settings for a tiny run: B 4, S 16, Adam, constant schedule, a step budget.
func tinySettings(steps: Int, evalEvery: Int = 1000, seed: UInt64 = 1) -> TrainingSettings {
    var s = TrainingSettings()
    s.batch = 4
    s.steps = 16
    s.schedule = .constant
    s.budget = TrainingBudget(steps: steps)
    s.evalEvery = evalEvery
    s.seed = seed
    return s
}

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

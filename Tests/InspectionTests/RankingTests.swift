// Ranking units by what they track, where the answer is known: synthetic unit signals, and a
// hand-set LSTM whose cell 0 counts the characters of the line and whose cell 1 counts open
// brackets — the line-length and bracket cells of Karpathy, Johnson & Fei-Fei (2015), built
// by hand and found again by the ranking through the model's forward pass.
import Foundation
import Inspection
import Models
import NeuralCore
import XCTest

final class RankingTests: XCTestCase {
    func tokens(_ s: String) -> [String] { s.map { String($0) } }

    func testTextProperties() {
        let p = TextProperties.standard(tokens("He \"hi (x\"\n (y)"))
        func values(_ name: String) -> [Double] { p.first { $0.name == name }!.values }
        //                                     H  e  ␠  "  h  i  ␠  (  x  "  ↵  ␠  (  y  )
        XCTAssertEqual(values("in_quotes"), [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(values("bracket_depth"), [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 1])
        XCTAssertEqual(values("line_position"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4])
        XCTAssertEqual(values("word_start"), [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0])
        XCTAssertEqual(values("word_position"), [1, 2, 0, 0, 1, 2, 0, 0, 1, 0, 0, 0, 0, 1, 0])
        XCTAssertEqual(values("uppercase"), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(values("caps_line"), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        let speaker = TextProperties.standard(tokens("Go.\nKING JOHN: Ay\n"))
        //                                            G  o  .  ↵  K  I  N  G  ␠  J  O  H  N  :  ␠  A  y  ↵
        XCTAssertEqual(
            speaker.first { $0.name == "caps_line" }!.values,
            [1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        XCTAssertEqual(values("whitespace"), [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0])
        XCTAssertEqual(values("vowel"), [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    func testPearson() {
        XCTAssertEqual(UnitRanking.pearson([1, 2, 3] as [Float], [2, 4, 6] as [Double])!, 1, accuracy: 1e-12)
        XCTAssertEqual(UnitRanking.pearson([1, 2, 3] as [Float], [3, 2, 1] as [Double])!, -1, accuracy: 1e-12)
        XCTAssertEqual(UnitRanking.pearson([1, 2, 3, 4] as [Double], [1, 3, 2, 4] as [Double])!, 0.8, accuracy: 1e-12)
        XCTAssertNil(UnitRanking.pearson([1, 1, 1] as [Float], [1, 2, 3] as [Double]))
    }

    /// Seeded lines of words with quotes, no brackets.
    func syntheticText(_ n: Int) -> String {
        var rng = SplitMix64(seed: 5)
        var s = ""
        while s.count < n {
            let word = String(repeating: "ab".randomElement(using: &rng)!, count: 1 + Int(rng.next() % 6))
            s += word
            switch rng.next() % 10 {
            case 0: s += "\n"
            case 1: s += " \""
            case 2: s += "\" "
            default: s += " "
            }
        }
        return String(s.prefix(n))
    }

    func testSyntheticSignalsAreFound() {
        let text = tokens(syntheticText(800))
        let properties = TextProperties.standard(text)
        let column = properties.first { $0.name == "line_position" }!.values
        let quotes = properties.first { $0.name == "in_quotes" }!.values
        var rng = SplitMix64(seed: 11)
        var series: [Signal: [Float]] = [:]
        let lineUnit = Signal(layer: 1, kind: .c, unit: 3), quoteUnit = Signal(layer: 0, kind: .h, unit: 7)
        series[lineUnit] = column.map { Float(0.3 * $0) + rng.nextFloat(in: -0.2, 0.2) }
        series[quoteUnit] = quotes.map { Float(-$0) + rng.nextFloat(in: -0.1, 0.1) }
        for u in 0..<40 { series[Signal(layer: 0, kind: .i, unit: u)] = text.map { _ in rng.nextFloat(in: 0, 1) } }
        series[Signal(layer: 0, kind: .f, unit: 0)] = [Float](repeating: 0.5, count: text.count)  // constant
        let signals = series.keys.sorted { "\($0)" < "\($1)" }
        let ranking = UnitRanking.rank(properties: properties, signals: signals, top: 3) { series[$0]! }
        func ranked(_ name: String) -> PropertyRanking { ranking.first { $0.property == name }! }

        let line = ranked("line_position")
        XCTAssertEqual(line.best.first?.signal, lineUnit)
        XCTAssertGreaterThan(line.best.first!.correlation, 0.99)
        XCTAssertEqual(line.best.count, 3)
        XCTAssertLessThan(line.chanceLevel!, 0.9, "the shifted property should not line up with any unit")
        XCTAssertGreaterThan(line.chanceLevel!, 0, "some unit correlates a little with the shifted property")
        let quote = ranked("in_quotes")
        XCTAssertEqual(quote.best.first?.signal, quoteUnit)
        XCTAssertLessThan(quote.best.first!.correlation, -0.98, "a unit tracking by going down keeps its sign")
        // No brackets in the text: nothing to rank, and no chance level.
        let brackets = ranked("bracket_depth")
        XCTAssertFalse(brackets.varies)
        XCTAssertTrue(brackets.best.isEmpty)
        XCTAssertNil(brackets.chanceLevel)
        // Best first, and the constant unit never appears.
        for r in ranking {
            XCTAssertTrue(zip(r.best, r.best.dropFirst()).allSatisfy { abs($0.correlation) >= abs($1.correlation) })
            XCTAssertFalse(r.best.contains { $0.signal.kind == .f })
        }
    }

    // MARK: A hand-set LSTM

    static let alphabet = ["a", "b", " ", "\n", "(", ")"]

    /// One layer of 2 LSTM units, one-hot embedding. Unit 0: input gate open, forget gate shut only
    /// at a newline, constant candidate: c grows by tanh(0.5) per character of the line. Unit 1:
    /// input gate open only at a bracket, candidate +1 for "(" and −1 for ")", forget gate open:
    /// c counts the open brackets.
    func handSetModel() throws -> LanguageModel {
        let V = Self.alphabet.count, H = 2
        let config = ModelConfig(cell: .lstm, layers: 1, hidden: H, embedding: V, vocabularySize: V)
        let m = try LanguageModel(config: config)
        for p in m.parameters { p.value.zero() }
        for v in 0..<V { m.encoder.value.pointer[v * V + v] = 1 }
        let w = m.layers[0].weightIH.value.pointer, b = m.layers[0].biasIH.value.pointer
        let newline = 3, open = 4, close = 5
        func row(_ gate: Int, _ unit: Int) -> Int { gate * H + unit }  // gates i, f, g, o
        b[row(0, 0)] = 10
        b[row(1, 0)] = 10; w[row(1, 0) * V + newline] = -20
        b[row(2, 0)] = 0.5
        b[row(0, 1)] = -10; w[row(0, 1) * V + open] = 20; w[row(0, 1) * V + close] = 20
        b[row(1, 1)] = 10
        w[row(2, 1) * V + open] = 5; w[row(2, 1) * V + close] = -5
        return m
    }

    /// Seeded lines of a/b words with balanced brackets up to depth 3.
    func bracketText(_ n: Int) -> String {
        var rng = SplitMix64(seed: 21)
        var s = "", depth = 0
        while s.count < n {
            switch rng.next() % 12 {
            case 0 where depth < 3: s += "("; depth += 1
            case 1 where depth > 0: s += ")"; depth -= 1
            case 2: s += "\n"
            case 3, 4: s += " "
            default: s += rng.next() % 2 == 0 ? "a" : "b"
            }
        }
        return String(s.prefix(n))
    }

    func testHandSetCellsAreFoundThroughTheModel() throws {
        let model = try handSetModel()
        let text = tokens(bracketText(700))
        let ids = text.map { Int32(Self.alphabet.firstIndex(of: $0)!) }
        let trace = ActivationTrace(model: model, ids: ids)
        let ranking = UnitRanking.rank(trace, properties: TextProperties.standard(text), top: 5)
        func best(_ name: String) -> RankedUnit { ranking.first { $0.property == name }!.best[0] }
        XCTAssertEqual(best("line_position").signal, Signal(layer: 0, kind: .c, unit: 0))
        XCTAssertGreaterThan(best("line_position").correlation, 0.999)
        XCTAssertEqual(best("bracket_depth").signal, Signal(layer: 0, kind: .c, unit: 1))
        XCTAssertGreaterThan(best("bracket_depth").correlation, 0.99)
        // Through the report too (what inspect.json and the page list).
        let report = InspectionReport(trace: trace, tokenText: Self.alphabet, source: "hand-set", top: 2)
        let line = report.ranking.first { $0.property == "line_position" }!
        XCTAssertEqual(line.best.count, 2)
        XCTAssertEqual([line.best[0].layer, line.best[0].unit], [0, 0])
        XCTAssertEqual(line.best[0].kind, "c")
        XCTAssertLessThan(line.chanceLevel!, 0.5)
    }
}

extension RankingTests {
    func testShortTextsAreNotRanked() {
        let text = tokens("ab c\nabc")
        let ranking = UnitRanking.rank(
            properties: TextProperties.standard(text),
            signals: [Signal(layer: 0, kind: .h, unit: 0)]
        ) { _ in
            text.indices.map { Float($0) }
        }
        XCTAssertTrue(ranking.contains { $0.varies })
        XCTAssertTrue(ranking.allSatisfy { $0.best.isEmpty && $0.chanceLevel == nil })
    }
}

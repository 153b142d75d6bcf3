import Foundation
import XCTest

@testable import Evaluation

/// The synthetic bracket corpus: every closer matches its opener at the recorded distance, the
/// distances follow the stated distribution, and a seed gives one text.
final class BracketCorpusTests: XCTestCase {
    /// Re-parses the text with a stack and checks it against `pairs`.
    func checkStructure(_ c: BracketCorpus, span: ClosedRange<Int>, file: StaticString = #filePath, line: UInt = #line)
    {
        var stack: [(kind: Int, at: Int)] = []
        var parsed: [[Int]] = []  // open, close, kind
        for (j, b) in c.bytes.enumerated() {
            if let k = BracketCorpus.openers.firstIndex(of: b) {
                stack.append((k, j))
                parsed.append([j, -1, k])
            } else if let k = BracketCorpus.closers.firstIndex(of: b) {
                guard let top = stack.popLast() else {
                    return XCTFail("closer at \(j) with nothing open", file: file, line: line)
                }
                XCTAssertEqual(top.kind, k, "closer at \(j) must match the opener at \(top.at)", file: file, line: line)
                let i = parsed.lastIndex { $0[0] == top.at }!
                parsed[i][1] = j
                XCTAssertTrue(
                    span.contains(j - top.at), "distance \(j - top.at) outside \(span)", file: file, line: line)
            } else {
                XCTAssertTrue(BracketCorpus.filler.contains(b), "byte \(b) at \(j)", file: file, line: line)
            }
        }
        XCTAssertTrue(stack.isEmpty, "every pair closes inside the text", file: file, line: line)
        XCTAssertEqual(parsed, c.pairs.map { [$0.open, $0.close, $0.kind] }, file: file, line: line)
    }

    func testEveryCloserMatchesItsOpenerWithinTheSpan() {
        for (seed, span) in [(1, 5...200), (2, 2...3), (3, 40...40), (4, 2...1000)] as [(UInt64, ClosedRange<Int>)] {
            let c = BracketCorpus(count: 50_000, span: span, seed: seed)
            XCTAssertEqual(c.bytes.count, 50_000)
            XCTAssertGreaterThan(c.pairs.count, 100, "\(span)")
            checkStructure(c, span: span)
        }
        // Nesting happens.
        let c = BracketCorpus(count: 50_000, span: 5...200, seed: 1)
        let nested = c.pairs.filter { p in c.pairs.contains { $0.open < p.open && p.close < $0.close } }
        XCTAssertGreaterThan(nested.count, 50)
    }

    /// A pair at the top level draws its distance log-uniformly: equal counts per octave of 4…255.
    func testTopLevelDistancesAreLogUniform() {
        let c = BracketCorpus(count: 300_000, span: 4...255, seed: 7)
        // Pairs come in opener order: a pair is at the top level when every earlier one has closed.
        var top: [BracketCorpus.Pair] = []
        var lastClose = -1
        for p in c.pairs {
            if p.open > lastClose { top.append(p) }
            lastClose = max(lastClose, p.close)
        }
        var octaves = [Int](repeating: 0, count: 8)
        for p in top { octaves[MemoryProbe.bucket(of: p.distance)] += 1 }
        let used = Array(octaves[2...7])
        XCTAssertEqual(octaves[0] + octaves[1], 0)
        let mean = Double(used.reduce(0, +)) / 6
        XCTAssertGreaterThan(mean, 300)
        for n in used { XCTAssertEqual(Double(n), mean, accuracy: mean * 0.2, "\(octaves)") }
        // All four kinds occur about equally.
        for k in 0..<4 {
            XCTAssertEqual(
                Double(c.pairs.filter { $0.kind == k }.count), Double(c.pairs.count) / 4,
                accuracy: Double(c.pairs.count) * 0.05)
        }
    }

    func testASeedGivesOneText() {
        let a = BracketCorpus(count: 20_000, span: 5...200, seed: 11)
        XCTAssertEqual(a.bytes, BracketCorpus(count: 20_000, span: 5...200, seed: 11).bytes)
        XCTAssertEqual(a.pairs, BracketCorpus(count: 20_000, span: 5...200, seed: 11).pairs)
        XCTAssertNotEqual(a.bytes, BracketCorpus(count: 20_000, span: 5...200, seed: 12).bytes)
    }

    /// Texts too short for any pair are filler only.
    func testShortTexts() {
        XCTAssertEqual(BracketCorpus(count: 1, span: 2...5, seed: 1).bytes.count, 1)
        let c = BracketCorpus(count: 5, span: 10...20, seed: 1)
        XCTAssertTrue(c.pairs.isEmpty)
        XCTAssertTrue(c.bytes.allSatisfy(BracketCorpus.filler.contains))
    }
}

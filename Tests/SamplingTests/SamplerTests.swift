import Foundation
import NeuralCore
import Sampling
import XCTest

final class SamplerTests: XCTestCase {
    // MARK: - Helpers

    private func settings(_ t: Float = 1, topK: Int? = nil, topP: Float? = nil) -> SamplingSettings {
        try! SamplingSettings(temperature: t, topK: topK, topP: topP)
    }

    /// V logits uniform in [-spread, spread]; with `tieLevels`, quantized to that many values (many ties).
    private func randomLogits(_ v: Int, _ g: inout SplitMix64, spread: Float = 4, tieLevels: Int? = nil) -> [Float] {
        (0..<v).map { _ in
            let u = g.nextUnitFloat()
            if let levels = tieLevels { return Float(Int(u * Float(levels))) }
            return spread * (2 * u - 1)
        }
    }

    /// A straightforward Double reference of the documented pipeline: full sort, prefix, renormalize.
    private func reference(_ logits: [Float], _ s: SamplingSettings) -> [Double] {
        let v = logits.count
        let keys = logits.map { $0.isNaN ? -Float.infinity : $0 }
        var out = [Double](repeating: 0, count: v)
        let maxKey = keys.max()!
        if s.temperature == 0 || maxKey == -.infinity {
            out[keys.firstIndex(of: maxKey)!] = 1
            return out
        }
        let w: [Double] = keys.map { k in
            if maxKey == .infinity { return k == .infinity ? 1 : 0 }
            return k == -.infinity ? 0 : exp((Double(k) - Double(maxKey)) / Double(s.temperature))
        }
        var ids = (0..<v).filter { w[$0] > 0 }.sorted { keys[$0] > keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
        if let k = s.topK, k > 0 { ids = Array(ids.prefix(k)) }
        if let p = s.topP, p < 1 {
            let mass = ids.reduce(0) { $0 + w[$1] }
            var kept: [Int] = []
            var cum = 0.0
            for id in ids {
                kept.append(id)
                cum += w[id]
                if cum >= Double(p) * mass { break }
            }
            ids = kept
        }
        let total = ids.reduce(0) { $0 + w[$1] }
        for id in ids { out[id] = w[id] / total }
        return out
    }

    /// Draws `n` times and checks every frequency against `expected` within 5 standard
    /// errors, tokens with probability 0 never appearing, and Pearson's chi-square over
    /// the possible tokens below its 1 − 1e-4 quantile. The draws are seeded, so the test
    /// is deterministic; the bounds say how unlikely a failure of a correct sampler is
    /// (≈ 6e-7 per frequency at 5σ, 1e-4 for the chi-square).
    private func assertFrequencies(
        _ s: SamplingSettings, logits: [Float], expected: [Double], seed: UInt64, draws n: Int = 20_000,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var sampler = Sampler(settings: s, seed: seed)
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<n { counts[sampler.draw(logits: logits)] += 1 }
        var chiSquare = 0.0
        var possible = 0
        for (i, p) in expected.enumerated() {
            let f = Double(counts[i]) / Double(n)
            if p == 0 {
                XCTAssertEqual(counts[i], 0, "token \(i) has probability 0 but was drawn", file: file, line: line)
                continue
            }
            possible += 1
            let se = (p * (1 - p) / Double(n)).squareRoot()
            XCTAssertEqual(f, p, accuracy: 5 * se, "frequency of token \(i)", file: file, line: line)
            let e = p * Double(n)
            chiSquare += (Double(counts[i]) - e) * (Double(counts[i]) - e) / e
        }
        // Upper 1e-4 quantiles of chi-square with 1, 2, 3 degrees of freedom.
        let bounds = [1: 15.137, 2: 18.421, 3: 21.108]
        if let bound = bounds[possible - 1] {
            XCTAssertLessThan(chiSquare, bound, "chi-square with \(possible - 1) dof", file: file, line: line)
        }
    }

    /// Logits log(0.1), log(0.2), log(0.3), log(0.4).
    private let fourLogits: [Float] = [0.1, 0.2, 0.3, 0.4].map { Float(log($0)) }

    // MARK: - Settings

    func testDefaultSettings() throws {
        let s = try SamplingSettings()
        XCTAssertEqual(s.temperature, 1)
        XCTAssertNil(s.topK)
        XCTAssertNil(s.topP)
        // Boundary values that are valid.
        XCTAssertNoThrow(try SamplingSettings(temperature: 0, topK: 0, topP: 1))
        XCTAssertNoThrow(try SamplingSettings(temperature: 100, topK: 1, topP: 1e-6))
    }

    func testInvalidSettingsThrowWithMessages() {
        func message(_ t: Float = 1, topK: Int? = nil, topP: Float? = nil) -> (SamplingError?, String?) {
            do {
                _ = try SamplingSettings(temperature: t, topK: topK, topP: topP)
                return (nil, nil)
            } catch let error as SamplingError {
                return (error, error.localizedDescription)
            } catch {
                return (nil, "unexpected \(error)")
            }
        }
        let cases: [((SamplingError?, String?), SamplingError, String)] = [
            (message(-1), .invalidTemperature(-1), "temperature must be a finite number ≥ 0 (0 = greedy), got -1"),
            (
                message(-0.5), .invalidTemperature(-0.5),
                "temperature must be a finite number ≥ 0 (0 = greedy), got -0.5"
            ),
            (message(.nan), .invalidTemperature(.nan), "temperature must be a finite number ≥ 0 (0 = greedy), got nan"),
            (
                message(.infinity), .invalidTemperature(.infinity),
                "temperature must be a finite number ≥ 0 (0 = greedy), got inf"
            ),
            (message(topK: -3), .invalidTopK(-3), "top-k must be ≥ 0 (0 = off), got -3"),
            (message(topP: 0), .invalidTopP(0), "top-p must be in (0, 1] (1 = off), got 0"),
            (message(topP: 1.5), .invalidTopP(1.5), "top-p must be in (0, 1] (1 = off), got 1.5"),
            (message(topP: -0.25), .invalidTopP(-0.25), "top-p must be in (0, 1] (1 = off), got -0.25"),
            (message(topP: .nan), .invalidTopP(.nan), "top-p must be in (0, 1] (1 = off), got nan"),
        ]
        for ((error, text), expectedError, expectedText) in cases {
            XCTAssertEqual(error, expectedError)
            XCTAssertEqual(text, expectedText)
            XCTAssertEqual(error.map { "\($0)" }, expectedText)
        }
    }

    // MARK: - Determinism and the random stream

    func testSeededDeterminism() {
        var g = SplitMix64(seed: 7)
        let logits = randomLogits(65, &g, spread: 3)
        for s in [settings(1), settings(0.7, topK: 10), settings(1.3, topP: 0.9), settings(0.9, topK: 20, topP: 0.8)] {
            var a = Sampler(settings: s, seed: 2024)
            var b = Sampler(settings: s, seed: 2024)
            var c = Sampler(settings: s, seed: 2025)
            let da = (0..<1000).map { _ in a.draw(logits: logits) }
            let db = (0..<1000).map { _ in b.draw(logits: logits) }
            let dc = (0..<1000).map { _ in c.draw(logits: logits) }
            XCTAssertEqual(da, db, "\(s)")
            XCTAssertNotEqual(da, dc, "\(s)")
            XCTAssertGreaterThan(Set(da).count, 1, "\(s) should not be degenerate")
        }
    }

    func testRandomConsumption() {
        var g = SplitMix64(seed: 3)
        let logits = randomLogits(50, &g)
        // Greedy consumes nothing.
        var greedy = Sampler(settings: settings(0), seed: 99)
        for _ in 0..<100 { _ = greedy.draw(logits: logits) }
        XCTAssertEqual(greedy.rng, SplitMix64(seed: 99))
        // Any other draw consumes exactly one value, even when one token survives.
        for s in [settings(1), settings(0.5, topK: 1), settings(2, topP: 1e-6), settings(1, topK: 5, topP: 0.5)] {
            var sampler = Sampler(settings: s, seed: 99)
            var reference = SplitMix64(seed: 99)
            for _ in 0..<100 {
                _ = sampler.draw(logits: logits)
                _ = reference.nextUnitDouble()
            }
            XCTAssertEqual(sampler.rng, reference, "\(s)")
        }
    }

    func testCopiesAreIndependentValues() {
        var g = SplitMix64(seed: 11)
        let logits = randomLogits(40, &g)
        var a = Sampler(settings: settings(1, topK: 8), seed: 5)
        _ = a.draw(logits: logits)  // warm the scratch, then share it with a copy
        var b = a
        let fromA = (0..<200).map { _ in a.draw(logits: logits) }
        let fromB = (0..<200).map { _ in b.draw(logits: logits) }
        XCTAssertEqual(fromA, fromB)
    }

    func testBufferAndArrayEntryPointsAgreeAndVocabularySizeMayChange() {
        var g = SplitMix64(seed: 12)
        var a = Sampler(settings: settings(0.8, topK: 30, topP: 0.95), seed: 1)
        var b = a
        for v in [10, 500, 3, 500, 1, 64] {
            let logits = randomLogits(v, &g)
            for _ in 0..<20 {
                let x = a.draw(logits: logits)
                let y = logits.withUnsafeBufferPointer { b.draw(logits: $0) }
                XCTAssertEqual(x, y)
                XCTAssert((0..<v).contains(x))
            }
        }
    }

    // MARK: - Greedy equivalences

    func testTemperatureZeroEqualsTopK1AndTinyTopP() {
        var g = SplitMix64(seed: 21)
        var greedy = Sampler(settings: settings(0), seed: 1)
        var top1 = Sampler(settings: settings(1, topK: 1), seed: 2)
        var tinyP = Sampler(settings: settings(1.5, topP: 1e-6), seed: 3)
        for trial in 0..<300 {
            let v = 2 + Int(g.next() % 200)
            // Every third vector is heavily tied, to exercise the lowest-id rule.
            let logits = randomLogits(v, &g, tieLevels: trial % 3 == 0 ? 3 : nil)
            let expected = logits.indices.max { (logits[$0], -$0) < (logits[$1], -$1) }!
            XCTAssertEqual(greedy.draw(logits: logits), expected)
            XCTAssertEqual(top1.draw(logits: logits), expected)
            XCTAssertEqual(tinyP.draw(logits: logits), expected)
        }
    }

    func testGreedyTiesGoToTheLowestId() {
        var s = Sampler(settings: settings(0), seed: 0)
        XCTAssertEqual(s.draw(logits: [1, 3, 2, 3, 3]), 1)
        XCTAssertEqual(s.distribution(logits: [1, 3, 2, 3, 3]), [0, 1, 0, 0, 0])
    }

    // MARK: - Statistics of the categorical draw

    func testCategoricalFrequencies() {
        assertFrequencies(settings(1), logits: fourLogits, expected: [0.1, 0.2, 0.3, 0.4], seed: 101)
    }

    func testTemperatureTwoFlattens() {
        // p^(1/T) renormalized.
        let root = [0.1, 0.2, 0.3, 0.4].map { $0.squareRoot() }
        let sum = root.reduce(0, +)
        assertFrequencies(settings(2), logits: fourLogits, expected: root.map { $0 / sum }, seed: 102)
    }

    func testTopK2KeepsTwoRenormalized() {
        assertFrequencies(settings(1, topK: 2), logits: fourLogits, expected: [0, 0, 0.3 / 0.7, 0.4 / 0.7], seed: 103)
    }

    func testTopPHalfKeepsTheNucleus() {
        // Sorted: 0.4 (cum 0.4 < 0.5), 0.3 (cum 0.7 ≥ 0.5) → {2, 3}.
        assertFrequencies(
            settings(1, topP: 0.5), logits: fourLogits, expected: [0, 0, 0.3 / 0.7, 0.4 / 0.7], seed: 104)
        // P = 0.75: 0.4, 0.7, 0.9 → {1, 2, 3}.
        assertFrequencies(
            settings(1, topP: 0.75), logits: fourLogits, expected: [0, 0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9], seed: 105)
    }

    func testTopKThenTopPRenormalizesBetweenFilters() {
        // Top-3 = {1, 2, 3} renormalized: 2/9, 3/9, 4/9. P = 0.6: 4/9 ≈ 0.44 < 0.6, 7/9 ≥ 0.6 → {2, 3}.
        assertFrequencies(
            settings(1, topK: 3, topP: 0.6), logits: fourLogits,
            expected: [0, 0, 0.3 / 0.7, 0.4 / 0.7], seed: 106)
        // Top-p sees the distribution renormalized after top-k: after top-2, 4/7 ≈ 0.57 ≥ 0.55 keeps
        // one token, where the unfiltered 0.4 < 0.55 would have kept two.
        let d = Sampler(settings: settings(1, topK: 2, topP: 0.55), seed: 0).distribution(logits: fourLogits)
        XCTAssertEqual(d, [0, 0, 0, 1])
    }

    func testLargeVocabularyDrawsStayInTheSupport() {
        var g = SplitMix64(seed: 31)
        let logits = randomLogits(10_000, &g, spread: 6)
        for s in [settings(0.8, topK: 40), settings(1, topP: 0.3), settings(1.2, topK: 200, topP: 0.9)] {
            var sampler = Sampler(settings: s, seed: 8)
            let d = sampler.distribution(logits: logits)
            let support = Set(d.indices.filter { d[$0] > 0 })
            if let k = s.topK { XCTAssertLessThanOrEqual(support.count, k) }
            for _ in 0..<500 { XCTAssert(support.contains(sampler.draw(logits: logits)), "\(s)") }
        }
    }

    // MARK: - The distribution

    func testDistributionHandComputed() {
        func check(_ s: SamplingSettings, _ expected: [Double], line: UInt = #line) {
            let d = Sampler(settings: s, seed: 0).distribution(logits: fourLogits)
            XCTAssertEqual(d.count, expected.count, line: line)
            for (x, y) in zip(d, expected) { XCTAssertEqual(x, y, accuracy: 1e-6, line: line) }
        }
        check(settings(1), [0.1, 0.2, 0.3, 0.4])
        check(settings(0.5), [1, 4, 9, 16].map { $0 / 30 })  // p² renormalized
        check(settings(1, topK: 2), [0, 0, 3.0 / 7, 4.0 / 7])
        check(settings(1, topK: 4), [0.1, 0.2, 0.3, 0.4])
        check(settings(1, topK: 100), [0.1, 0.2, 0.3, 0.4])
        check(settings(1, topP: 0.5), [0, 0, 3.0 / 7, 4.0 / 7])
        check(settings(1, topP: 1), [0.1, 0.2, 0.3, 0.4])
        check(settings(0), [0, 0, 0, 1])
        // Exact: logits 0, ln 3 at T = 1 → 1/4, 3/4.
        let exact = Sampler(settings: settings(1), seed: 0).distribution(logits: [0, Float(log(3.0))])
        XCTAssertEqual(exact[0], 0.25, accuracy: 1e-7)
        XCTAssertEqual(exact[1], 0.75, accuracy: 1e-7)
    }

    func testTopKBoundaryTiesKeepTheLowestIds() {
        // Ranks: id 1 (3), then ids 0, 2, 4 tied at 2; top-3 keeps ids 1, 0, 2.
        let d = Sampler(settings: settings(1, topK: 3), seed: 0).distribution(logits: [2, 3, 2, 1, 2])
        let e = exp(-1.0)
        let total = 1 + 2 * e
        XCTAssertEqual(d[0], e / total, accuracy: 1e-12)
        XCTAssertEqual(d[1], 1 / total, accuracy: 1e-12)
        XCTAssertEqual(d[2], e / total, accuracy: 1e-12)
        XCTAssertEqual(d[3], 0)
        XCTAssertEqual(d[4], 0)
    }

    func testDistributionMatchesReferenceOnRandomVectors() {
        var g = SplitMix64(seed: 41)
        for trial in 0..<400 {
            let v = 1 + Int(g.next() % 300)
            var logits = randomLogits(v, &g, spread: 8, tieLevels: trial % 4 == 0 ? 6 : nil)
            if trial % 5 == 0 { logits[Int(g.next() % UInt64(v))] = -.infinity }
            if trial % 7 == 0 { logits[Int(g.next() % UInt64(v))] = .nan }
            let t: Float = [0, 0.3, 1, 2.5][trial % 4 == 0 ? Int(g.next() % 4) : 1 + Int(g.next() % 3)]
            let k: Int? = [nil, 0, 1, 5, 50, 1000][Int(g.next() % 6)]
            let p: Float? = [nil, 1, 0.9, 0.5, 0.05][Int(g.next() % 5)]
            let s = settings(t, topK: k, topP: p)
            let d = Sampler(settings: s, seed: 0).distribution(logits: logits)
            let r = reference(logits, s)
            XCTAssertEqual(d.reduce(0, +), 1, accuracy: 1e-12)
            for i in 0..<v {
                XCTAssertEqual(d[i], r[i], accuracy: 1e-12, "trial \(trial) id \(i) \(s)")
                XCTAssertEqual(d[i] == 0, r[i] == 0, "support differs: trial \(trial) id \(i) \(s)")
            }
        }
    }

    // MARK: - NaN and infinities

    func testNaNAndInfiniteLogitsNeverTrap() {
        let nan = Float.nan, inf = Float.infinity
        let vectors: [[Float]] = [
            [nan, 1, nan, 2],
            [nan, nan, nan],
            [-inf, -inf, -inf, -inf],
            [nan, -inf, nan],
            [1, inf, 2, inf],
            [-inf, 0.5, -inf],
            [nan],
            [3],
            [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0],
        ]
        let all = [
            settings(0), settings(1), settings(0.01), settings(10, topK: 2), settings(1, topP: 0.5),
            settings(1, topK: 1, topP: 0.1), settings(1e-30), settings(Float.greatestFiniteMagnitude),
        ]
        for logits in vectors {
            for s in all {
                var sampler = Sampler(settings: s, seed: 77)
                let d = sampler.distribution(logits: logits)
                XCTAssertFalse(d.contains { $0.isNaN || $0 < 0 }, "\(logits) \(s)")
                XCTAssertEqual(d.reduce(0, +), 1, accuracy: 1e-12, "\(logits) \(s)")
                for _ in 0..<50 {
                    let id = sampler.draw(logits: logits)
                    XCTAssert(d[id] > 0, "drew \(id) with probability 0 from \(logits) \(s)")
                    XCTAssertFalse(
                        logits[id].isNaN && logits.contains { $0 > -.infinity },
                        "drew a NaN logit from \(logits)")
                }
            }
        }
        // All −∞ / NaN: id 0 in every mode; +∞ logits share the mass.
        for s in all {
            var sampler = Sampler(settings: s, seed: 1)
            XCTAssertEqual(sampler.draw(logits: [-inf, -inf, -inf]), 0)
            XCTAssertEqual(sampler.draw(logits: [nan, nan]), 0)
        }
        XCTAssertEqual(
            Sampler(settings: settings(1), seed: 0).distribution(logits: [1, inf, 2, inf]), [0, 0.5, 0, 0.5])
        XCTAssertEqual(
            Sampler(settings: settings(1), seed: 0).distribution(logits: [nan, 0, nan, 0]), [0, 0.5, 0, 0.5])
    }

    func testDirectlySetInvalidValuesAreReadLeniently() {
        var s = settings(1)
        s.temperature = -2  // treated as greedy
        s.topK = -1  // off
        var sampler = Sampler(settings: s, seed: 0)
        XCTAssertEqual(sampler.draw(logits: fourLogits), 3)
        sampler.settings.temperature = .nan
        XCTAssertEqual(sampler.draw(logits: fourLogits), 3)
        sampler.settings.temperature = 1
        sampler.settings.topP = 0  // keeps the single best token
        XCTAssertEqual(sampler.distribution(logits: fourLogits), [0, 0, 0, 1])
        sampler.settings.topP = .nan  // off
        XCTAssertEqual(sampler.distribution(logits: fourLogits)[0], 0.1, accuracy: 1e-6)
    }

    // MARK: - topCandidates

    func testTopCandidates() {
        let top = Sampler.topCandidates(logits: fourLogits, temperature: 1, count: 3)
        XCTAssertEqual(top.map(\.id), [3, 2, 1])
        for (c, p) in zip(top, [0.4, 0.3, 0.2]) { XCTAssertEqual(c.probability, p, accuracy: 1e-6) }

        let flat = Sampler.topCandidates(logits: fourLogits, temperature: 2, count: 10)
        XCTAssertEqual(flat.map(\.id), [3, 2, 1, 0])  // clamped to V
        XCTAssertEqual(flat.reduce(0) { $0 + $1.probability }, 1, accuracy: 1e-12)

        let greedy = Sampler.topCandidates(logits: [1, 3, .nan, 3, -.infinity], temperature: 0, count: 5)
        XCTAssertEqual(greedy.map(\.id), [1, 3, 0, 2, 4])
        XCTAssertEqual(greedy.map(\.probability), [1, 0, 0, 0, 0])

        XCTAssertTrue(Sampler.topCandidates(logits: fourLogits, temperature: 1, count: 0).isEmpty)
        XCTAssertTrue(Sampler.topCandidates(logits: fourLogits, temperature: 1, count: -2).isEmpty)
        XCTAssertTrue(Sampler.topCandidates(logits: [], temperature: 1, count: 3).isEmpty)

        // Agrees with `distribution` and with a full sort on a larger vector.
        var g = SplitMix64(seed: 51)
        let logits = randomLogits(1000, &g)
        let d = Sampler(settings: settings(0.7), seed: 0).distribution(logits: logits)
        let list = Sampler.topCandidates(logits: logits, temperature: 0.7, count: 25)
        let sorted = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        XCTAssertEqual(list.map(\.id), Array(sorted.prefix(25)))
        for c in list { XCTAssertEqual(c.probability, d[c.id], accuracy: 1e-15) }
    }
}

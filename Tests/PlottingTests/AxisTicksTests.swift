import XCTest

@testable import Plotting

final class AxisTicksTests: XCTestCase {
    func testGoldenTicks() {
        let unit = AxisTicks.nice(lower: 0, upper: 1, maxCount: 6)
        XCTAssertEqual(unit.values, [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(unit.step, 0.2)
        XCTAssertEqual(unit.labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])

        XCTAssertEqual(AxisTicks.nice(lower: 1.23, upper: 4.56, maxCount: 6).values, [2, 3, 4])
        XCTAssertEqual(AxisTicks.nice(lower: 1.23, upper: 4.56, maxCount: 8).values, [1.5, 2, 2.5, 3, 3.5, 4, 4.5])
        XCTAssertEqual(AxisTicks.nice(lower: -40, upper: 1040, maxCount: 6).values, [0, 200, 400, 600, 800, 1000])
        XCTAssertEqual(
            AxisTicks.nice(lower: 0, upper: 95_000, maxCount: 6).values, [0, 20_000, 40_000, 60_000, 80_000])
        XCTAssertEqual(AxisTicks.nice(lower: -3, upper: 3, maxCount: 4).values, [-2, 0, 2])
        XCTAssertEqual(AxisTicks.nice(lower: 1.41, upper: 1.59, maxCount: 5).values, [1.45, 1.5, 1.55])
        XCTAssertEqual(AxisTicks.nice(lower: 1.41, upper: 1.59, maxCount: 5).labels, ["1.45", "1.50", "1.55"])
        XCTAssertEqual(
            AxisTicks.nice(lower: 0.3, upper: 0.7, maxCount: 5).values, [0.3, 0.4, 0.5, 0.6, 0.7],
            "exact decimals: 3/10, not 3 × 0.1")
    }

    func testStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        var state: UInt64 = 1
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53)
        }
        for _ in 0..<2000 {
            let a = (uniform() - 0.5) * pow(10, uniform() * 12 - 6)
            let b = a + pow(10, uniform() * 10 - 5)
            let maxCount = 2 + Int(uniform() * 9)
            let ticks = AxisTicks.nice(lower: a, upper: b, maxCount: maxCount)
            XCTAssert([1, 2, 5].contains(ticks.mantissa))
            XCTAssertLessThanOrEqual(ticks.values.count, maxCount)
            XCTAssertGreaterThanOrEqual(ticks.values.count, 1, "\(a)...\(b)")
            for v in ticks.values {
                XCTAssert(v >= a - 1e-8 * ticks.step && v <= b + 1e-8 * ticks.step, "\(v) outside \(a)...\(b)")
            }
            XCTAssertEqual(Set(ticks.labels).count, ticks.labels.count, "distinct labels for \(ticks.values)")
        }
    }

    func testDegenerateRanges() {
        XCTAssertEqual(AxisTicks.paddedRange(2, 2, margin: 0.04).0, 1.9, accuracy: 1e-12)
        XCTAssertEqual(AxisTicks.paddedRange(2, 2, margin: 0.04).1, 2.1, accuracy: 1e-12)
        XCTAssertTrue(AxisTicks.paddedRange(0, 0, margin: 0) == (-1, 1))
        XCTAssertTrue(AxisTicks.paddedRange(.nan, 1, margin: 0) == (0, 1))
        XCTAssertTrue(AxisTicks.paddedRange(-.infinity, .infinity, margin: 0) == (0, 1))
        XCTAssertTrue(AxisTicks.paddedRange(5, 1, margin: 0) == (1, 5), "reversed bounds are swapped")
        XCTAssertEqual(AxisTicks.nice(lower: 3, upper: 3).values, [2.9, 3, 3.1])
        XCTAssertEqual(AxisTicks.nice(lower: .nan, upper: .nan).values, [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertFalse(AxisTicks.nice(lower: -1e308, upper: 1e308).values.isEmpty)
        XCTAssertEqual(
            AxisTicks.nice(lower: 0, upper: 1, maxCount: .max).values.count, 501,
            "step 0.002: maxCount is capped at 1000")
        XCTAssertEqual(AxisTicks.nice(lower: 0, upper: 1, maxCount: -5).values, [0, 1])
        XCTAssertFalse(AxisTicks.nice(lower: .leastNonzeroMagnitude, upper: 4 * .leastNonzeroMagnitude).values.isEmpty)
    }

    func testLabels() {
        XCTAssertEqual(AxisTicks.nice(lower: 0, upper: 4e7, maxCount: 5).labels, ["0", "1e7", "2e7", "3e7", "4e7"])
        XCTAssertEqual(AxisTicks.nice(lower: 0, upper: 1.2e-4, maxCount: 4).labels, ["0", "5e-5", "1e-4"])
        XCTAssertEqual(AxisTicks.nice(lower: -1, upper: 1, maxCount: 5).labels, ["-1.0", "-0.5", "0.0", "0.5", "1.0"])
        XCTAssertEqual(AxisTicks.nice(lower: 0, upper: 3600, maxCount: 5).labels, ["0", "1000", "2000", "3000"])
        XCTAssertEqual(
            AxisTicks.nice(lower: -0.004, upper: 0.004, maxCount: 5).labels,
            ["-0.004", "-0.002", "0.000", "0.002", "0.004"])
    }
}

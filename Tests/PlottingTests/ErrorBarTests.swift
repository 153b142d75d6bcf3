import XCTest

@testable import Plotting

/// Error bars (`Series.errors`): one bar per point with a positive finite error, inside the y range.
final class ErrorBarTests: XCTestCase {
    /// The `<path>` elements of the `data-errors` group of `label`.
    private func bars(_ svg: String, _ label: String) -> [String] {
        guard let start = svg.range(of: "<g data-errors=\"\(label)\"") else { return [] }
        let group = svg[start.upperBound...].prefix { $0 != "\n" }
        return group.components(separatedBy: "<path ").dropFirst().map { String($0) }
    }

    func testOneBarPerPointWithAPositiveError() {
        let s = Series(label: "gru", x: [1, 2, 3, 4], y: [2, 2.5, 3, 3.5], errors: [0.5, 0, .nan, 0.25])
        let svg = SVGRenderer.render([LineChart(xLabel: "x", yLabel: "y", series: [s])])
        XCTAssertEqual(bars(svg, "gru").count, 2, "the zero and NaN errors draw nothing")
        XCTAssertNotNil(s.errorBar(0))
        XCTAssertEqual(s.errorBar(0)!.low, 1.5)
        XCTAssertEqual(s.errorBar(3)!.high, 3.75)
        XCTAssertNil(s.errorBar(1))
        XCTAssertNil(s.errorBar(2))
        XCTAssertNil(s.errorBar(9), "an index past the points")
    }

    func testNoErrorsNoGroup() {
        let s = Series(label: "lstm", x: [1, 2], y: [2, 3])
        let svg = SVGRenderer.render([LineChart(xLabel: "x", yLabel: "y", series: [s])])
        XCTAssertFalse(svg.contains("data-errors"))
    }

    /// The y axis reaches the ends of the bars: a bar of ±1 around 2 makes ticks at 1 and 3 or beyond.
    func testTheYRangeHoldsTheBars() {
        let s = Series(label: "lstm", x: [1, 2], y: [2, 2.1], errors: [1, 0])
        let svg = SVGRenderer.render([LineChart(xLabel: "x", yLabel: "y", series: [s])])
        guard let axis = svg.range(of: "<g class=\"y-axis\"") else { return XCTFail("no y axis") }
        let end = svg.range(of: "</g>", range: axis.upperBound..<svg.endIndex)!.lowerBound
        let labels = svg[axis.upperBound..<end].components(separatedBy: "\">").compactMap {
            Double($0.prefix { $0 != "<" })
        }
        XCTAssertLessThanOrEqual(labels.min() ?? 99, 1.0)
        XCTAssertGreaterThanOrEqual(labels.max() ?? -99, 3.0)
    }
}

import XCTest

@testable import Plotting

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Collects elements and text of an SVG document with XMLParser.
private final class SVGDocument: NSObject, XMLParserDelegate {
    struct Element { let name: String; let attributes: [String: String] }
    var elements: [Element] = []
    var texts: [String] = []
    private var currentText: String?
    var error: Error?

    init(_ svg: String) {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        if !parser.parse() { error = parser.parserError ?? NSError(domain: "xml", code: 1) }
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        elements.append(Element(name: name, attributes: attributes))
        if name == "text" { currentText = "" }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { currentText? += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let t = currentText { texts.append(t); currentText = nil }
    }

    func elements(named name: String) -> [Element] { elements.filter { $0.name == name } }
    var curves: [Element] { elements.filter { $0.attributes["data-series"] != nil } }
}

final class SVGRendererTests: XCTestCase {
    private func lossCurves() -> [LineChart] {
        let steps = stride(from: 0.0, through: 2000, by: 250).map { $0 }
        let lstm = Series(label: "lstm", x: steps, y: steps.map { 1.4 + 2.8 * exp(-$0 / 400) })
        let gru = Series(label: "gru", x: steps, y: steps.map { 1.45 + 2.7 * exp(-$0 / 350) })
        let rnn = Series(label: "rnn", x: steps, y: steps.map { 1.9 + 2.3 * exp(-$0 / 300) })
        let byStep = LineChart(
            title: "Validation loss by step", xLabel: "training step", yLabel: "validation loss (nats/char)",
            series: [lstm, gru, rnn])
        var byTime = byStep
        byTime.title = "Validation loss by time"
        byTime.xLabel = "wall-clock time (s)"
        byTime.series = [lstm, gru, rnn].enumerated().map { i, s in
            Series(label: s.label, points: s.points.map { (x: $0.x * [0.021, 0.017, 0.008][i], y: $0.y) })
        }
        return [byStep, byTime]
    }

    func testWellFormedWithOneCurvePerSeries() throws {
        let svg = SVGRenderer.render(lossCurves(), title: "LSTM vs GRU vs RNN — tinyshakespeare")
        XCTAssertTrue(
            svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
        let doc = SVGDocument(svg)
        XCTAssertNil(doc.error)
        XCTAssertEqual(doc.curves.count, 6)
        XCTAssertEqual(doc.curves.map(\.name), Array(repeating: "path", count: 6))
        XCTAssertEqual(doc.curves.map { $0.attributes["data-series"]! }, ["lstm", "gru", "rnn", "lstm", "gru", "rnn"])
        XCTAssertEqual(doc.elements(named: "g").filter { $0.attributes["class"] == "chart" }.count, 2)

        // The same label has the same colour in both panels; labels differ from each other.
        let strokes = doc.curves.map { $0.attributes["stroke"]! }
        XCTAssertEqual(Array(strokes[0..<3]), Array(strokes[3..<6]))
        XCTAssertEqual(Set(strokes).count, 3)

        // Titles, axis titles, legend entries and tick labels are all there.
        for expected in [
            "LSTM vs GRU vs RNN — tinyshakespeare", "Validation loss by step", "training step",
            "wall-clock time (s)", "validation loss (nats/char)", "lstm", "gru", "rnn", "0", "1000", "2000", "2.0",
            "4.0",
        ] {
            XCTAssertTrue(doc.texts.contains(expected), "missing text \(expected)")
        }
        // Markers: 9 points per series, circles for the first label.
        XCTAssertEqual(doc.elements.filter { $0.attributes["data-markers"] == "lstm" }.count, 2)
        XCTAssertEqual(doc.elements(named: "svg").first?.attributes["width"], "1120")
        XCTAssertEqual(doc.elements(named: "svg").first?.attributes["height"], "414")
        XCTAssertEqual(doc.elements(named: "rect").first?.attributes["fill"], "#ffffff")
    }

    func testEscapesText() {
        let nasty = "a<b & \"c\" 'd' ]]> \u{01}\u{FFFF}"
        let chart = LineChart(
            title: nasty, xLabel: "x <unit>", yLabel: "y & z",
            series: [Series(label: nasty, points: [(x: 0, y: 0), (x: 1, y: 1)], color: "\"><script>")])
        let svg = SVGRenderer.render([chart], title: "</svg>")
        XCTAssertFalse(svg.contains("<script>"))
        XCTAssertFalse(svg.contains("a<b"))
        let doc = SVGDocument(svg)
        XCTAssertNil(doc.error)
        XCTAssertEqual(doc.curves.first?.attributes["data-series"], "a<b & \"c\" 'd' ]]> \u{FFFD}\u{FFFD}")
        XCTAssertTrue(doc.texts.contains("</svg>"))
        XCTAssertTrue(doc.texts.contains("x <unit>"))
        XCTAssertTrue(doc.texts.contains("y & z"))
    }

    func testDegenerateInputsRenderWithoutCrashing() {
        let cases: [(String, [LineChart])] = [
            ("no charts", []),
            ("no series", [LineChart(xLabel: "x", yLabel: "y", series: [])]),
            ("empty series", [LineChart(xLabel: "x", yLabel: "y", series: [Series(label: "none", points: [])])]),
            (
                "single point",
                [LineChart(xLabel: "x", yLabel: "y", series: [Series(label: "one", points: [(x: 3, y: 2)])])]
            ),
            (
                "constant",
                [LineChart(xLabel: "x", yLabel: "y", series: [Series(label: "flat", x: [0, 1, 2], y: [5, 5, 5])])]
            ),
            ("zero", [LineChart(xLabel: "x", yLabel: "y", series: [Series(label: "zero", x: [0, 0], y: [0, 0])])]),
            (
                "non-finite",
                [
                    LineChart(
                        xLabel: "x", yLabel: "y",
                        series: [
                            Series(label: "gaps", x: [0, 1, 2, 3, 4, .nan], y: [1, .nan, 3, .infinity, 5, 6]),
                            Series(label: "all missing", x: [.nan, 1], y: [1, -.infinity]),
                        ])
                ]
            ),
            (
                "huge",
                [
                    LineChart(
                        xLabel: "x", yLabel: "y",
                        series: [Series(label: "h", x: [-1e308, 1e308], y: [.leastNonzeroMagnitude, 1e308])])
                ]
            ),
            (
                "explicit ranges",
                [
                    LineChart(
                        xLabel: "x", yLabel: "y", series: [Series(label: "s", x: [0, 1e12], y: [0, -1e12])],
                        xRange: 0...10, yRange: 5...5)
                ]
            ),
            (
                "tiny panel",
                [
                    LineChart(
                        title: String(repeating: "long title ", count: 40), xLabel: "x", yLabel: "y",
                        series: (0..<30).map { Series(label: "series number \($0)", x: [0, 1], y: [0, Double($0)]) })
                ]
            ),
        ]
        for (name, charts) in cases {
            let svg = SVGRenderer.render(charts, columns: 0, panelWidth: 10, panelHeight: 10)
            let doc = SVGDocument(svg)
            XCTAssertNil(doc.error, name)
            XCTAssertEqual(doc.curves.count, charts.map(\.series.count).reduce(0, +), name)
            XCTAssertFalse(svg.lowercased().contains("nan"), name)
            XCTAssertFalse(svg.contains("inf"), name)
        }
    }

    func testNonFinitePointsBreakTheLine() throws {
        let chart = LineChart(
            xLabel: "x", yLabel: "y", series: [Series(label: "s", x: [0, 1, 2, 3, 4], y: [1, 2, .nan, 4, 5])])
        let doc = SVGDocument(SVGRenderer.render([chart]))
        let d = try XCTUnwrap(doc.curves.first?.attributes["d"])
        XCTAssertEqual(d.filter { $0 == "M" }.count, 2, d)
        XCTAssertEqual(d.filter { $0 == "L" }.count, 2, d)
        XCTAssertTrue(doc.texts.contains("s"))
    }

    func testEmptySeriesIsNamedInTheLegend() {
        let chart = LineChart(xLabel: "x", yLabel: "y", series: [Series(label: "gru", points: [])])
        let doc = SVGDocument(SVGRenderer.render([chart]))
        XCTAssertTrue(doc.texts.contains("gru (no data)"))
        XCTAssertTrue(doc.texts.contains("no data"))
        XCTAssertEqual(doc.curves.first?.attributes["d"], "")
    }

    func testMarkerPolicy() {
        let dense = Series(label: "train", x: (0..<500).map(Double.init), y: (0..<500).map { 3 - Double($0) / 500 })
        let sparse = Series(label: "val", x: [0, 250, 500], y: [3, 2.5, 2])
        func markerGroups(_ policy: MarkerPolicy) -> [String] {
            SVGDocument(
                SVGRenderer.render([LineChart(xLabel: "x", yLabel: "y", series: [dense, sparse], markers: policy)])
            )
            .elements.compactMap { $0.attributes["data-markers"] }
        }
        XCTAssertEqual(markerGroups(.automatic), ["val"])
        XCTAssertEqual(markerGroups(.always), ["train", "val"])
        XCTAssertEqual(markerGroups(.never), [])
    }

    func testStylesStayDistinctForManySeries() {
        var seen = Set<String>()
        for i in 0..<35 {
            seen.insert("\(SeriesStyle.color(i))|\(SeriesStyle.marker(i))|\(SeriesStyle.dash(i))")
        }
        XCTAssertEqual(seen.count, 35)
    }

    func testNumberFormatting() {
        XCTAssertEqual(svgNumber(12.5), "12.5")
        XCTAssertEqual(svgNumber(-3.07), "-3.07")
        XCTAssertEqual(svgNumber(40), "40")
        XCTAssertEqual(svgNumber(-0.001), "0")
        XCTAssertEqual(svgNumber(1e300), "1000000")
        XCTAssertEqual(svgNumber(.nan), "0")
    }

    /// Writes sample figures for a look with rsvg-convert when `CHARNN_PLOT_SAMPLES` names a directory.
    func testWriteSamplesForVisualCheck() throws {
        guard let dir = ProcessInfo.processInfo.environment["CHARNN_PLOT_SAMPLES"] else {
            throw XCTSkip("set CHARNN_PLOT_SAMPLES=/some/dir to write sample SVGs")
        }
        try SVGRenderer.render(lossCurves(), title: "charnn compare: LSTM vs GRU vs RNN on tinyshakespeare")
            .write(toFile: dir + "/compare.svg", atomically: true, encoding: .utf8)
        var rng: UInt64 = 7
        let trainSteps = (0..<3000).map(Double.init)
        let train = Series(
            label: "training loss", x: trainSteps,
            y: trainSteps.map { s in
                rng = rng &* 6364136223846793005 &+ 1;
                return 1.3 + 2.9 * exp(-s / 500) + Double(rng >> 40) / Double(1 << 24) * 0.25
            })
        let val = Series(
            label: "validation loss", x: stride(from: 0.0, through: 3000, by: 300).map { $0 },
            y: stride(from: 0.0, through: 3000, by: 300).map { 1.45 + 2.8 * exp(-$0 / 500) })
        try SVGRenderer.render(
            [
                LineChart(
                    title: "LSTM 2×512, tinyshakespeare", xLabel: "training step",
                    yLabel: "loss (nats/char)", series: [train, val])
            ], panelWidth: 720, panelHeight: 420
        )
        .write(toFile: dir + "/training.svg", atomically: true, encoding: .utf8)
        let many = (0..<9).map { i in
            Series(
                label: ["lstm", "gru", "rnn", "peephole"][i % 4] + " seed \(i / 4 + 1) h=\(128 << (i % 3))",
                x: [0, 1, 2, 3, 4], y: [4, 3, 2.5, 2.2, 2.0].map { $0 + Double(i) * 0.05 })
        }
        let degenerate = [
            LineChart(
                title: "single point", xLabel: "step", yLabel: "loss",
                series: [Series(label: "one", points: [(x: 100, y: 2.5)])]),
            LineChart(
                title: "constant + gaps", xLabel: "step", yLabel: "loss",
                series: [
                    Series(label: "flat", x: [0, 1, 2, 3], y: [2, 2, 2, 2]),
                    Series(label: "gaps", x: [0, 1, 2, 3, 4], y: [1.9, 2.1, .nan, 2.05, 1.95]),
                ]),
            LineChart(title: "empty", xLabel: "step", yLabel: "loss", series: [Series(label: "nothing", points: [])]),
            LineChart(
                title: "many series, long labels", xLabel: "wall-clock time (s)", yLabel: "validation loss (nats/char)",
                series: many),
        ]
        try SVGRenderer.render(degenerate, columns: 2, title: "Edge cases")
            .write(toFile: dir + "/edge.svg", atomically: true, encoding: .utf8)
        let bigSteps = stride(from: 0.0, through: 250_000, by: 25_000).map { $0 }
        let big = [
            LineChart(
                title: "Large step counts and a very long panel title that cannot possibly fit in a small panel",
                xLabel: "training step", yLabel: "validation loss (nats/char), a long axis title with units",
                series: [
                    Series(label: "lstm", x: bigSteps, y: bigSteps.map { 1.2 + exp(-$0 / 50_000) }),
                    Series(label: "gru", x: bigSteps, y: bigSteps.map { 1.25 + exp(-$0 / 45_000) }),
                ]),
            LineChart(
                title: "Tiny values", xLabel: "wall-clock time (s)", yLabel: "gradient norm",
                series: [
                    Series(label: "lstm", x: [0, 3600, 7200, 10_800, 14_400], y: [3e-5, 2e-5, 1.5e-5, 1.2e-5, 1e-5])
                ]),
            LineChart(
                title: "Fixed ranges, clipped", xLabel: "step", yLabel: "loss",
                series: [
                    Series(label: "lstm", x: [0, 1, 2, 3, 4, 5], y: [9, 3, 2, 1.8, 1.7, 1.65])
                ], xRange: 0...5, yRange: 1.5...2.5),
        ]
        try SVGRenderer.render(big, columns: 1, panelWidth: 360, panelHeight: 240, title: "Small panels, one column")
            .write(toFile: dir + "/small.svg", atomically: true, encoding: .utf8)
    }
}

// The page is self-contained (nothing fetched from anywhere), carries the report and every
// signal, keeps a hostile text inert, and draws one dot per gate unit. An opt-in test
// (CHARNN_CHROMIUM=1) renders it in headless Chromium: the script must have run (spans laid
// out, ranking filled) and a PNG screenshot is written for a person to look at.
import Foundation
import Inspection
import Models
import NeuralCore
import XCTest
import _TestSupport

final class PageTests: XCTestCase {
    static let alphabet = Array("abc \n\"()<>/sript&").map { String($0) }

    func page(cell: CellKind, text: String) throws -> (String, InspectionReport, ActivationTrace) {
        let V = Self.alphabet.count
        let model = try LanguageModel(
            config: ModelConfig(
                cell: cell, layers: 2, hidden: 6, embedding: 5,
                vocabularySize: V),
            seed: 4)
        let ids = text.map { Int32(Self.alphabet.firstIndex(of: String($0))!) }
        let trace = ActivationTrace(model: model, ids: ids)
        let report = InspectionReport(trace: trace, tokenText: Self.alphabet, source: "m</script><b>", top: 3)
        return (try InspectionPage.html(report: report, trace: trace), report, trace)
    }

    static let text = "abc (a \"b\" c)\n</script><script>cat</script> & cab\n" + String(repeating: "ab c\n", count: 8)

    func testSelfContained() throws {
        for cell in CellKind.allCases {
            let (html, _, _) = try page(cell: cell, text: Self.text)
            let lower = html.lowercased()
            let pattern = try NSRegularExpression(pattern: "(src|href)\\s*=\\s*[\"']?\\s*(https?:|//)")
            XCTAssertNil(
                pattern.firstMatch(in: lower, range: NSRange(lower.startIndex..., in: lower)),
                "\(cell): the page loads something from the network")
            for fragment in ["http://", "https://", "<link", "@import", "url(", "<iframe", "fetch(", "xmlhttprequest"] {
                XCTAssertFalse(lower.contains(fragment), "\(cell): the page contains \(fragment)")
            }
            // Exactly the two inline scripts, the data and the code: the source's "</script>" stays inert.
            XCTAssertEqual(lower.components(separatedBy: "<script").count - 1, 2, "\(cell)")
            XCTAssertEqual(lower.components(separatedBy: "</script>").count - 1, 2, "\(cell)")
            XCTAssertTrue(
                html.contains("charnn inspect · m&lt;/script&gt;&lt;b&gt;"),
                "\(cell): the title is not escaped")
        }
    }

    /// The JSON inside the page.
    func data(_ html: String) throws -> [String: Any] {
        let start = try XCTUnwrap(html.range(of: "<script type=\"application/json\" id=\"data\">"))
        let end = try XCTUnwrap(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let json = Data(html[start.upperBound..<end.lowerBound].utf8)
        return try jsonObject(json)
    }

    func testCarriesTheReportAndEverySignal() throws {
        for cell in CellKind.allCases {
            let (html, report, trace) = try page(cell: cell, text: Self.text)
            let d = try data(html)
            let r = try XCTUnwrap(d["report"] as? [String: Any])
            XCTAssertEqual(r["tokens"] as? [String], Self.text.map { String($0) })
            XCTAssertEqual((r["surprisal"] as? [Any])?.count, Self.text.count)
            XCTAssertTrue((r["surprisal"] as? [Any])?.first is NSNull)
            XCTAssertEqual(
                (d["kinds"] as? [[String: Any]])?.compactMap { $0["name"] as? String },
                SignalKind.of(cell).map(\.rawValue))
            let layers = try XCTUnwrap(d["activations"] as? [[String: [String: Any]]])
            XCTAssertEqual(layers.count, 2)
            let N = Self.text.count
            for (l, layer) in layers.enumerated() {
                XCTAssertEqual(Set(layer.keys), Set(SignalKind.of(cell).map(\.rawValue)))
                for kind in SignalKind.of(cell) {
                    let e = try XCTUnwrap(layer[kind.rawValue])
                    let lo = try XCTUnwrap(e["lo"] as? [Double]), hi = try XCTUnwrap(e["hi"] as? [Double])
                    let q = [UInt8](try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(e["q"] as? String))))
                    XCTAssertEqual(q.count, 6 * N)
                    for u in 0..<6 {
                        let series = trace.series(Signal(layer: l, kind: kind, unit: u))
                        for (t, v) in series.enumerated() {
                            let decoded = lo[u] + (hi[u] - lo[u]) * Double(q[u * N + t]) / 255
                            XCTAssertEqual(decoded, Double(v), accuracy: (hi[u] - lo[u]) / 510 + 1e-6)
                        }
                    }
                }
            }
            // inspect.json is the same report.
            let json = try jsonObject(try report.json())
            XCTAssertEqual(json["tokens"] as? [String], r["tokens"] as? [String])
            XCTAssertEqual((json["ranking"] as? [Any])?.count, 9)
            XCTAssertNotNil(json["ranking_method"] as? String)
        }
    }

    func testOneDotPerGateUnitPerLayer() throws {
        let expected: [CellKind: Int] = [.rnn: 6, .lstm: 18, .peephole: 18, .gru: 12]
        for cell in CellKind.allCases {
            let (html, _, _) = try page(cell: cell, text: Self.text)
            XCTAssertEqual(
                html.components(separatedBy: "<svg class=\"sat\"").count - 1, 2,
                "\(cell): one chart per layer")
            XCTAssertEqual(html.components(separatedBy: "<circle").count - 1, 2 * expected[cell]!, "\(cell)")
        }
    }

    // MARK: Opt-in: render with headless Chromium

    func testRendersInChromium() throws {
        guard ProcessInfo.processInfo.environment["CHARNN_CHROMIUM"] == "1" else {
            throw XCTSkip("set CHARNN_CHROMIUM=1 to render the page in headless Chromium")
        }
        let browser = try XCTUnwrap(
            ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
                .first { FileManager.default.isExecutableFile(atPath: $0) },
            "no chromium found (apt-get install chromium)")
        let dir = URL(
            fileURLWithPath: ProcessInfo.processInfo.environment["CHARNN_SCREENSHOT_DIR"]
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("charnn-page-\(getpid())").path)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for cell in [CellKind.lstm, .gru] {
            let (html, _, _) = try page(cell: cell, text: Self.text)
            let file = dir.appendingPathComponent("page-\(cell.rawValue).html")
            try Data(html.utf8).write(to: file)
            // The DOM after the script ran.
            let dom = try run(
                browser,
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                    file.absoluteString,
                ])
            XCTAssertEqual(
                dom.components(separatedBy: "data-t=").count - 1, 2 * Self.text.count,
                "\(cell): the script did not lay the text out twice")
            XCTAssertTrue(dom.contains("class=\"unit"), "\(cell): the ranking table is empty")
            XCTAssertTrue(dom.contains("layer 0, ") || dom.contains("layer 1, "), "\(cell): no unit selected")
            let png = dir.appendingPathComponent("page-\(cell.rawValue).png")
            _ = try run(
                browser,
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--screenshot=\(png.path)", "--window-size=1200,1600", file.absoluteString,
                ])
            let bytes = try Data(contentsOf: png)
            XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "not a PNG")
            print("screenshot: \(png.path)")
        }
    }

    func run(_ executable: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

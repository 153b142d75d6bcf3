// The self-contained inspection page: one HTML file with its style, a little script and
// its data inline (no network, no external scripts or fonts), readable from file://.
// The script colours the text; the saturation scatters are inline SVG drawn here.
import Foundation
import NeuralCore

public enum InspectionPage {
    /// The page for `report`, with every signal of `trace` (the trace the report was made from).
    ///
    /// Activations travel as one byte per value: per unit, its minimum and maximum over the
    /// text and 256 levels between them (finer than a colour can show).
    public static func html(report: InspectionReport, trace: ActivationTrace) throws -> String {
        let c = trace.config
        var activations: [[String: QuantizedSignal]] = []
        for l in 0..<c.layers {
            var layer: [String: QuantizedSignal] = [:]
            for kind in trace.kinds {
                layer[kind.rawValue] = QuantizedSignal(trace, layer: l, kind: kind)
            }
            activations.append(layer)
        }
        let kinds = trace.kinds.map { KindInfo(name: $0.rawValue, label: $0.label, range: $0.range.rawValue) }
        let data = PageData(report: report, kinds: kinds, activations: activations)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // "<" only occurs inside JSON strings: escaping it keeps "</script>" in a text harmless.
        let json = String(decoding: try encoder.encode(data), as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c")

        let title = "charnn inspect · " + escape(report.source)
        let m = report.model
        let mean =
            report.meanSurprisalNats.map {
                String(format: "mean surprisal %.3f nats (%.3f bits) per character", $0, bits(fromNats: $0))
            } ?? "no prediction to score"
        let scatterKinds = Saturation.scatterKinds(trace.kinds)
        let rnnNote = "A plain RNN has no gates: its tanh h is shown, mapped from [−1, 1] onto [0, 1]."
        let charts = (0..<c.layers).map { l in
            "<figure>"
                + SaturationChart.svg(
                    layer: l,
                    report.saturation.filter {
                        $0.layer == l && scatterKinds.contains($0.kind)
                    }) + "<figcaption>layer \(l)</figcaption></figure>"
        }.joined(separator: "\n")

        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <style>\(PageAssets.css)</style>
            </head><body>
            <header><h1>\(title)</h1>
            <p class="meta">\(escape(m.cell.uppercased())) · \(m.layers) layer\(m.layers == 1 ? "" : "s") \
            × \(m.hidden) units · \(m.vocabSize) tokens · \(m.parameters) parameters — \
            \(report.tokens.count) characters, \(mean)</p>
            </header>
            <main>
            <section class="panel"><h2>Surprisal</h2>
            <p class="note">Each character coloured by −log p(character | everything before it): white is expected, \
            red is a surprise. Hover for the model's top predictions at that place.</p>
            <div class="scale" id="sscale"></div>
            <div class="text" id="stext"></div></section>
            <section class="panel"><h2>One unit</h2>
            <div class="controls">
            <label>layer <select id="layer"></select></label>
            <label>signal <select id="kind"></select></label>
            <label>unit <input id="unit" type="number" min="0" max="\(m.hidden - 1)" value="0"></label>
            <button id="prev" type="button">◀</button><button id="next" type="button">▶</button>
            </div>
            <p class="note" id="ustats"></p>
            <div class="scale" id="uscale"></div>
            <div class="text" id="utext"></div></section>
            <section class="wide"><h2>Units that track the text</h2>
            <p class="note">\(escape(report.rankingMethod)) Click a unit to show it above.</p>
            <table id="ranking"></table></section>
            <section class="wide"><h2>Gate saturation</h2>
            <p class="note">Per layer, one dot per gate unit: the fraction of characters at which it is \
            left-saturated (activation &lt; 0.1) against right-saturated (&gt; 0.9), as in Karpathy, Johnson \
            &amp; Fei-Fei (2015), figure 3. Dots near the top left are gates almost always open (an LSTM forget \
            gate or a GRU update gate there keeps its unit's state: a unit that remembers); dots near the \
            origin never saturate. \
            \(scatterKinds.contains(.h) ? rnnNote : "")</p>
            <p class="legend">\(SaturationChart.legend(scatterKinds))</p>
            <div class="charts">\(charts)</div></section>
            </main>
            <div id="tip" class="tip" hidden></div>
            <script type="application/json" id="data">\(json)</script>
            <script>\(PageAssets.script)</script>
            </body></html>

            """
    }

    /// Escapes text for HTML content and attributes.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}

/// What the page's script reads.
struct PageData: Encodable {
    let report: InspectionReport
    let kinds: [KindInfo]
    /// Per layer, per kind name.
    let activations: [[String: QuantizedSignal]]
}

struct KindInfo: Encodable {
    let name: String, label: String, range: String
}

/// One kind of one layer, one byte per value, unit-major: value = lo[u] + (hi[u] − lo[u]) · q / 255.
struct QuantizedSignal: Encodable {
    let lo: [Float]
    let hi: [Float]
    /// Base64 of H × N bytes.
    let q: String

    init(_ trace: ActivationTrace, layer: Int, kind: SignalKind) {
        let H = trace.config.hidden, N = trace.length
        var lo = [Float](repeating: 0, count: H), hi = lo
        var bytes = [UInt8](repeating: 0, count: H * N)
        for u in 0..<H {
            // A diverged model's NaN or infinity would not survive JSON: shown as 0.
            let s = trace.series(Signal(layer: layer, kind: kind, unit: u)).map { $0.isFinite ? $0 : 0 }
            let a = s.min() ?? 0, b = s.max() ?? 0
            lo[u] = a
            hi[u] = b
            let scale = b > a ? 255 / (b - a) : 0
            for (t, v) in s.enumerated() { bytes[u * N + t] = UInt8(((v - a) * scale).rounded()) }
        }
        self.lo = lo
        self.hi = hi
        q = Data(bytes).base64EncodedString()
    }
}

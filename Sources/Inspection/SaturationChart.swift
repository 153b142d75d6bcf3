// The gate-saturation scatter of one layer as inline SVG (no external fonts or scripts):
// x = fraction of characters a gate unit is left-saturated, y = right-saturated; one dot per
// unit and gate kind. Every point lies in the triangle x + y ≤ 1.
import Foundation

enum SaturationChart {
    /// A dot colour per kind (colour-blind-safe Okabe–Ito hues).
    static func colour(_ kind: SignalKind) -> String {
        switch kind {
        case .i, .r: return "#0072B2"
        case .f, .z: return "#D55E00"
        case .o: return "#009E73"
        case .g, .n, .h: return "#CC79A7"
        case .c: return "#999999"
        }
    }

    /// The scatter of `stats` (one layer's kinds) as an `<svg>` element, `size` pixels square.
    static func svg(layer: Int, _ stats: [SaturationStats], size: Int = 300) -> String {
        let margin = 44.0, side = Double(size) - margin - 12
        func x(_ v: Double) -> String { String(format: "%.1f", margin + v * side) }
        func y(_ v: Double) -> String { String(format: "%.1f", 12 + (1 - v) * side) }
        var out =
            "<svg class=\"sat\" width=\"\(size)\" height=\"\(size)\" viewBox=\"0 0 \(size) \(size)\" "
            + "role=\"img\" aria-label=\"gate saturation, layer \(layer)\">\n"
        // Frame, grid, the x + y = 1 bound.
        out +=
            "<rect x=\"\(x(0))\" y=\"\(y(1))\" width=\"\(side)\" height=\"\(side)\" "
            + "fill=\"#fff\" stroke=\"#888\"/>\n"
        for v in [0.25, 0.5, 0.75] {
            out += "<line x1=\"\(x(v))\" y1=\"\(y(0))\" x2=\"\(x(v))\" y2=\"\(y(1))\" stroke=\"#eee\"/>"
            out += "<line x1=\"\(x(0))\" y1=\"\(y(v))\" x2=\"\(x(1))\" y2=\"\(y(v))\" stroke=\"#eee\"/>\n"
        }
        out +=
            "<line x1=\"\(x(0))\" y1=\"\(y(1))\" x2=\"\(x(1))\" y2=\"\(y(0))\" stroke=\"#ccc\" "
            + "stroke-dasharray=\"4 3\"/>\n"
        for v in [0.0, 0.5, 1.0] {
            let label = v == 0.5 ? "0.5" : String(Int(v))
            let below = String(format: "%.1f", 12 + side + 14)
            out += "<text x=\"\(x(v))\" y=\"\(below)\" text-anchor=\"middle\">\(label)</text>"
            out +=
                "<text x=\"\(String(format: "%.1f", margin - 5))\" y=\"\(y(v))\" text-anchor=\"end\" "
                + "dominant-baseline=\"middle\">\(label)</text>\n"
        }
        out +=
            "<text x=\"\(x(0.5))\" y=\"\(size - 2)\" text-anchor=\"middle\">"
            + "fraction left-saturated (&lt; 0.1)</text>\n"
        out +=
            "<text transform=\"translate(12 \(y(0.5))) rotate(-90)\" text-anchor=\"middle\">"
            + "fraction right-saturated (&gt; 0.9)</text>\n"
        for s in stats {
            let fill = colour(s.kind)
            for (u, (l, r)) in zip(s.left, s.right).enumerated() {
                out +=
                    "<circle cx=\"\(x(l))\" cy=\"\(y(r))\" r=\"2.6\" fill=\"\(fill)\" fill-opacity=\"0.55\">"
                    + "<title>\(s.kind.rawValue)[\(u)]: left \(percent(l)), right \(percent(r))</title></circle>"
            }
            out += "\n"
        }
        return out + "</svg>"
    }

    static func percent(_ v: Double) -> String { String(format: "%.0f%%", v * 100) }

    /// The legend of the kinds shown, as HTML.
    static func legend(_ kinds: [SignalKind]) -> String {
        kinds.map { "<span class=\"key\"><i style=\"background:\(colour($0))\"></i>\($0.label)</span>" }
            .joined(separator: " ")
    }
}

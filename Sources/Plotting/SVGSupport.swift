// Small helpers of the SVG renderer: text escaping, number formatting,
// text-width estimates and the palette.

/// Text safe inside XML character data and attribute values: `& < > " '`
/// escaped, and characters XML 1.0 forbids (controls other than tab, newline,
/// carriage return; U+FFFE, U+FFFF) replaced by U+FFFD.
func xmlEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\t", "\n", "\r": out.unicodeScalars.append(" ")  // one-line labels
        case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
            out.unicodeScalars.append("\u{FFFD}")
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// A coordinate with at most two decimals ("12.5", "-3.07", "40"), clamped to
/// ±10^6 so that far-off points (clipped anyway) stay printable.
func svgNumber(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let hundredths = Int((min(max(v, -1e6), 1e6) * 100).rounded())
    if hundredths == 0 { return "0" }
    let magnitude = abs(hundredths)
    var s = hundredths < 0 ? "-" : ""
    s += String(magnitude / 100)
    let fraction = magnitude % 100
    if fraction != 0 {
        s += fraction % 10 == 0 ? "." + String(fraction / 10) : (fraction < 10 ? ".0" : ".") + String(fraction)
    }
    return s
}

/// An estimate of the rendered width of `text` in a sans-serif font, erring
/// wide (there are no font metrics without a font engine).
func textWidth(_ text: String, fontSize: Double) -> Double {
    var em = 0.0
    for scalar in text.unicodeScalars {
        switch scalar {
        case "i", "l", "j", "I", ".", ",", ":", ";", "|", "!", "'", "(", ")", "[", "]", " ", "f", "t", "r": em += 0.36
        case "m", "w", "M", "W", "%", "@": em += 0.9
        case "A"..."Z": em += 0.7
        case _ where scalar.value >= 0x2E80: em += 1.0  // CJK and wide symbols
        case _ where scalar.value >= 0x80: em += 0.7
        default: em += 0.6
        }
    }
    return em * fontSize
}

/// `text` shortened with "…" to fit `width`.
func fitted(_ text: String, width: Double, fontSize: Double) -> String {
    if textWidth(text, fontSize: fontSize) <= width { return text }
    var chars = Array(text)
    while !chars.isEmpty && textWidth(String(chars) + "…", fontSize: fontSize) > width { chars.removeLast() }
    return chars.isEmpty ? "" : String(chars) + "…"
}

/// The Okabe–Ito colour-blind-safe palette (yellow left out: too light on white),
/// marker shapes and dash patterns, cycled together so that any two of the
/// first 35 series differ in colour, shape or dash.
enum SeriesStyle {
    static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    enum Marker: CaseIterable { case circle, square, triangle, diamond, invertedTriangle }
    static let dashes = ["", "7 3", "2 2.5"]

    static func color(_ index: Int) -> String { colors[index % colors.count] }
    static func marker(_ index: Int) -> Marker { Marker.allCases[index % Marker.allCases.count] }
    static func dash(_ index: Int) -> String { dashes[(index / colors.count) % dashes.count] }
}

/// An SVG element for one marker of `size` (about the diameter) centred on (x, y).
func markerElement(_ marker: SeriesStyle.Marker, x: Double, y: Double, size: Double) -> String {
    let r = size / 2
    switch marker {
    case .circle:
        return "<circle cx=\"\(svgNumber(x))\" cy=\"\(svgNumber(y))\" r=\"\(svgNumber(r))\"/>"
    case .square:
        let s = r * 0.9
        return
            "<rect x=\"\(svgNumber(x - s))\" y=\"\(svgNumber(y - s))\" width=\"\(svgNumber(2 * s))\" height=\"\(svgNumber(2 * s))\"/>"
    case .triangle, .invertedTriangle:
        let d: Double = marker == .triangle ? 1 : -1
        let r = r * 1.2
        let points = [(x, y - d * r), (x + r * 0.87, y + d * r * 0.5), (x - r * 0.87, y + d * r * 0.5)]
        return "<polygon points=\"\(points.map { svgNumber($0.0) + "," + svgNumber($0.1) }.joined(separator: " "))\"/>"
    case .diamond:
        let r = r * 1.2
        let points = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
        return "<polygon points=\"\(points.map { svgNumber($0.0) + "," + svgNumber($0.1) }.joined(separator: " "))\"/>"
    }
}

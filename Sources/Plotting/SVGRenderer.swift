/// Renders line charts as a standalone SVG document, panels in a grid.
///
/// Each panel has a title, axes with nice tick values (1, 2 or 5 × 10^k),
/// light grid lines, the two axis titles, and a legend under the plot naming
/// every series. Each series is exactly one `<path data-series="LABEL">`
/// (NaN and infinite points break the line), plus one
/// `<g data-markers="LABEL">` of markers when the chart's ``MarkerPolicy``
/// asks for them. A label keeps the same colour, marker and dash in every
/// panel: styles are assigned by label, in order of first appearance.
/// Colours come from the Okabe–Ito colour-blind-safe palette.
public enum SVGRenderer {
    /// Renders `charts` row by row, `columns` per row.
    ///
    /// - Parameters:
    ///   - columns: panels per row (at least 1; at most the number of charts).
    ///   - panelWidth, panelHeight: the size of one panel in pixels (at least 240 × 180).
    ///   - title: a title over the whole figure.
    /// - Returns: the SVG document, UTF-8 text starting with an XML declaration.
    public static func render(
        _ charts: [LineChart], columns: Int = 2, panelWidth: Int = 560,
        panelHeight: Int = 380, title: String? = nil
    ) -> String {
        let columns = max(1, min(columns, max(charts.count, 1)))
        let rows = max(1, (charts.count + columns - 1) / columns)
        let panelW = Double(max(panelWidth, 240)), panelH = Double(max(panelHeight, 180))
        let title = title.map { $0.trimmingWhitespace() } ?? ""
        let titleHeight = title.isEmpty ? 0.0 : 34
        let width = Double(columns) * panelW, height = Double(rows) * panelH + titleHeight

        var styleIndex: [String: Int] = [:]
        for chart in charts {
            for series in chart.series where styleIndex[series.label] == nil {
                styleIndex[series.label] = styleIndex.count
            }
        }

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(svgNumber(width))" height="\(svgNumber(height))" \
            viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">

            """
        if !title.isEmpty { svg += "<title>\(xmlEscaped(title))</title>\n" }
        svg +=
            "<rect x=\"0\" y=\"0\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" fill=\"#ffffff\"/>\n"
        if !title.isEmpty {
            svg +=
                "<text x=\"\(svgNumber(width / 2))\" y=\"24\" font-size=\"16\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"#111111\">"
            svg += xmlEscaped(fitted(title, width: (width - 24) / boldWidthFactor, fontSize: 16)) + "</text>\n"
        }
        let panels = charts.isEmpty ? [LineChart(xLabel: "", yLabel: "", series: [])] : charts
        for (i, chart) in panels.enumerated() {
            let x0 = Double(i % columns) * panelW, y0 = titleHeight + Double(i / columns) * panelH
            svg += PanelRenderer(chart: chart, id: i, width: panelW, height: panelH, styleIndex: styleIndex)
                .render(x0: x0, y0: y0)
        }
        svg += "</svg>\n"
        return svg
    }
}

/// Lays out and draws one panel in its own coordinates (0, 0)–(width, height).
private struct PanelRenderer {
    let chart: LineChart
    let id: Int
    let width: Double
    let height: Double
    let styleIndex: [String: Int]

    static let pad = 12.0
    static let tickFont = 11.0, axisFont = 12.0, legendFont = 12.0, titleFont = 14.0
    static let legendRowHeight = 18.0, legendSample = 28.0, legendGap = 18.0

    /// The clip path of the plot area (unique per panel).
    var clipID: String { "charnn-plot-clip-\(id)" }

    func render(x0: Double, y0: Double) -> String {
        var out = "<g class=\"chart\" transform=\"translate(\(svgNumber(x0)),\(svgNumber(y0)))\">\n"
        let f = layout(title: &out)
        out += gridAndTicks(f) + axisTitles(f) + seriesPaths(f) + legendBlock(f)
        return out + "</g>\n"
    }

    /// Where everything goes in the panel: the plot area, the axes' ranges and ticks, the legend.
    struct Layout {
        var finite: [[(x: Double, y: Double)]]
        var hasData: Bool
        var xLo: Double, xHi: Double, yLo: Double, yHi: Double
        var legend: [[LegendEntry]]
        var legendHeight: Double
        var xTitleBaseline: Double
        var plotLeft: Double, plotTop: Double, plotWidth: Double, plotHeight: Double
        var xTicks: AxisTicks, yTicks: AxisTicks, yLabels: [String]

        func sx(_ x: Double) -> Double { plotLeft + (x - xLo) / (xHi - xLo) * plotWidth }
        func sy(_ y: Double) -> Double { plotTop + plotHeight - (y - yLo) / (yHi - yLo) * plotHeight }
    }

    /// Lays the panel out; draws its title (if any) into `out`, since the plot starts below it.
    func layout(title out: inout String) -> Layout {
        let pad = Self.pad
        // Title.
        let title = chart.title.trimmingWhitespace()
        var contentTop = pad
        if !title.isEmpty {
            out += text(
                fitted(title, width: (width - 2 * pad) / boldWidthFactor, fontSize: Self.titleFont), x: width / 2,
                y: pad + 13,
                size: Self.titleFont, anchor: "middle", extra: " font-weight=\"bold\" fill=\"#111111\"")
            contentTop += 22
        }

        // Data extent.
        let finite = chart.series.map { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
        let allPoints = finite.joined()
        let hasData = !allPoints.isEmpty
        let (xLo, xHi) = axisRange(explicit: chart.xRange, values: allPoints.map(\.x))
        // Error bars belong to the data: the y range holds them whole.
        let barEnds = chart.series.flatMap { s in s.points.indices.compactMap(s.errorBar).flatMap { [$0.low, $0.high] }
        }
        let (yLo, yHi) = axisRange(explicit: chart.yRange, values: allPoints.map(\.y) + barEnds)

        // Legend rows, bottom of the panel.
        let legend = legendRows(finite: finite)
        let legendHeight = Double(legend.count) * Self.legendRowHeight
        let xTitleBaseline = height - pad - legendHeight - (legend.isEmpty ? 0 : 8) - 3
        let plotBottom = xTitleBaseline - 34
        let plotTop = contentTop + 8
        let plotHeight = max(plotBottom - plotTop, 20)

        // Y ticks decide the left margin; x ticks must not overlap their neighbours.
        let yTicks = AxisTicks.nice(lower: yLo, upper: yHi, maxCount: min(max(Int(plotHeight / 42) + 1, 2), 9))
        let yLabels = yTicks.labels
        let yLabelWidth = yLabels.map { textWidth($0, fontSize: Self.tickFont) }.max() ?? 0
        let plotLeft = pad + 16 + 8 + yLabelWidth + 6
        var plotRight = width - pad - 10
        var xTicks = xAxisTicks(lo: xLo, hi: xHi, left: plotLeft, right: plotRight)
        if let last = xTicks.values.last {
            let px = plotLeft + (last - xLo) / (xHi - xLo) * (plotRight - plotLeft)
            let overflow = px + textWidth(xTicks.label(for: last), fontSize: Self.tickFont) / 2 - (width - 4)
            if overflow > 0 {
                plotRight -= overflow
                xTicks = xAxisTicks(lo: xLo, hi: xHi, left: plotLeft, right: plotRight)
            }
        }
        let plotWidth = max(plotRight - plotLeft, 20)
        return Layout(
            finite: finite, hasData: hasData, xLo: xLo, xHi: xHi, yLo: yLo, yHi: yHi, legend: legend,
            legendHeight: legendHeight, xTitleBaseline: xTitleBaseline, plotLeft: plotLeft, plotTop: plotTop,
            plotWidth: plotWidth, plotHeight: plotHeight, xTicks: xTicks, yTicks: yTicks, yLabels: yLabels)
    }

    /// The grid, the frame, the ticks and their labels.
    func gridAndTicks(_ f: Layout) -> String {
        var out = ""
        // Grid, frame, ticks and tick labels.
        out += "<clipPath id=\"\(clipID)\"><rect x=\"\(svgNumber(f.plotLeft))\" y=\"\(svgNumber(f.plotTop))\" "
        out += "width=\"\(svgNumber(f.plotWidth))\" height=\"\(svgNumber(f.plotHeight))\"/></clipPath>\n"
        out += "<g class=\"grid\" stroke=\"#e4e4e4\" stroke-width=\"1\">\n"
        for v in f.xTicks.values { out += line(f.sx(v), f.plotTop, f.sx(v), f.plotTop + f.plotHeight) }
        for v in f.yTicks.values { out += line(f.plotLeft, f.sy(v), f.plotLeft + f.plotWidth, f.sy(v)) }
        out += "</g>\n"
        out +=
            "<rect class=\"frame\" x=\"\(svgNumber(f.plotLeft))\" y=\"\(svgNumber(f.plotTop))\" width=\"\(svgNumber(f.plotWidth))\" "
        out += "height=\"\(svgNumber(f.plotHeight))\" fill=\"none\" stroke=\"#555555\" stroke-width=\"1\"/>\n"

        out +=
            "<g class=\"x-axis\" font-size=\"\(svgNumber(Self.tickFont))\" fill=\"#333333\" text-anchor=\"middle\">\n"
        for v in f.xTicks.values {
            out += line(f.sx(v), f.plotTop + f.plotHeight, f.sx(v), f.plotTop + f.plotHeight + 4, stroke: "#555555")
            out +=
                "<text x=\"\(svgNumber(f.sx(v)))\" y=\"\(svgNumber(f.plotTop + f.plotHeight + 17))\">\(xmlEscaped(f.xTicks.label(for: v)))</text>\n"
        }
        out += "</g>\n"
        out += "<g class=\"y-axis\" font-size=\"\(svgNumber(Self.tickFont))\" fill=\"#333333\" text-anchor=\"end\">\n"
        for (v, label) in zip(f.yTicks.values, f.yLabels) {
            out += line(f.plotLeft - 4, f.sy(v), f.plotLeft, f.sy(v), stroke: "#555555")
            out +=
                "<text x=\"\(svgNumber(f.plotLeft - 6))\" y=\"\(svgNumber(f.sy(v) + 4))\">\(xmlEscaped(label))</text>\n"
        }
        out += "</g>\n"
        return out
    }

    /// The axes' titles.
    func axisTitles(_ f: Layout) -> String {
        let pad = Self.pad
        var out = ""
        // Axis titles.
        let xTitle = fitted(chart.xLabel.trimmingWhitespace(), width: width - 2 * pad, fontSize: Self.axisFont)
        out += text(
            xTitle, x: f.plotLeft + f.plotWidth / 2, y: f.xTitleBaseline, size: Self.axisFont, anchor: "middle",
            extra: " class=\"x-title\" fill=\"#111111\"")
        let yTitle = fitted(chart.yLabel.trimmingWhitespace(), width: f.plotHeight + 30, fontSize: Self.axisFont)
        let yTitleX = pad + 10, yTitleY = f.plotTop + f.plotHeight / 2
        out += text(
            yTitle, x: yTitleX, y: yTitleY, size: Self.axisFont, anchor: "middle",
            extra:
                " class=\"y-title\" fill=\"#111111\" transform=\"rotate(-90 \(svgNumber(yTitleX)) \(svgNumber(yTitleY)))\""
        )
        return out
    }

    /// One path per series, its error bars and markers; "no data" on an empty chart.
    func seriesPaths(_ f: Layout) -> String {
        var out = ""
        // Series: one path each, then markers.
        out += "<g class=\"series\" clip-path=\"url(#\(clipID))\">\n"
        for (series, points) in zip(chart.series, f.finite) {
            let style = styleIndex[series.label] ?? 0
            let color = xmlEscaped(series.color ?? SeriesStyle.color(style))
            var d = ""
            var penDown = false
            for p in series.points {
                guard p.x.isFinite && p.y.isFinite else { penDown = false; continue }
                d += (penDown ? "L" : (d.isEmpty ? "M" : " M")) + svgNumber(f.sx(p.x)) + " " + svgNumber(f.sy(p.y))
                penDown = true
            }
            let dash = SeriesStyle.dash(style)
            let dense = points.count > LineChart.automaticMarkerLimit
            out += "<path data-series=\"\(xmlEscaped(series.label))\" d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" "
            out += "stroke-width=\"\(dense ? "1.2" : "1.8")\" stroke-linejoin=\"round\" stroke-linecap=\"round\""
            out += (dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"") + "/>\n"
            let bars = series.points.indices.compactMap { i in series.errorBar(i).map { (series.points[i].x, $0) } }
            if !bars.isEmpty {
                // One vertical bar with short caps per point: y ± e.
                out += "<g data-errors=\"\(xmlEscaped(series.label))\" stroke=\"\(color)\" stroke-width=\"1.2\">"
                for (x, bar) in bars {
                    let px = f.sx(x), top = f.sy(bar.high), bottom = f.sy(bar.low)
                    out += "<path d=\"M\(svgNumber(px)) \(svgNumber(top))L\(svgNumber(px)) \(svgNumber(bottom))"
                    out += " M\(svgNumber(px - 3)) \(svgNumber(top))L\(svgNumber(px + 3)) \(svgNumber(top))"
                    out += " M\(svgNumber(px - 3)) \(svgNumber(bottom))L\(svgNumber(px + 3)) \(svgNumber(bottom))\"/>"
                }
                out += "</g>\n"
            }
            if showsMarkers(points) {
                out +=
                    "<g data-markers=\"\(xmlEscaped(series.label))\" fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"0.8\">"
                for p in points {
                    out += markerElement(SeriesStyle.marker(style), x: f.sx(p.x), y: f.sy(p.y), size: 6.5)
                }
                out += "</g>\n"
            }
        }
        out += "</g>\n"
        if !f.hasData {
            out += text(
                "no data", x: f.plotLeft + f.plotWidth / 2, y: f.plotTop + f.plotHeight / 2 + 4, size: Self.axisFont,
                anchor: "middle", extra: " fill=\"#888888\"")
        }
        return out
    }

    /// The legend rows at the bottom of the panel.
    func legendBlock(_ f: Layout) -> String {
        let pad = Self.pad
        var out = ""
        // Legend.
        if !f.legend.isEmpty {
            out += "<g class=\"legend\" font-size=\"\(svgNumber(Self.legendFont))\" fill=\"#111111\">\n"
            var baseline = height - pad - f.legendHeight + Self.legendRowHeight - 4
            for row in f.legend {
                let rowWidth = row.map(\.width).reduce(0, +) + Self.legendGap * Double(row.count - 1)
                var x = max(pad, min(f.plotLeft + f.plotWidth / 2, width / 2) - rowWidth / 2)
                for entry in row {
                    let style = styleIndex[entry.series.label] ?? 0
                    let color = xmlEscaped(entry.series.color ?? SeriesStyle.color(style))
                    let dash = SeriesStyle.dash(style)
                    let midY = baseline - 4
                    out +=
                        "<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(midY))\" x2=\"\(svgNumber(x + Self.legendSample))\" y2=\"\(svgNumber(midY))\" "
                    out +=
                        "stroke=\"\(color)\" stroke-width=\"1.8\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>"
                    if entry.markers {
                        out += "<g fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"0.8\">"
                        out +=
                            markerElement(SeriesStyle.marker(style), x: x + Self.legendSample / 2, y: midY, size: 6.5)
                            + "</g>"
                    }
                    out +=
                        "<text x=\"\(svgNumber(x + Self.legendSample + 5))\" y=\"\(svgNumber(baseline))\">\(xmlEscaped(entry.text))</text>\n"
                    x += entry.width + Self.legendGap
                }
                baseline += Self.legendRowHeight
            }
            out += "</g>\n"
        }
        return out
    }

    /// The axis range: the explicit one, or the data's with a 4 % margin each side.
    private func axisRange(explicit: ClosedRange<Double>?, values: [Double]) -> (Double, Double) {
        if let explicit { return AxisTicks.paddedRange(explicit.lowerBound, explicit.upperBound, margin: 0) }
        guard let lo = values.min(), let hi = values.max() else { return (0, 1) }
        return AxisTicks.paddedRange(lo, hi, margin: 0.04)
    }

    /// The most x ticks (up to one per 70 px) whose labels do not collide.
    private func xAxisTicks(lo: Double, hi: Double, left: Double, right: Double) -> AxisTicks {
        let plotWidth = max(right - left, 20)
        var count = min(max(Int(plotWidth / 70) + 1, 2), 11)
        while true {
            let ticks = AxisTicks.nice(lower: lo, upper: hi, maxCount: count)
            let spacing = plotWidth * ticks.step / (hi - lo)
            let widest = ticks.labels.map { textWidth($0, fontSize: Self.tickFont) }.max() ?? 0
            if widest + 12 <= spacing || count <= 2 { return ticks }
            count -= 1
        }
    }

    /// Whether a series with these finite points gets markers under the chart's policy.
    private func showsMarkers(_ points: [(x: Double, y: Double)]) -> Bool {
        guard !points.isEmpty else { return false }
        switch chart.markers {
        case .always: return true
        case .never: return false
        case .automatic: return points.count <= LineChart.automaticMarkerLimit
        }
    }

    struct LegendEntry { let series: Series; let text: String; let width: Double; let markers: Bool }

    /// Legend entries packed greedily into rows of the panel's width.
    private func legendRows(finite: [[(x: Double, y: Double)]]) -> [[LegendEntry]] {
        let available = width - 2 * Self.pad
        var rows: [[LegendEntry]] = []
        var current: [LegendEntry] = []
        var used = 0.0
        for (series, points) in zip(chart.series, finite) {
            let label = series.label.trimmingWhitespace() + (points.isEmpty ? " (no data)" : "")
            let text = fitted(label, width: available - Self.legendSample - 5, fontSize: Self.legendFont)
            let w = Self.legendSample + 5 + textWidth(text, fontSize: Self.legendFont)
            if !current.isEmpty && used + Self.legendGap + w > available {
                rows.append(current)
                current = []
                used = 0
            }
            used += (current.isEmpty ? 0 : Self.legendGap) + w
            current.append(LegendEntry(series: series, text: text, width: w, markers: showsMarkers(points)))
        }
        if !current.isEmpty { rows.append(current) }
        return rows
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String? = nil) -> String {
        "<line x1=\"\(svgNumber(x1))\" y1=\"\(svgNumber(y1))\" x2=\"\(svgNumber(x2))\" y2=\"\(svgNumber(y2))\""
            + (stroke.map { " stroke=\"\($0)\"" } ?? "") + "/>\n"
    }

    private func text(_ s: String, x: Double, y: Double, size: Double, anchor: String, extra: String = "") -> String {
        "<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" font-size=\"\(svgNumber(size))\" text-anchor=\"\(anchor)\"\(extra)>"
            + xmlEscaped(s) + "</text>\n"
    }
}

/// Bold text runs about this much wider than the regular-weight estimate of ``textWidth(_:fontSize:)``.
private let boldWidthFactor = 1.15

extension String {
    /// Without leading and trailing whitespace and newlines (no Foundation needed).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}

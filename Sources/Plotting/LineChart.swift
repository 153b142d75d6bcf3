/// One labelled curve: points joined in the order given.
///
/// Points with a NaN or infinite coordinate are skipped and break the line
/// there (the points on either side are not joined).
public struct Series: Sendable {
    /// The legend text.
    public var label: String
    /// The points, joined in this order.
    public var points: [(x: Double, y: Double)]
    /// A CSS colour (`#0072B2`, `teal`); nil picks one from the palette by label.
    public var color: String?
    /// Half-heights of error bars, one per point (`y ± e`, e.g. a standard deviation over seeds);
    /// nil, or a NaN, zero or negative entry, draws no bar for that point.
    public var errors: [Double]?

    public init(label: String, points: [(x: Double, y: Double)], color: String? = nil, errors: [Double]? = nil) {
        self.label = label
        self.points = points
        self.color = color
        self.errors = errors
    }

    /// A series from parallel coordinate arrays; pairs up to the shorter array.
    public init(label: String, x: [Double], y: [Double], color: String? = nil, errors: [Double]? = nil) {
        self.init(label: label, points: zip(x, y).map { (x: $0, y: $1) }, color: color, errors: errors)
    }

    /// The error bar of point `i` as (low, high), when it has one.
    public func errorBar(_ i: Int) -> (low: Double, high: Double)? {
        guard let errors, i < errors.count, i < points.count else { return nil }
        let e = errors[i], p = points[i]
        guard e.isFinite, e > 0, p.x.isFinite, p.y.isFinite else { return nil }
        return (p.y - e, p.y + e)
    }
}

/// When to draw a marker on every point.
public enum MarkerPolicy: Sendable, Equatable {
    /// On series with at most ``LineChart/automaticMarkerLimit`` finite points
    /// (validation curves), not on dense ones (per-step training loss).
    case automatic
    case always
    case never
}

/// One panel: a title, two axis titles (with units) and labelled series.
public struct LineChart: Sendable {
    /// Series with more finite points than this get no markers under ``MarkerPolicy/automatic``.
    public static let automaticMarkerLimit = 60

    public var title: String
    /// The x-axis title, units included: `"training step"`, `"wall-clock time (s)"`.
    public var xLabel: String
    /// The y-axis title, units included: `"validation loss (nats/char)"`.
    public var yLabel: String
    public var series: [Series]
    /// A fixed x range; nil fits the data (with a 5 % margin). Points outside are clipped.
    public var xRange: ClosedRange<Double>?
    /// A fixed y range; nil fits the data (with a 5 % margin). Points outside are clipped.
    public var yRange: ClosedRange<Double>?
    public var markers: MarkerPolicy

    public init(
        title: String = "", xLabel: String, yLabel: String, series: [Series],
        xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
        markers: MarkerPolicy = .automatic
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xRange = xRange
        self.yRange = yRange
        self.markers = markers
    }
}

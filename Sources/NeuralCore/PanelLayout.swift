/// Where the rows of a matrix stored in panels of 8 rows lie (`PanelMatrix`, `Int8Matrix`). The
/// rows may be cut into segments of `segment` rows (a gate of an RNN layer: `hidden` rows) whose
/// panels start afresh, the last panel of each padded; a range of rows starting at a multiple of
/// 8 within its segment begins at a panel.
public struct PanelLayout: Sendable {
    public let rows: Int
    /// Rows per segment (`rows` when the matrix is one segment).
    public let segment: Int
    /// Panels per segment.
    public let panelsPerSegment: Int

    /// `rows` in segments of `segment` (nil: one).
    public init(rows: Int, cols: Int, segment: Int?) {
        let segment = segment ?? rows
        precondition(rows >= 0 && cols >= 0, "matrix shape must be non-negative")
        precondition(rows == 0 || (segment > 0 && rows % segment == 0), "\(rows) rows are not segments of \(segment)")
        self.rows = rows
        self.segment = segment
        panelsPerSegment = (segment + 7) / 8
    }

    /// Segments (0 for no rows).
    public var segments: Int { rows == 0 ? 0 : rows / segment }

    /// Panels in all.
    public var panels: Int { segments * panelsPerSegment }

    /// Row `row`'s place among the padded rows (the segments' panels one after the other).
    public func paddedIndex(_ row: Int) -> Int {
        let s = row / segment
        return s * panelsPerSegment * 8 + row - s * segment
    }

    /// The panel where `rows` begins (checked: in one segment, at a multiple of 8 in it).
    @inlinable
    public func panel(at r: Range<Int>) -> Int {
        let s = r.lowerBound / max(segment, 1), offset = r.lowerBound - s * segment
        precondition(
            r.lowerBound >= 0 && r.upperBound <= min(rows, (s + 1) * segment) && offset % 8 == 0,
            "rows \(r) do not start a panel of one segment of \(segment) rows")
        return s * panelsPerSegment + offset / 8
    }
}

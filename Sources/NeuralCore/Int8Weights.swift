import CKernels

/// A copy of a float matrix [rows, cols] in 8 bits per weight: row i is `scale(ofRow: i) · q[i, k]`,
/// q in −127…127 rounded to nearest, the scale `max_k |W[i, k]| / 127`.
///
/// The 8-bit values lie in panels of 8 rows, each row's columns in pairs (the unit of AVX2's
/// vpmaddwd): a product widens a panel's pair of columns once for every stream that shares it.
/// As in `PanelMatrix`, the rows may be cut into segments whose panels start afresh
/// (`PanelLayout`), and a range of rows for `dots` starts at a panel.
public final class Int8Matrix: @unchecked Sendable {
    public let cols: Int
    public let layout: PanelLayout
    /// Bytes per panel: 16 per pair of columns.
    @usableFromInline let panelBytes: Int
    /// The panels (ck_pack_i8_panels' layout), segment after segment.
    @usableFromInline let panels: UnsafeMutablePointer<Int8>
    /// One scale per row, padded with zeros to whole panels in each segment.
    @usableFromInline let scales: UnsafeMutablePointer<Float>

    /// Quantises `rows × cols` floats (row stride `cols`), in segments of `segment` rows (nil: one).
    public init(from source: UnsafePointer<Float>, rows: Int, cols: Int, segment: Int? = nil) {
        layout = PanelLayout(rows: rows, cols: cols, segment: segment)
        self.cols = cols
        panelBytes = 16 * ((cols + 1) / 2)
        panels = .allocate(capacity: max(layout.panels * panelBytes, 1))
        scales = .allocate(capacity: max(layout.panels * 8, 1))
        update(from: source)
    }

    deinit {
        panels.deallocate()
        scales.deallocate()
    }

    /// Quantises again from `source` (same shape), after the float weights changed.
    public func update(from source: UnsafePointer<Float>) {
        let segment = layout.segment, perSegment = layout.panelsPerSegment
        let q = UnsafeMutablePointer<Int8>.allocate(capacity: max(segment * cols, 1))
        defer { q.deallocate() }
        for s in 0..<layout.segments {
            let padded = scales + s * perSegment * 8
            padded.initialize(repeating: 0, count: perSegment * 8)
            ck_quantize_rows(source + s * segment * cols, cols, segment, cols, q, padded)
            ck_pack_i8_panels(q, cols, segment, cols, panels + s * perSegment * panelBytes)
        }
    }

    public var rows: Int { layout.rows }

    /// Row `row`'s scale.
    public func scale(ofRow row: Int) -> Float { scales[layout.paddedIndex(row)] }

    /// The 8-bit value of row `row`, column `col`.
    public func quantized(row: Int, col: Int) -> Int8 {
        let i = layout.paddedIndex(row)
        return panels[(i / 8) * panelBytes + (col / 2) * 16 + (i % 8) * 2 + col % 2]
    }

    /// The weights as the kernels see them (scale · q), [rows, cols].
    public var floats: [Float] {
        (0..<(rows * cols)).map { scale(ofRow: $0 / cols) * Float(quantized(row: $0 / cols, col: $0 % cols)) }
    }

    /// `y[b·yStride + i] = base[b·baseStride + i] + scale(r) · Σ_k q[r, k] · x̂_b[k]` for the rows
    /// `r` in `rows` (i from 0) and each of `vectors` streams, x̂ being x rounded to 16-bit steps
    /// of max|x| / 32767 per block of 512 columns. The sums are exact integers, so every kernel
    /// level and every number of streams gives a stream the same bits. `rows` lies in one
    /// segment and starts at a multiple of 8 within it; `baseStride` 0 adds one vector (a bias)
    /// to every stream; `base` may be `y` with `baseStride == yStride`.
    @inlinable
    public func dots(
        rows r: Range<Int>, vectors: Int = 1, x: UnsafePointer<Float>, xStride: Int = 0,
        base: UnsafePointer<Float>?, baseStride: Int = 0, into y: UnsafeMutablePointer<Float>, yStride: Int = 0
    ) {
        let first = layout.panel(at: r)
        ck_i8_panel_dots(
            panels + first * panelBytes, scales + first * 8, r.count, cols, vectors, x, xStride, base, baseStride, y,
            yStride)
    }
}

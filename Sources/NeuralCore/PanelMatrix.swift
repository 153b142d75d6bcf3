// Matrix–vector products for a few streams (batch 1 to ~16), where BLAS's per-call checks,
// threading decisions and packing cost as much as the arithmetic: each step of a 2×384 LSTM
// is a few products of ~1,500 rows by 384 columns, split by rows over a `SpinTeam`.
// The loop is C (CKernels: AVX2+FMA or portable, chosen at run time).

import CKernels

/// A copy of a float matrix [rows, cols] in panels of 8 rows, the layout of an sgemm
/// micro-kernel: panel p holds rows 8p…8p+7 column after column, so one vector load reads
/// column k of eight rows, and each stream's x[k] is broadcast against it. For 16 streams
/// the products run at most of the machine's multiply–add rate, against ~60% for dot products
/// of rows (which end in a horizontal sum per row and stream).
///
/// The rows may be cut into segments whose panels start afresh (`PanelLayout`).
public final class PanelMatrix: @unchecked Sendable {
    public let cols: Int
    public let layout: PanelLayout
    /// The panels, 8 · `cols` floats each, 64-byte aligned.
    @usableFromInline let panels: UnsafeMutablePointer<Float>

    /// Packs `rows × cols` floats (row stride `cols`), in segments of `segment` rows (nil: one).
    public init(from source: UnsafePointer<Float>, rows: Int, cols: Int, segment: Int? = nil) {
        layout = PanelLayout(rows: rows, cols: cols, segment: segment)
        self.cols = cols
        let count = layout.panels * 8 * cols
        panels = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
        update(from: source)
    }

    deinit { panels.deallocate() }

    public var rows: Int { layout.rows }

    /// Bytes the panels take (rows padded to a multiple of 8 per segment).
    public var byteCount: Int { layout.panels * 8 * cols * 4 }

    /// Packs again from `source` (same shape), after the float weights changed.
    public func update(from source: UnsafePointer<Float>) {
        let segment = layout.segment
        for s in 0..<layout.segments {
            ck_pack_panels(
                source + s * segment * cols, cols, segment, cols, panels + s * layout.panelsPerSegment * 8 * cols)
        }
    }

    /// `y[b·yStride + i] = base[b·baseStride + i] + Σ_k W[r, k] · x[b·xStride + k]` for the rows
    /// `r` in `rows` (i from 0) and each of `vectors` streams. `rows` lies in one segment and
    /// starts at a multiple of 8 within it. Each (row, stream) is one fixed chain of
    /// multiply–adds in column order, so a stream gets the same bits whatever streams share the
    /// call. `baseStride` 0 adds one vector (a bias) to every stream; `base` may be `y` with
    /// `baseStride == yStride`.
    @inlinable
    public func dots(
        rows r: Range<Int>, vectors: Int = 1, x: UnsafePointer<Float>, xStride: Int = 0,
        base: UnsafePointer<Float>?, baseStride: Int = 0, into y: UnsafeMutablePointer<Float>, yStride: Int = 0
    ) {
        ck_panel_dots(
            panels + layout.panel(at: r) * 8 * cols, r.count, cols, vectors, x, xStride, base, baseStride, y, yStride)
    }
}

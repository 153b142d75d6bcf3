import XCTest

@testable import NeuralCore

/// The seed rule's check, shared by the float and 8-bit matrices: `many(vectors, …)` must give
/// every stream exactly the bits `one(…)` gives it alone, with no base, one shared base, one per
/// stream, and in place (base = y), for `vectors` = 1…`streams`. `x` holds `streams` rows of
/// `xStride`, `bases` as many of `yStride`; `rows` outputs per stream are compared (and the
/// padding between them, which must stay untouched).
func assertEveryStreamCountGivesTheOneStreamBits(
    _ label: String, rows: Int, streams: Int, x: [Float], xStride: Int, bases: [Float], yStride: Int,
    one: (_ x: UnsafePointer<Float>, _ base: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>) -> Void,
    many: (
        _ vectors: Int, _ x: UnsafePointer<Float>, _ base: UnsafePointer<Float>?, _ baseStride: Int,
        _ y: UnsafeMutablePointer<Float>
    ) -> Void
) {
    for baseKind in 0..<4 {  // none, one shared, one per stream, in place
        for vectors in 1...streams {
            var single = bases, batched = bases
            x.withUnsafeBufferPointer { xp in
                bases.withUnsafeBufferPointer { bp in
                    single.withUnsafeMutableBufferPointer { y in
                        for b in 0..<vectors {
                            let base: UnsafePointer<Float>? =
                                switch baseKind {
                                case 0: nil
                                case 1: bp.baseAddress!
                                case 2: bp.baseAddress! + b * yStride
                                default: UnsafePointer(y.baseAddress! + b * yStride)
                                }
                            one(xp.baseAddress! + b * xStride, base, y.baseAddress! + b * yStride)
                        }
                    }
                    batched.withUnsafeMutableBufferPointer { y in
                        let base: UnsafePointer<Float>? =
                            switch baseKind {
                            case 0: nil
                            case 3: UnsafePointer(y.baseAddress!)
                            default: bp.baseAddress!
                            }
                        many(vectors, xp.baseAddress!, base, baseKind == 1 ? 0 : yStride, y.baseAddress!)
                    }
                }
            }
            for i in 0..<(streams * yStride) where single[i].bitPattern != batched[i].bitPattern {
                XCTFail(
                    "\(label) rows \(rows) base \(baseKind) vectors \(vectors): element \(i) \(batched[i]) ≠ \(single[i])"
                )
            }
        }
    }
}

import CKernels

/// Storage precision of the weights read by single-stream inference.
public enum WeightPrecision: String, CaseIterable, Sendable {
    /// 32-bit floats: exactly the trained weights.
    case float32 = "f32"
    /// IEEE half precision (11 significant bits, relative rounding ≤ 2⁻¹¹ per weight), with
    /// float arithmetic: half the bytes to read per character.
    case float16 = "f16"
    /// 8-bit integers with one float scale per row (symmetric, round to nearest: error ≤ half a
    /// step, max|row| / 254, per weight): a quarter of the bytes; activations are rounded to 16 bits.
    case int8 = "int8"
}

/// A copy of float weights in IEEE half precision (bit patterns).
public final class HalfBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<UInt16>

    /// Converts `count` floats, rounding to nearest even (beyond ±65504: saturated).
    public init(from source: UnsafePointer<Float>, count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        update(from: source)
    }

    deinit { pointer.deallocate() }

    /// Converts again from `source` (same count), after the float weights changed.
    public func update(from source: UnsafePointer<Float>) {
        ck_half_from_float(source, pointer, count)
    }

    /// The values as floats.
    public var floats: [Float] {
        [Float](unsafeUninitializedCapacity: count) { buf, n in
            ck_half_to_float(pointer, buf.baseAddress!, count)
            n = count
        }
    }

    /// Whether `rowDots(half:)` runs on vector instructions now (F16C with AVX2, at
    /// `KernelLevel.avx2`; else a portable loop).
    public static var isVectorized: Bool { KernelLevel.current >= .avx2 }
}

/// `rowDots` with half-precision weights: `y[i] = base[i] + Σ_k float(W[i·ld + k]) · x[k]`, on
/// the instruction set `KernelLevel` chose.
@inlinable
public func rowDots(
    half w: UnsafePointer<UInt16>, ld: Int, rows: Int, cols: Int, x: UnsafePointer<Float>,
    base: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>
) {
    ck_half_row_dots(w, ld, rows, cols, x, base, y)
}

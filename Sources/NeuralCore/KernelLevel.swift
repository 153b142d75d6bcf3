import CKernels

/// Which instruction set the kernels run on: the float kernels (row dots, cell steps, softmax,
/// element-wise) and the row dots of 8-bit and half-precision weights alike — one level for all
/// three. Chosen once at run time from the CPU's features — not from compiler flags, so every
/// build of charnn gets the fast kernels — and lowered only by tests and comparisons.
///
/// A level exists only where a bench on a CPU that has it measured it faster than the level
/// below (an AVX-512 half-precision path sampled slower than float weights on a Zen 4).
public enum KernelLevel: Int, CaseIterable, Sendable, Comparable {
    /// Baseline code of the target (SSE2 on x86-64; NEON on arm64).
    case portable = 0
    /// 256-bit AVX2 with fused multiply-adds and F16C conversions (x86-64 since Haswell / Zen).
    case avx2 = 1

    /// The best level this CPU runs.
    public static var best: KernelLevel { KernelLevel(rawValue: Int(ck_best_level())) ?? .portable }

    /// The level in use.
    public static var current: KernelLevel { KernelLevel(rawValue: Int(ck_level())) ?? .portable }

    /// Uses `level`, or the best below it that this CPU has; returns the level now in use. Not
    /// meant to change while kernels run on other threads (tests, A/B comparisons).
    @discardableResult
    public static func use(_ level: KernelLevel) -> KernelLevel {
        KernelLevel(rawValue: Int(ck_set_level(Int32(level.rawValue)))) ?? .portable
    }

    /// Every level this CPU runs, lowest first.
    public static var available: [KernelLevel] { allCases.filter { $0 <= best } }

    public static func < (a: KernelLevel, b: KernelLevel) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .portable: return "portable"
        case .avx2: return "avx2+fma"
        }
    }

    /// One line for `bench` and `info`: the kernels that run now, e.g.
    /// "avx2+fma floats, avx2 int8, f16c half" — read from the table the kernels are called through.
    public static var summary: String {
        "\(String(cString: ck_float_kernels())) floats, \(String(cString: ck_int8_kernels())) int8, "
            + "\(String(cString: ck_half_kernels())) half"
    }
}

/// SplitMix64: a small, fast, seedable generator (Steele, Lea & Flood 2014).
///
/// Every source of randomness in charnn (initialization, dropout masks, data
/// order, sampling) owns one of these, seeded from `--seed`, so a run is
/// reproducible bit for bit. Its whole state is one `UInt64`, which is what a
/// checkpoint saves to restore it exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The complete generator state (save it to resume the stream exactly).
    public var state: UInt64

    @inlinable
    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform `Float` in [0, 1) with 24 random bits.
    @inlinable
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A uniform `Float` in [lower, upper).
    @inlinable
    public mutating func nextFloat(in lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * nextUnitFloat()
    }

    /// A generator for an independent stream, derived from this one's seed and a label.
    /// Used to give initialization, dropout and sampling their own streams.
    @inlinable
    public static func derived(seed: UInt64, stream: UInt64) -> SplitMix64 {
        var g = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        _ = g.next()
        return SplitMix64(seed: g.next())
    }
}

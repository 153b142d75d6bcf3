// A seeded generator for test data, shared by every test bundle (swift-numerics' _TestSupport
// habit): the bundles that must not depend on NeuralCore (Tokenization, TensorIO) get the same
// SplitMix64 sequence as NeuralCore's generator without importing it.

/// SplitMix64 (Steele, Lea & Flood 2014): the same sequence as NeuralCore's `SplitMix64` for
/// the same seed, so generated test data never changes.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<n (n ≥ 1), by modulo: the tests' data, not a uniform-distribution claim.
    public mutating func below(_ n: Int) -> Int {
        precondition(n >= 1, "below(\(n)): n must be at least 1")
        return Int(next() % UInt64(n))
    }
}

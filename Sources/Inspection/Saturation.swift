// Gate saturation (Karpathy, Johnson & Fei-Fei 2015, figure 3): for each gate unit, the
// fraction of characters at which it is left-saturated (activation < 0.1) and the fraction
// at which it is right-saturated (> 0.9). A forget gate near the top left is almost always
// open: the unit integrates over long spans; units on neither axis act as ordinary
// feed-forward gates. Tanh activations (the candidates g and n, a plain RNN's h) are put
// on the same footing by mapping [−1, 1] onto [0, 1] first, so their thresholds are ±0.8.

/// How often each unit of one signal kind of one layer is saturated.
public struct SaturationStats: Codable, Equatable, Sendable {
    public let layer: Int
    public let kind: SignalKind
    /// Per unit, the fraction of characters with activation < 0.1 (on [0, 1]).
    public let left: [Double]
    /// Per unit, the fraction with activation > 0.9.
    public let right: [Double]
}

public enum Saturation {
    /// The lower and upper thresholds on the [0, 1] scale.
    public static let low = 0.1, high = 0.9

    /// The kinds the paper's scatter shows: the sigmoid gates of gated cells; for a plain RNN,
    /// whose only non-linearity is the tanh of h, h itself.
    public static func scatterKinds(_ kinds: [SignalKind]) -> [SignalKind] {
        let gates = kinds.filter { $0.range == .unit }
        return gates.isEmpty ? kinds.filter { $0.range == .symmetric } : gates
    }

    /// Saturation of every bounded signal (gates, candidates, h) of every layer.
    public static func measure(_ trace: ActivationTrace) -> [SaturationStats] {
        let H = trace.config.hidden
        return (0..<trace.config.layers).flatMap { l in
            trace.kinds.filter { $0.range != .unbounded }.map { kind in
                var left = [Double](repeating: 0, count: H), right = left
                for u in 0..<H {
                    let (a, b) = fractions(trace.series(Signal(layer: l, kind: kind, unit: u)), kind.range)
                    left[u] = a
                    right[u] = b
                }
                return SaturationStats(layer: l, kind: kind, left: left, right: right)
            }
        }
    }

    /// (left, right) saturated fractions of a series in the given range.
    static func fractions(_ values: [Float], _ range: SignalKind.Range) -> (Double, Double) {
        guard !values.isEmpty else { return (0, 0) }
        var left = 0, right = 0
        for v in values {
            let x = range == .symmetric ? (Double(v) + 1) / 2 : Double(v)
            if x < low { left += 1 } else if x > high { right += 1 }
        }
        return (Double(left) / Double(values.count), Double(right) / Double(values.count))
    }
}

// Which units track which property of the text. The score of a unit for a property is the
// absolute Pearson correlation, over the text, between the unit's value at each character
// and the property's value there (|r| = 1: an exact linear relation; 0: none). Units are
// ranked by it, best first. With thousands of units, some correlate by chance: the chance
// level reported beside each ranking is the best |r| any unit reaches against the same
// property shifted circularly by 1/5, 2/5, 3/5 and 4/5 of the text (the largest of the four)
// — the shifted property keeps its own rhythm (line lengths, word lengths) but no longer
// lines up with what the model read. A slowly varying property over a short text has few
// independent stretches, so its chance level is high: only scores well above it mean much.

/// A unit and its correlation with a property.
public struct RankedUnit: Codable, Equatable, Sendable {
    public let signal: Signal
    /// Pearson's r (signed: a unit may track a property by going down).
    public let correlation: Double
}

/// The best units for one property.
public struct PropertyRanking: Sendable {
    public let property: String
    public let summary: String
    /// Whether the property varies over the text (else nothing can be ranked).
    public let varies: Bool
    /// Best first, by |r|.
    public let best: [RankedUnit]
    /// The best |r| of any unit against the property shifted circularly (see above; nil: too short).
    public let chanceLevel: Double?
}

public enum UnitRanking {
    /// Below this many tokens nothing is ranked: over a handful of points, correlations of ±1
    /// come cheap (over two, every one is ±1).
    public static let minimumLength = 20

    /// Ranks `signals` against each property.
    ///
    /// - Parameters:
    ///   - series: a signal's values, one per token (as many as the properties have).
    ///   - top: how many units to keep per property.
    public static func rank(
        properties: [TextProperty], signals: [Signal], top: Int = 5,
        series: (Signal) -> [Float]
    ) -> [PropertyRanking] {
        let N = properties.first?.values.count ?? 0
        guard N >= minimumLength else {
            return properties.map {
                PropertyRanking(property: $0.name, summary: $0.summary, varies: $0.varies, best: [], chanceLevel: nil)
            }
        }
        // Centred, unit-norm property vectors, then their shifted twins (chance level), shift
        // by shift: probe P + s·P + k is property k shifted by shifts[s].
        let shifts = (1...4).map { $0 * N / 5 }
        var probes: [[Double]?] = properties.map { normalized($0.values) }
        for shift in shifts {
            probes += properties.map { p in normalized((0..<N).map { p.values[($0 + shift) % N] }) }
        }
        let P = properties.count
        var scores = [[RankedUnit]](repeating: [], count: P)
        var chance = [Double](repeating: 0, count: P)
        var centred = [Double](repeating: 0, count: N)
        for signal in signals {
            let x = series(signal)
            precondition(x.count == N, "signal \(signal) has \(x.count) values, the properties \(N)")
            var mean = 0.0
            for v in x { mean += Double(v) }
            mean /= Double(max(N, 1))
            var norm = 0.0
            for (t, v) in x.enumerated() {
                let d = Double(v) - mean
                centred[t] = d
                norm += d * d
            }
            // A constant unit (to rounding) tracks nothing.
            guard norm > 1e-12 * Double(N) else { continue }
            let scale = 1 / norm.squareRoot()
            for (k, probe) in probes.enumerated() {
                guard let probe else { continue }
                var dot = 0.0
                for t in 0..<N { dot += centred[t] * probe[t] }
                let r = dot * scale
                if k < P {
                    scores[k].append(RankedUnit(signal: signal, correlation: r))
                } else {
                    chance[k % P] = max(chance[k % P], abs(r))
                }
            }
        }
        return properties.enumerated().map { k, p in
            // Stable order: |r| descending, then the signals' own order.
            let ranked = scores[k].enumerated().sorted {
                abs($0.element.correlation) != abs($1.element.correlation)
                    ? abs($0.element.correlation) > abs($1.element.correlation) : $0.offset < $1.offset
            }
            let varies = probes[k] != nil
            return PropertyRanking(
                property: p.name, summary: p.summary, varies: varies,
                best: varies ? ranked.prefix(top).map(\.element) : [],
                chanceLevel: varies && !shifts.isEmpty ? chance[k] : nil)
        }
    }

    /// Ranks every signal of a trace.
    public static func rank(_ trace: ActivationTrace, properties: [TextProperty], top: Int = 5) -> [PropertyRanking] {
        rank(properties: properties, signals: trace.signals, top: top) { trace.series($0) }
    }

    /// Pearson's r of two series of the same length; nil when either is constant.
    public static func pearson<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double?
    where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
        precondition(a.count == b.count, "series of different lengths")
        guard let na = normalized(a.map { Double($0) }), let nb = normalized(b.map { Double($0) }) else { return nil }
        return zip(na, nb).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// `values` minus their mean, scaled to unit norm; nil when they are constant.
    static func normalized(_ values: [Double]) -> [Double]? {
        guard !values.isEmpty else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        let centred = values.map { $0 - mean }
        let norm = centred.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 1e-12 else { return nil }
        return centred.map { $0 / norm }
    }
}

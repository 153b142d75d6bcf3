import Foundation

/// "Nice" tick positions for an axis: multiples of a step of 1, 2 or 5 × 10^k.
public struct AxisTicks: Sendable, Equatable {
    /// Tick positions, ascending, all inside the requested range.
    public let values: [Double]
    /// The distance between ticks, `mantissa × 10^exponent`.
    public let step: Double
    /// 1, 2 or 5.
    public let mantissa: Int
    /// The power of ten of ``step``.
    public let exponent: Int

    /// The ticks inside `lower...upper` with the smallest nice step that gives at most `maxCount` of them.
    ///
    /// A degenerate or non-finite range is widened first (see ``paddedRange(_:_:margin:)``).
    /// - Parameters:
    ///   - maxCount: at most this many ticks; clamped to 2...1000.
    public static func nice(lower: Double, upper: Double, maxCount: Int = 6) -> AxisTicks {
        let (lo, hi) = paddedRange(lower, upper, margin: 0)
        let limit = Double(min(max(maxCount, 2), 1000))
        // log10 of the smallest step that could fit, computed so that hi - lo may overflow.
        let logStep = log10(hi / 2 - lo / 2) + log10(2 / limit)
        if logStep.isFinite {
            let exponent = min(max(Int(logStep.rounded(.down)) - 1, -320), 303)
            // Four decades of candidates always contain a step that gives ≤ limit ticks.
            for k in exponent...(exponent + 4) {
                for m in [1, 2, 5] {
                    let step = Double(m) * pow(10, Double(k))
                    let first = (lo / step - 1e-9).rounded(.up)
                    let last = (hi / step + 1e-9).rounded(.down)
                    let count = last - first + 1
                    guard step > 0, count.isFinite, count >= 1, count <= limit else { continue }
                    let values = (0..<max(0, Int(count))).map {
                        value(index: first + Double($0), mantissa: m, exponent: k)
                    }
                    return AxisTicks(values: values, step: step, mantissa: m, exponent: k)
                }
            }
        }
        // Unreachable for ranges of normal numbers; subnormal extremes end here.
        return AxisTicks(values: lo < hi ? [lo, hi] : [lo], step: hi - lo, mantissa: 1, exponent: 0)
    }

    /// `index × mantissa × 10^exponent`, dividing by an exact power of ten for negative exponents
    /// so that 3 × 0.1 prints as 0.3.
    private static func value(index: Double, mantissa: Int, exponent: Int) -> Double {
        let n = index * Double(mantissa)
        let v = exponent >= 0 ? n * pow(10, Double(exponent)) : n / pow(10, Double(-exponent))
        return v == 0 ? 0 : v  // no -0
    }

    /// A finite range at least a little wide, widened by `margin` × its width on each side.
    ///
    /// Non-finite bounds give 0...1; an empty or reversed range (a single
    /// point, a constant series) is widened around its value by 5 % of its
    /// magnitude (±1 around 0).
    public static func paddedRange(_ lower: Double, _ upper: Double, margin: Double) -> (Double, Double) {
        guard lower.isFinite, upper.isFinite else { return (0, 1) }
        var lo = min(lower, upper), hi = max(lower, upper)
        let magnitude = max(abs(lo), abs(hi))
        if hi - lo <= magnitude * 1e-12 {
            let half = magnitude == 0 ? 1 : magnitude * 0.05
            lo -= half
            hi += half
            return (lo, hi)
        }
        let pad = (hi - lo) * margin
        guard (lo - pad).isFinite, (hi + pad).isFinite else { return (lo, hi) }
        return (lo - pad, hi + pad)
    }

    /// Tick labels with as many decimals as the step needs ("0.25", "1.5", "200");
    /// scientific ("2e7", "5e-6") for magnitudes from 10^7 up or steps below 10^-4.
    public var labels: [String] { values.map(label(for:)) }

    /// The label of one value at this axis's precision.
    public func label(for value: Double) -> String {
        guard value.isFinite else { return "" }
        let largest = max(values.map(abs).max() ?? 0, abs(value))
        if largest >= 1e7 || exponent < -4 {
            if value == 0 { return "0" }
            let e = Int((log10(abs(value)) + 1e-9).rounded(.down))
            let decimals = min(max(0, e - exponent), 15)
            var mantissa = String(format: "%.\(decimals)f", value / pow(10, Double(e)))
            if mantissa.contains(".") {
                while mantissa.hasSuffix("0") { mantissa.removeLast() }
                if mantissa.hasSuffix(".") { mantissa.removeLast() }
            }
            return mantissa + "e\(e)"
        }
        let decimals = max(0, -exponent)
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}

import ArgumentParser
import NeuralCore
import Models
import Tokenization

extension CellKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension TextUnit: ExpressibleByArgument {}
extension WeightPrecision: ExpressibleByArgument {}

/// A duration written as `90s`, `10m`, `1h`, `1h30m` or a plain number of seconds.
struct Duration: ExpressibleByArgument, Equatable {
    var seconds: Double

    init(seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        var total = 0.0, number = ""
        var sawUnit = false
        for ch in argument.lowercased() {
            if ch.isNumber || ch == "." { number.append(ch); continue }
            guard let v = Double(number) else { return nil }
            switch ch {
            case "s": total += v
            case "m": total += v * 60
            case "h": total += v * 3600
            default: return nil
            }
            number = ""
            sawUnit = true
        }
        if !number.isEmpty {
            guard let v = Double(number), !sawUnit else { return nil }
            total += v
        }
        guard total > 0, total.isFinite else { return nil }
        seconds = total
    }

    static var defaultValueDescription: String { "90s, 10m, 1h" }
}

/// Turns a `--seed` into the run's seed.
func seedValue(_ s: UInt64?) -> UInt64 { s ?? 1 }

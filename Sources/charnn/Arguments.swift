// Value types that options parse into. Parsing accepts anything number-shaped (negative
// values included) so that the option groups' `validate()` can say what is wrong with it.
import ArgumentParser
import Models
import NeuralCore
import Optimization
import Tokenization

extension CellKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension TextUnit: ExpressibleByArgument {}
extension WeightPrecision: ExpressibleByArgument {}

/// A duration written as `90s`, `10m`, `1h`, `1h30m`, `1.5e3s` or a plain number of seconds.
///
/// Any sign and any size parse (`-5s`, `1e20h`): `validate()` of the option that holds it
/// rejects them with the text the user wrote, which `init?(argument:)` keeps.
struct Duration: ExpressibleByArgument, Equatable {
    var seconds: Double
    /// What the user wrote (for messages).
    var text: String

    init(seconds: Double) {
        self.seconds = seconds
        text = "\(seconds)s"
    }

    init?(argument: String) {
        text = argument
        var body = Substring(argument.lowercased())
        // A plain number of seconds, "inf" included (refused by validate(), with the text).
        if let plain = Double(body), !plain.isNaN {
            seconds = plain
            return
        }
        var sign = 1.0
        if body.first == "-" || body.first == "+" {
            if body.first == "-" { sign = -1 }
            body = body.dropFirst()
        }
        var total = 0.0, number = ""
        var sawUnit = false
        for ch in body {
            // A number may carry an exponent ("1e20"); units are s, m and h only, so "e" is never one.
            let exponentSign = (ch == "-" || ch == "+") && number.last == "e"
            if ch.isASCII && (ch.isNumber || ch == "." || ch == "e" || exponentSign) {
                number.append(ch)
                continue
            }
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
        guard !body.isEmpty, !total.isNaN else { return nil }
        seconds = sign * total
    }

    static var defaultValueDescription: String { "90s, 10m, 1h" }
}

/// A `--seed`: any integer text parses, so that `-1` is refused by `validate()` with a message
/// instead of being taken for an option.
struct SeedArgument: ExpressibleByArgument, Equatable {
    var text: String
    /// The seed, or nil when the text is not an integer in 0...UInt64.max.
    var value: UInt64?

    init(_ value: UInt64) {
        self.value = value
        text = "\(value)"
    }

    init?(argument: String) {
        text = argument
        value = UInt64(argument)
    }

    var defaultValueDescription: String { text }
}

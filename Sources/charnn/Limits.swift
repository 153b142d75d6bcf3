// The ranges every numeric option is checked against, in one place, and the checks themselves.
//
// Why these bounds:
// - layers 1...64, hidden and embedding 1...16,384: what `ModelConfig.validate()` accepts (the
//   engine's own limits; a checkpoint outside them does not load either).
// - batch and seq 1...65,536 and batch × seq ≤ 2^24 units per step: the streams and windows are
//   indexed with Int and copied per step; beyond this a step would take minutes and the index
//   arithmetic of the batcher (position + batch × seq) would come near overflow on a large corpus.
// - batch × seq × width × layers ≤ 2^32: the activations kept for backpropagation are a small
//   multiple (the gates) of this product of floats, so 2^32 already means tens of GiB; checked
//   with overflow-reporting multiplication so that absurd values give a message, never a trap.
//   (Whether a model fits in *this* machine's memory is a separate check against an estimate.)
// - steps ≤ 10^9, epochs ≤ 10^6, time ≤ 10^9 s (about 31 years): counters and the products
//   steps × batch × seq (characters trained) stay far inside Int, and durations stay formattable.
// - threads 1...256: the thread team's size; more threads than that only contend.
// - sample lengths ≤ 10^9 characters, --count ≤ 65,536 streams (a batch).
import ArgumentParser

enum Limits {
    static let layers = 1...64
    static let width = 1...16_384
    static let batch = 1...65_536
    static let seq = 1...65_536
    static let resetEvery = 0...1_000_000_000
    static let unitsPerStep = 1 << 24
    static let activations = 1 << 32
    static let steps = 1...1_000_000_000
    static let epochs = 1...1_000_000
    static let seconds = 1_000_000_000.0
    static let threads = 1...256
    static let length = 0...1_000_000_000
    static let count = 1...65_536
    static let beam = 1...1000
    static let evaluations = 1...100_000
    /// |forget-gate bias|: sigmoid(±100) is 0 or 1 in Float already.
    static let forgetBias: Float = 100
}

/// Range checks that throw `ValidationError` with the option's name and the value given:
/// "--hidden must be ≥ 1, got -1".
enum Check {
    static func range(_ flag: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        if value < range.lowerBound { throw ValidationError("\(flag) must be ≥ \(range.lowerBound), got \(value)") }
        if value > range.upperBound { throw ValidationError("\(flag) must be ≤ \(range.upperBound), got \(value)") }
    }

    static func range(_ flag: String, _ value: Int?, _ r: ClosedRange<Int>) throws {
        if let value { try range(flag, value, r) }
    }

    /// A finite number ≥ `lower` (or > `lower` when `strict`) and ≤ `upper`.
    static func number<F: BinaryFloatingPoint & LosslessStringConvertible>(
        _ flag: String, _ value: F, above lower: F, strict: Bool, upTo upper: F? = nil
    ) throws {
        guard value.isFinite else { throw ValidationError("\(flag) must be a finite number, got \(value)") }
        if strict ? !(value > lower) : !(value >= lower) {
            throw ValidationError("\(flag) must be \(strict ? ">" : "≥") \(shown(lower)), got \(shown(value))")
        }
        if let upper, value > upper { throw ValidationError("\(flag) must be ≤ \(shown(upper)), got \(shown(value))") }
    }

    /// 5 rather than 5.0; other values as Swift prints them.
    static func shown<F: BinaryFloatingPoint & LosslessStringConvertible>(_ x: F) -> String {
        x.isFinite && x == x.rounded() && abs(x) < 1e15 ? "\(Int(x))" : "\(x)"
    }

    /// A fraction in the open interval (0, 1).
    static func openUnit(_ flag: String, _ value: Double) throws {
        guard value > 0 && value < 1 else { throw ValidationError("\(flag) must be in (0, 1), got \(value)") }
    }

    static func duration(_ flag: String, _ d: Duration?) throws {
        guard let d else { return }
        guard d.seconds > 0 else { throw ValidationError("\(flag) must be > 0, got \(d.text)") }
        guard d.seconds <= Limits.seconds else {
            throw ValidationError("\(flag) must be at most \(Int(Limits.seconds)) s (about 31 years), got \(d.text)")
        }
    }

    static func seed(_ flag: String, _ s: SeedArgument) throws -> UInt64 {
        guard let v = s.value else {
            throw ValidationError("\(flag) must be an integer in 0...\(UInt64.max), got \(s.text)")
        }
        return v
    }

    /// The work of one step: batch × seq units, and the activations it keeps, within `Limits`.
    static func shape(batch: Int, seq: Int, width: Int, layers: Int) throws {
        let (units, o1) = batch.multipliedReportingOverflow(by: seq)
        guard !o1, units <= Limits.unitsPerStep else {
            throw ValidationError("--batch \(batch) × --seq \(seq) must be ≤ \(Limits.unitsPerStep) units per step")
        }
        let (perLayer, o2) = units.multipliedReportingOverflow(by: width)
        let (total, o3) = perLayer.multipliedReportingOverflow(by: layers)
        guard !o2, !o3, total <= Limits.activations else {
            throw ValidationError(
                "--batch \(batch) × --seq \(seq) × width \(width) × --layers \(layers) "
                    + "must be ≤ 2^32 activations per step")
        }
    }
}

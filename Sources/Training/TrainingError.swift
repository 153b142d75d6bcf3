import FileIO
import Foundation

/// Errors of a training run. Each case carries the facts (numbers, paths, which setting); its
/// description says them in the settings' own words ("a batch of 50 streams × 50 steps"). The
/// executable's `describe()` words the same facts with its command-line flags.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The training part cannot fill one batch; `path` names the corpus when known.
    case corpusTooSmall(tokens: Int, batch: Int, steps: Int, path: String? = nil)
    case vocabularyMismatch(String)
    case checkpoint(path: String, reason: String)
    case invalidSetting(String)
    /// The freshly initialized weights are not finite (with the forget-gate bias when one was set).
    case nonFiniteInitialWeights(forgetBias: Float?)
    /// The loss stayed NaN, infinite or absurd after the bounded number of roll-backs: what
    /// happened, and which settings to change.
    case diverged(String, remedy: DivergenceRemedy)
    /// Another trainer holds the run directory's lock.
    case runDirectoryInUse(path: String, pid: Int32?)
    /// A file or directory could not be written: its path, the errno text, and what it is.
    case cannotWrite(path: String, reason: String, what: WriteTarget = .file)
    /// A data-parallel job with more ranks than the batch has streams: a rank would have none.
    case fewerStreamsThanRanks(batch: Int, ranks: Int)

    /// What could not be written, for the message: "cannot write the metrics file 'm.jsonl'".
    public enum WriteTarget: Sendable, Equatable {
        /// A file the message names by its path only.
        case file
        /// The run directory, which could not be created.
        case runDirectory
        /// The run directory's lock file.
        case lockFile
        /// The metrics file (JSON lines).
        case metricsFile

        /// "cannot write the metrics file": the words before the quoted path.
        var failure: String {
            switch self {
            case .file: return "cannot write"
            case .runDirectory: return "cannot create the run directory"
            case .lockFile: return "cannot write the lock file"
            case .metricsFile: return "cannot write the metrics file"
            }
        }
    }

    /// What to change after a divergence, as settings (the executable names their flags).
    public enum DivergenceRemedy: Sendable, Equatable {
        /// Smaller steps: a lower learning rate, or a tighter gradient clip.
        case smallerSteps
        /// Better starting weights: the forget-gate bias, or the checkpoint's weights.
        case otherStartingWeights
    }

    /// The largest batch and window (each at most the one asked for) whose product the training
    /// part of `tokens` characters can fill; for `corpusTooSmall`'s suggestion.
    public static func fittingWindows(tokens n: Int, batch b: Int, steps s: Int) -> (batch: Int, steps: Int) {
        let fitB = max(1, (n - 1) / max(s, 1)), fitS = max(1, (n - 1) / max(b, 1))
        return (min(b, fitB), min(s, fitS))
    }

    /// "more than 2,500": the characters a batch needs (every product is checked: the
    /// settings may be anything the parser accepts).
    public static func charactersNeeded(batch b: Int, steps s: Int) -> String {
        let (product, overflow) = b.multipliedReportingOverflow(by: s)
        return overflow ? "more than \(Int.max)" : "more than \(product)"
    }

    public var description: String {
        switch self {
        case .corpusTooSmall(let n, let b, let s, let path):
            let place = path.map { "\($0): " } ?? ""
            if n < 2 {
                return place + "the training part has \(n) characters, too few to train on; "
                    + "use a longer text or a smaller validation fraction"
            }
            let fit = Self.fittingWindows(tokens: n, batch: b, steps: s)
            return place + "the training part has \(n) characters, too few for a batch of \(b) streams × \(s) steps "
                + "(needs \(Self.charactersNeeded(batch: b, steps: s))); a batch of \(fit.batch) streams × "
                + "\(fit.steps) steps fits, or use a smaller validation fraction"
        case .vocabularyMismatch(let s): return s
        case .checkpoint(let p, let r): return "checkpoint \(quotedPath(p)): \(r)"
        case .invalidSetting(let s): return s
        case .nonFiniteInitialWeights(let forgetBias):
            return "the initial weights hold NaN or infinite values"
                + (forgetBias.map { "; the forget-gate bias is \($0)" } ?? "")
        case .diverged(let s, let remedy):
            switch remedy {
            case .smallerSteps: return s + ". Try a lower learning rate or a tighter gradient clip"
            case .otherStartingWeights: return s + ". Check the forget-gate bias, or the checkpoint's weights"
            }
        case .runDirectoryInUse(let path, let pid):
            return "\(path) is in use by another charnn train" + (pid.map { " (pid \($0))" } ?? "")
                + "; wait for it to finish or choose another run directory"
        case .cannotWrite(let path, let reason, let what): return "\(what.failure) \(quotedPath(path)): \(reason)"
        case .fewerStreamsThanRanks(let batch, let ranks):
            return "a batch of \(batch) streams is smaller than the \(ranks) ranks of this job: every rank needs "
                + "at least one stream; use a batch of \(ranks) streams or more, or fewer ranks"
        }
    }
}

extension TrainingSettings {
    /// Largest step or epoch count accepted from a flag or a file: far beyond any run, and far
    /// from `Int.max`, so that counters and products of them cannot overflow.
    public static let maximumCount = 1 << 48

    /// Checks every value that sizes buffers, indexes data or divides; throws
    /// `TrainingError.invalidSetting` naming the field (as config.json spells it).
    public func validate() throws {
        func bad(_ s: String) -> TrainingError { .invalidSetting(s) }
        guard batch >= 1, batch <= 1 << 20 else { throw bad("batch is \(batch), not in 1...\(1 << 20)") }
        guard steps >= 1, steps <= 1 << 20 else { throw bad("seq is \(steps), not in 1...\(1 << 20)") }
        guard batch.multipliedReportingOverflow(by: steps).partialValue <= 1 << 28,
            !batch.multipliedReportingOverflow(by: steps).overflow
        else {
            throw bad("batch × seq is \(batch) × \(steps), more than \(1 << 28) positions per step")
        }
        guard clip.isFinite, clip >= 0 else { throw bad("clip is \(clip), not a finite number ≥ 0") }
        let o = optimizer
        guard o.learningRate.isFinite, o.learningRate > 0 else {
            throw bad("lr is \(o.learningRate), not a number > 0")
        }
        for (name, v) in [("beta1", o.beta1), ("beta2", o.beta2), ("alpha", o.alpha), ("momentum", o.momentum)] {
            guard v.isFinite, v >= 0, v < 1 else { throw bad("\(name) is \(v), not in [0, 1)") }
        }
        guard o.epsilon.isFinite, o.epsilon > 0 else { throw bad("eps is \(o.epsilon), not a number > 0") }
        guard validationFraction.isFinite, validationFraction > 0, validationFraction < 1 else {
            throw bad("val_fraction is \(validationFraction), not in (0, 1)")
        }
        guard evalEvery >= 1 else { throw bad("eval_every is \(evalEvery), not ≥ 1") }
        if let f = forgetBias, !f.isFinite { throw bad("forget_bias is \(f), not a finite number") }
        if let r = resetEvery, !(0...Self.maximumCount).contains(r) {
            throw bad("reset_every is \(r), not in 0...\(Self.maximumCount)")
        }
        if let s = budget.steps, !(0...Self.maximumCount).contains(s) {
            throw bad("the step budget is \(s), not in 0...\(Self.maximumCount)")
        }
        if let e = budget.epochs, !(0...Self.maximumCount).contains(e) {
            throw bad("the epoch budget is \(e), not in 0...\(Self.maximumCount)")
        }
        if let t = budget.maxTime, !(t >= 0) { throw bad("the time budget is \(t) seconds, not ≥ 0") }
        switch schedule {
        case .constant: break
        case .step(let every, let factor):
            guard every >= 1, factor.isFinite, factor > 0, factor <= 1 else {
                throw bad("schedule step:\(every):\(factor) needs EVERY ≥ 1 and FACTOR in (0, 1]")
            }
        case .cosine(let warmup):
            guard warmup >= 0 else { throw bad("schedule cosine:\(warmup) needs WARMUP ≥ 0") }
        }
    }
}

// The libraries' errors carry facts and say them in the settings' words ("a batch of 50 streams ×
// 50 steps", "the scalar unit"); here the same facts get the command line's words, the flags a
// user types to change them. Every error a library can throw with a remedy that is a flag has
// its case here; the rest read as the library describes them.
import Checkpointing
import Comparison
import Evaluation
import FileIO
import Tokenization
import Training

/// The CLI's wording of a library error that names a setting, or nil when the library's own
/// description already says everything (it names no setting a flag would change).
func describeWithFlags(_ error: any Error) -> String? {
    switch error {
    case let e as TrainingError: return describeTraining(e)
    case let e as ComparisonError: return describeComparison(e)
    case let e as TokenizationError: return describeTokenization(e)
    case let e as CheckpointError: return describeCheckpoint(e)
    case let e as RunDirectoryError: return describeRunDirectory(e)
    case let e as InsufficientMemory: return describeMemory(e)
    case let e as DynamicEvaluationError: return describeDynamicEvaluation(e)
    case let e as FractionTooSmall:
        let fraction = String(format: "%g", e.fraction), percent = String(format: "%g%%", e.fraction * 100)
        return "--data-fractions \(fraction): the first \(percent) of the training part is \(e.chars) characters, "
            + "too few for --batch \(e.batch) × --seq \(e.seq) (one window needs more than \(e.batch * e.seq)); "
            + "use a larger fraction, a smaller --batch or --seq"
    case let e as FractionListError: return "--data-fractions: \(e)"
    default: return nil
    }
}

func describeTraining(_ e: TrainingError) -> String? {
    switch e {
    case .corpusTooSmall(let n, let b, let s, let path):
        let place = path.map { "\($0): " } ?? ""
        if n < 2 {
            return place + "the training part has \(n) characters, too few to train on; "
                + "use a longer text or a smaller --val-fraction"
        }
        let fit = TrainingError.fittingWindows(tokens: n, batch: b, steps: s)
        return place + "the training part has \(n) characters, too few for --batch \(b) × --seq \(s) "
            + "(needs \(TrainingError.charactersNeeded(batch: b, steps: s))); "
            + "try --batch \(fit.batch) --seq \(fit.steps) or a smaller --val-fraction"
    case .nonFiniteInitialWeights(let forgetBias):
        return "the initial weights hold NaN or infinite values" + (forgetBias.map { "; --forget-bias is \($0)" } ?? "")
    case .diverged(let what, .smallerSteps):
        return what + ". Try a lower --lr or --clip"
    case .diverged(let what, .otherStartingWeights):
        return what + ". Check --forget-bias, or the checkpoint's weights"
    case .runDirectoryInUse(let path, let pid):
        return "\(quotedPath(path)) is in use by another charnn train" + (pid.map { " (pid \($0))" } ?? "")
            + "; wait for it to finish or choose another --out"
    case .fewerStreamsThanRanks(let batch, let ranks):
        return "--batch \(batch) is smaller than the \(ranks) ranks of this job: every rank needs at least one "
            + "stream; use --batch \(ranks) or more, or fewer ranks"
    case .vocabularyMismatch, .checkpoint, .invalidSetting, .cannotWrite:
        return nil
    }
}

/// The comparison's facts with the flags to change.
func describeComparison(_ e: ComparisonError) -> String {
    switch e {
    case .validationTooSmall: return e.facts + "; use a larger --val-fraction or a longer text"
    case .cannotMatchParameters: return e.facts + "; use --match hidden or a larger --hidden"
    case .rankFailed, .unreadableResults: return e.facts
    }
}

func describeTokenization(_ e: TokenizationError) -> String? {
    guard case .vocabularyTooLarge(_, let unit, _, _) = e, !unit.finerUnits.isEmpty else { return nil }
    return e.facts + "; use " + unit.finerUnits.map { "--unit \($0.rawValue)" }.joined(separator: " or ")
}

func describeCheckpoint(_ e: CheckpointError) -> String? {
    switch e.remedy {
    case nil: return nil
    case .anotherRunDirectory: return e.facts + ": move it away or choose another --out"
    }
}

func describeRunDirectory(_ e: RunDirectoryError) -> String? {
    switch e {
    case .holdsRun(let path, let contents):
        return "--out \(path) already holds a run (\(contents)): continue it with --resume \(path), or give "
            + "another --out directory (--overwrite replaces it)"
    case .checkpointOutsideRun(let path):
        return "--resume \(path) is a checkpoint, not a run directory: give --out DIR for the continued run"
    case .cannotBranch, .cannotReplace: return nil
    }
}

func describeMemory(_ e: InsufficientMemory) -> String? {
    guard let w = e.windows else { return nil }
    return "\(e.what) with --batch \(w.batch) --seq \(w.steps) \(e.shortfall); "
        + "a smaller --hidden, --layers, --batch or --seq needs less"
}

func describeDynamicEvaluation(_ e: DynamicEvaluationError) -> String {
    let flag: String
    switch e.setting {
    case .segment: flag = "--dynamic-window"
    case .learningRate: flag = "--dynamic-lr"
    case .decay: flag = "--dynamic-decay"
    }
    return "\(flag) must be \(e.requirement), got \(e.value)"
}

// The option groups shared by the subcommands: each option is declared, checked and described
// once, here. Numeric options parse `.unconditional`ly, so that "--hidden -1" is a value to
// refuse ("--hidden must be ≥ 1, got -1"), not a missing value followed by an unknown option.
// The ranges and why they are what they are: Limits.swift.
import ArgumentParser
import Models
import NeuralCore
import Optimization
import Sampling
import Tokenization
import Training

/// What the commands that train (train and repl --train, compare, bench) do differently with the
/// same options: their defaults, and what their help says. Each option is declared once, in a group
/// generic over these; each command's help speaks of that command only.
protocol TrainingDefaults {
    /// The hidden size without --hidden, and why (", as its PyTorch peer").
    static var hidden: Int { get }
    static var hiddenNote: String { get }
    /// The learning-rate schedule without --schedule, and its words in the help.
    static var schedule: LRSchedule { get }
    static var scheduleHelp: String { get }
    /// The budget without --steps, --epochs or --max-time (nil: one must be given).
    static var budget: TrainingBudget? { get }
    /// Whether --max-time picks a recipe that fills the options no flag gave (train).
    static var hasRecipe: Bool { get }
    /// Whether a run can be resumed (then --steps counts from the run's start).
    static var resumes: Bool { get }
    /// What --max-time limits, in the help.
    static var maxTimeHelp: String { get }
    /// Whether --epochs is a budget the command takes (compare spreads its evaluations over steps or time).
    static var takesEpochs: Bool { get }
}

/// `train` and `repl --train`.
enum TrainDefaults: TrainingDefaults {
    static let hidden = 256, hiddenNote = ""
    static let schedule = LRSchedule.cosine(warmup: 0), scheduleHelp = "cosine over the budget"
    static let budget: TrainingBudget? = TrainingBudget(epochs: 10)
    static let hasRecipe = true, resumes = true, takesEpochs = true
    static let maxTimeHelp = "Stop after this much training time in this invocation (e.g. 90s, 10m, 1h)."
}

/// `compare`: every run gets the budget.
enum CompareDefaults: TrainingDefaults {
    static let hidden = 256, hiddenNote = ""
    static let schedule = LRSchedule.constant, scheduleHelp = "constant"
    static let budget: TrainingBudget? = nil
    static let hasRecipe = false, resumes = false, takesEpochs = false
    static let maxTimeHelp =
        "Training time of each run (e.g. 90s, 10m, 1h); evaluations come on top (the estimate is printed first)."
}

/// `bench`: the PyTorch peer's protocol.
enum BenchDefaults: TrainingDefaults {
    static let hidden = 128, hiddenNote = ", as the PyTorch peer"
    static let schedule = LRSchedule.constant, scheduleHelp = "constant, as the peer"
    static let budget: TrainingBudget? = TrainingBudget(steps: 200)
    static let hasRecipe = false, resumes = false, takesEpochs = true
    static let maxTimeHelp = "Stop after this much training time (e.g. 90s, 10m, 1h)."
}

/// "; train --max-time: the recipe's" for the options a recipe fills, in train's help only.
private func recipeNote<D: TrainingDefaults>(_: D.Type) -> String { D.hasRecipe ? "; --max-time: the recipe's" : "" }

typealias CellOption = CellGroup<TrainDefaults>
typealias ModelOptions = ModelGroup<TrainDefaults>
typealias OptimizerOptions = OptimizerGroup<TrainDefaults>
typealias BatchOptions = BatchGroup<TrainDefaults>
typealias BudgetOptions = BudgetGroup<TrainDefaults>

/// `--cell` (train, repl, bench; compare takes a list instead).
struct CellGroup<D: TrainingDefaults>: ParsableArguments {
    // Optional so that train's time-budget recipe can tell a given --cell from the default.
    @Option(name: .customLong("cell"), help: "Recurrent cell (default: lstm\(recipeNote(D.self))).")
    var given: CellKind?

    var cell: CellKind { given ?? .lstm }
}

/// The model's shape.
struct ModelGroup<D: TrainingDefaults>: ParsableArguments {
    // --layers and --dropout are optional so that train's time-budget recipe can tell them from the defaults.
    @Option(
        name: .customLong("layers"), parsing: .unconditional,
        help: "Recurrent layers, 1...64 (default 2\(recipeNote(D.self))).")
    var givenLayers: Int?
    @Option(
        parsing: .unconditional,
        help: "Hidden units per layer, 1...16384 (default \(D.hidden)\(D.hiddenNote)\(recipeNote(D.self))).")
    var hidden: Int?
    @Option(parsing: .unconditional, help: "Embedding size, 1...16384 (default: the hidden size).") var embedding: Int?
    @Option(
        name: .customLong("dropout"), parsing: .unconditional,
        help: "Dropout between layers and before the decoder, in [0, 1) (default 0\(recipeNote(D.self))).")
    var givenDropout: Float?
    @Option(
        parsing: .unconditional,
        help: "Initial LSTM forget-gate bias, in [-100, 100] (default: PyTorch's initialization).")
    var forgetBias: Float?

    var layers: Int { givenLayers ?? 2 }
    var dropout: Float { givenDropout ?? 0 }

    func validate() throws {
        try Check.range("--layers", layers, Limits.layers)
        try Check.range("--hidden", hidden, Limits.width)
        try Check.range("--embedding", embedding, Limits.width)
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        if let forgetBias {
            try Check.number(
                "--forget-bias", forgetBias, above: -Limits.forgetBias, strict: false,
                upTo: Limits.forgetBias)
        }
    }

    /// The hidden size, with the command's default.
    var hiddenSize: Int { hidden ?? D.hidden }

    /// The widest layer input: what sizes the per-step activations.
    var width: Int { max(hiddenSize, embedding ?? 0) }

    /// The configuration; the vocabulary size comes from the corpus later.
    func config(cell: CellKind, vocabularySize: Int = 1) -> ModelConfig {
        ModelConfig(
            cell: cell, layers: layers, hidden: hiddenSize, embedding: embedding,
            vocabularySize: vocabularySize, dropout: dropout)
    }

    /// The configuration with `recipe` filling what no flag gave.
    func config(cell: CellKind?, recipe r: Recipe) -> ModelConfig {
        ModelConfig(
            cell: cell ?? r.cell, layers: givenLayers ?? r.layers, hidden: hidden ?? r.hidden,
            embedding: embedding, vocabularySize: 1, dropout: givenDropout ?? r.dropout)
    }
}

/// The optimizer and its learning rate.
struct OptimizerGroup<D: TrainingDefaults>: ParsableArguments {
    @Option(help: "Optimizer.") var optimizer: OptimizerKind = .adam
    @Option(
        parsing: .unconditional,
        help: "Learning rate, > 0 (default 2e-3 for adam and rmsprop, 0.1 for sgd\(recipeNote(D.self))).")
    var lr: Float?
    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this, ≥ 0 (0 = off).") var clip: Float = 5
    @Option(
        help: """
            Learning-rate schedule: constant, step:EVERY:FACTOR or cosine[:WARMUP] \
            (default: \(D.scheduleHelp)\(recipeNote(D.self))).
            """)
    var schedule: String?

    func validate() throws {
        if let lr { try Check.number("--lr", lr, above: 0, strict: true) }
        try Check.number("--clip", clip, above: 0, strict: false)
        _ = try parsedSchedule()
    }

    /// --schedule, or the command's default.
    func parsedSchedule() throws -> LRSchedule {
        guard let schedule else { return D.schedule }
        do { return try LRSchedule(parsing: schedule) } catch {
            throw ValidationError("--schedule: \(describe(error))")
        }
    }

    func settings() -> OptimizerSettings { OptimizerSettings(kind: optimizer, learningRate: lr) }
}

/// The shape of a training step: B streams of S steps.
struct BatchGroup<D: TrainingDefaults>: ParsableArguments {
    @Option(parsing: .unconditional, help: "Parallel streams per batch (B), 1...65536.") var batch = 50
    @Option(parsing: .unconditional, help: "Time steps of truncated backpropagation (S), 1...65536.") var seq = 50
    @Option(
        parsing: .unconditional,
        help: """
            Start each stream again from the zero state every N windows, staggered over the streams, \
            so the model also learns to predict from an empty context, as eval --window scores it; \
            0...10^9, 0 = never (default: never\(recipeNote(D.self))).
            """)
    var resetEvery: Int?

    func validate() throws {
        try Check.range("--batch", batch, Limits.batch)
        try Check.range("--seq", seq, Limits.seq)
        try Check.range("--reset-every", resetEvery, Limits.resetEvery)
    }
}

/// How the corpus becomes units, and which part validates.
struct DataOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Fraction of the corpus (its end) kept for validation, in (0, 1).")
    var valFraction: Double = 0.1
    @Option(help: "Text unit: grapheme (user-perceived characters), scalar (Unicode code points) or byte (any file).")
    var unit: TextUnit = .grapheme
    @Flag(help: "Keep the text as it is instead of NFC-normalizing it.") var noNormalize = false

    func validate() throws { try Check.openUnit("--val-fraction", valFraction) }

    var text: TextOptions { TextOptions(unit: unit, normalization: noNormalize ? .none : .nfc) }
}

/// When training stops; without any, the command's default (`D.budget`).
struct BudgetGroup<D: TrainingDefaults>: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help:
            "Stop once the run has made this many training steps\(D.resumes ? " (a resumed run counts from its start)" : "")."
    )
    var steps: Int?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Stop after this many passes over the training part.", visibility: D.takesEpochs ? .default : .hidden))
    var epochs: Int?
    @Option(parsing: .unconditional, help: "\(D.maxTimeHelp)")
    var maxTime: Duration?

    func validate() throws {
        try Check.range("--steps", steps, Limits.steps)
        try Check.range("--epochs", epochs, Limits.epochs)
        try Check.duration("--max-time", maxTime)
    }

    var isEmpty: Bool { steps == nil && epochs == nil && maxTime == nil }

    /// The budget given, or the command's default.
    var budget: TrainingBudget {
        if isEmpty, let d = D.budget { return d }
        return TrainingBudget(steps: steps, epochs: epochs, maxTime: maxTime?.seconds)
    }
}

/// `--threads`, for every command that computes.
struct ThreadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Threads for the numeric work (1...256).") var threads = 2

    func validate() throws { try Check.range("--threads", threads, Limits.threads) }
}

/// `--seed`.
struct SeedOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: """
            Random seed, 0...2^64-1: the same seed and settings give the same result \
            (initialization and dropout when training, the draws when sampling).
            """)
    var seed = SeedArgument(1)

    func validate() throws { _ = try Check.seed("--seed", seed) }

    /// The seed (validated before any command runs).
    var value: UInt64 { seed.value ?? 1 }
}

/// The logit processors of sampling (sample, repl, bench).
struct SamplingOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: """
            Softmax temperature, ≥ 0: 0 = greedy (always the most likely character), lower = more \
            conservative, 1 = the model's distribution, higher = more random.
            """)
    var temperature: Float = 0.8
    @Option(parsing: .unconditional, help: "Keep only the K most likely characters (0 = off).") var topK: Int = 0
    @Option(
        parsing: .unconditional,
        help: "Keep the smallest set of most likely characters whose probability reaches P, in (0, 1] (1 = off).")
    var topP: Float = 1

    func validate() throws {
        try Check.number("--temperature", temperature, above: 0, strict: false)
        if topK < 0 { throw ValidationError("--top-k must be ≥ 0 (0 = off), got \(topK)") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1] (1 = off), got \(topP)") }
    }

    func settings() throws -> SamplingSettings {
        do { return try SamplingSettings(temperature: temperature, topK: topK, topP: topP) } catch {
            throw ValidationError(describe(error))
        }
    }
}

/// `--length` (sample, repl).
struct LengthOption: ParsableArguments {
    @Option(parsing: .unconditional, help: "Characters to generate (0...10^9).") var length = 500

    func validate() throws { try Check.range("--length", length, Limits.length) }
}

/// `--precision` of the weights when up to 16 streams run (sample, repl, eval, bench).
struct PrecisionOption: ParsableArguments {
    @Option(
        help: """
            Weights (up to 16 streams): f32 (exact; the PyTorch peer's), f16 (half the memory traffic, \
            about twice as fast on large models; logits within ~1e-3) or int8 (a quarter: 8-bit weights \
            with per-row scales, for models of 2×256 and up).
            """)
    var precision: WeightPrecision = .float32
}

/// `--unknown` (eval, inspect): what to do with characters the model's vocabulary lacks.
struct UnknownOption: ParsableArguments {
    @Option(help: "Characters the model lacks: error (stop, naming the first), skip (leave them out).")
    var unknown: UnknownCharacters = .error

    var policy: UnknownPolicy { unknown == .skip ? .skip : .error }
}

/// The values of `--unknown`.
enum UnknownCharacters: String, ExpressibleByArgument, CaseIterable {
    case error, skip
}

/// `--memory-probe` (eval, compare).
struct MemoryProbeOption: ParsableArguments {
    @Flag(
        help: """
            Also score the loss by distance since the last opening bracket, quote or newline, and at each \
            closing bracket by distance to its opener (a long-range memory probe; docs/claims.md).
            """)
    var memoryProbe = false
}

/// The training settings the option groups give: one function for train, compare and bench, whose
/// defaults (hidden size, schedule, budget) come from the command's `D`.
///
/// - Parameters:
///   - budget: the budget to train for (the groups' with the command's default, or bench's `--seconds`).
///   - validationFraction, evalEvery, seed: from the groups of the commands that have them.
func trainingSettings<D: TrainingDefaults>(
    model: ModelGroup<D>, optimizer: OptimizerGroup<D>, batches: BatchGroup<D>, budget: TrainingBudget,
    validationFraction: Double = TrainingSettings().validationFraction,
    evalEvery: Int = TrainingSettings().evalEvery, seed: UInt64 = TrainingSettings().seed
) -> TrainingSettings {
    var s = TrainingSettings()
    s.batch = batches.batch
    s.steps = batches.seq
    s.resetEvery = batches.resetEvery
    s.optimizer = optimizer.settings()
    s.clip = optimizer.clip
    // Validated before any command runs.
    s.schedule = (try? optimizer.parsedSchedule()) ?? D.schedule
    s.budget = budget
    s.validationFraction = validationFraction
    s.evalEvery = evalEvery
    s.seed = seed
    s.forgetBias = model.forgetBias
    return s
}

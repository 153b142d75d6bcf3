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

/// `--cell` (train, repl, bench; compare takes a list instead).
struct CellOption: ParsableArguments {
    // Optional so that train's time-budget recipe can tell a given --cell from the default.
    @Option(name: .customLong("cell"), help: "Recurrent cell (default: lstm; train --max-time: the recipe's).")
    var given: CellKind?

    var cell: CellKind { given ?? .lstm }
}

/// The model's shape.
struct ModelOptions: ParsableArguments {
    // --layers and --dropout are optional so that train's time-budget recipe can tell them from the defaults.
    @Option(name: .customLong("layers"), parsing: .unconditional, help: "Recurrent layers, 1...64 (default 2).")
    var givenLayers: Int?
    @Option(parsing: .unconditional, help: "Hidden units per layer, 1...16384 (default 256; bench: 128, as its peer).")
    var hidden: Int?
    @Option(parsing: .unconditional, help: "Embedding size, 1...16384 (default: the hidden size).") var embedding: Int?
    @Option(
        name: .customLong("dropout"), parsing: .unconditional,
        help: "Dropout between layers and before the decoder, in [0, 1) (default 0).")
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
    func hidden(default d: Int) -> Int { hidden ?? d }

    /// The widest layer input: what sizes the per-step activations.
    func width(hiddenDefault d: Int) -> Int { max(hidden(default: d), embedding ?? 0) }

    /// The configuration; the vocabulary size comes from the corpus later.
    func config(cell: CellKind, hiddenDefault d: Int, vocabularySize: Int = 1) -> ModelConfig {
        ModelConfig(
            cell: cell, layers: layers, hidden: hidden(default: d), embedding: embedding,
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
struct OptimizerOptions: ParsableArguments {
    @Option(help: "Optimizer.") var optimizer: OptimizerKind = .adam
    @Option(parsing: .unconditional, help: "Learning rate, > 0 (default 2e-3 for adam and rmsprop, 0.1 for sgd).")
    var lr: Float?
    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this, ≥ 0 (0 = off).") var clip: Float = 5
    @Option(
        help: """
            Learning-rate schedule: constant, step:EVERY:FACTOR or cosine[:WARMUP] \
            (default: cosine over the budget in train, constant in compare and bench).
            """)
    var schedule: String?

    func validate() throws {
        if let lr { try Check.number("--lr", lr, above: 0, strict: true) }
        try Check.number("--clip", clip, above: 0, strict: false)
        _ = try parsedSchedule(default: .constant)
    }

    func parsedSchedule(default d: LRSchedule) throws -> LRSchedule {
        guard let schedule else { return d }
        do { return try LRSchedule(parsing: schedule) } catch {
            throw ValidationError("--schedule: \(describe(error))")
        }
    }

    func settings() -> OptimizerSettings { OptimizerSettings(kind: optimizer, learningRate: lr) }
}

/// The shape of a training step: B streams of S steps.
struct BatchOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Parallel streams per batch (B), 1...65536.") var batch = 50
    @Option(parsing: .unconditional, help: "Time steps of truncated backpropagation (S), 1...65536.") var seq = 50
    @Option(
        parsing: .unconditional,
        help: """
            Start each stream again from the zero state every N windows, staggered over the streams, \
            so the model also learns to predict from an empty context, as eval --window scores it; \
            0...10^9, 0 = never (default: never; train --max-time: the recipe's).
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

/// When training stops. Each command says what it does without any.
struct BudgetOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: "Stop once the run has made this many training steps (a resumed run counts from its start).")
    var steps: Int?
    @Option(parsing: .unconditional, help: "Stop after this many passes over the training part.") var epochs: Int?
    @Option(parsing: .unconditional, help: "Stop after this much training time in this invocation (e.g. 90s, 10m, 1h).")
    var maxTime: Duration?

    func validate() throws {
        try Check.range("--steps", steps, Limits.steps)
        try Check.range("--epochs", epochs, Limits.epochs)
        try Check.duration("--max-time", maxTime)
    }

    var isEmpty: Bool { steps == nil && epochs == nil && maxTime == nil }

    var budget: TrainingBudget { TrainingBudget(steps: steps, epochs: epochs, maxTime: maxTime?.seconds) }
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

/// `--precision` of the weights when one stream runs (sample, repl, eval, bench).
struct PrecisionOption: ParsableArguments {
    @Option(
        help: """
            Weights for one stream: f32 (exact; the PyTorch peer's), f16 (half the memory traffic, \
            about twice as fast on large models; logits within ~1e-3) or int8 (a quarter: 8-bit weights \
            with per-row scales, for models of 2×256 and up).
            """)
    var precision: WeightPrecision = .float32
}

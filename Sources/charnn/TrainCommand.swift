import ArgumentParser
import Foundation
import Models
import NeuralCore
import Tokenization
import Training

/// The options of `charnn train` (shared with `repl --train`).
struct TrainOptions: ParsableArguments {
    @Option(help: "Recurrent cell: lstm, gru, rnn or peephole.") var cell: CellKind = .lstm
    @Option(help: "Number of recurrent layers.") var layers = 2
    @Option(help: "Hidden units per layer.") var hidden = 256
    @Option(help: "Embedding size (default: the hidden size).") var embedding: Int?
    // `.unconditional` on numeric options that a user may write negative ("--lr -1",
    // "--forget-bias -1"): the next word is the value, so it is validated, not taken for an option.
    @Option(parsing: .unconditional, help: "Dropout between layers and before the decoder, in [0, 1).") var dropout: Float = 0
    @Option(help: "Parallel streams per batch (B).") var batch = 50
    @Option(help: "Time steps of truncated backpropagation (S).") var seq = 50
    @Option(help: "adam, rmsprop or sgd.") var optimizer: OptimizerKind = .adam
    @Option(parsing: .unconditional, help: "Learning rate (default 2e-3 for adam and rmsprop, 0.1 for sgd).") var lr: Float?
    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this (0 = off).") var clip: Float = 5
    @Option(help: "Learning-rate schedule: constant, step:EVERY:FACTOR, cosine[:WARMUP] (default: cosine when a budget is given, else constant).")
    var schedule: String?
    @Option(help: "Stop after this many training steps (counted from the start of training).") var steps: Int?
    @Option(help: "Stop after this many passes over the training part.") var epochs: Int?
    @Option(help: "Stop after this much time in this invocation (e.g. 90s, 10m, 1h).") var maxTime: Duration?
    @Option(help: "Fraction of the corpus (its end) kept for validation.") var valFraction: Double = 0.1
    @Option(help: "Evaluate and write checkpoints every N steps.") var evalEvery = 500
    @Option(help: "Run directory: latest/, best/, metrics.jsonl (default: runs/<corpus name>).") var out: String?
    @Option(help: "Continue the run in DIR (weights, optimizer, streams, RNG).") var resume: String?
    @Option(help: "Random seed (initialization, dropout; in repl also the sampling).") var seed: UInt64 = 1
    @Option(help: "Threads for the numeric work.") var threads = 2
    @Option(help: "Write the metrics (JSON lines) to FILE instead of DIR/metrics.jsonl.") var metrics: String?
    @Option(help: "Text unit: grapheme (user-perceived characters), scalar (Unicode code points) or byte.")
    var unit: TextUnit = .grapheme
    @Flag(help: "Keep the text as it is instead of NFC-normalizing it.") var noNormalize = false
    @Option(parsing: .unconditional, help: "Initial LSTM forget-gate bias (default: PyTorch's initialization).") var forgetBias: Float?

    func validate() throws {
        if layers < 1 { throw ValidationError("--layers must be ≥ 1, got \(layers)") }
        if hidden < 1 { throw ValidationError("--hidden must be ≥ 1, got \(hidden)") }
        if let e = embedding, e < 1 { throw ValidationError("--embedding must be ≥ 1, got \(e)") }
        if !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        if batch < 1 { throw ValidationError("--batch must be ≥ 1, got \(batch)") }
        if seq < 1 { throw ValidationError("--seq must be ≥ 1, got \(seq)") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be > 0, got \(lr)") }
        if !(clip >= 0) { throw ValidationError("--clip must be ≥ 0, got \(clip)") }
        if let s = steps, s < 1 { throw ValidationError("--steps must be ≥ 1, got \(s)") }
        if let e = epochs, e < 1 { throw ValidationError("--epochs must be ≥ 1, got \(e)") }
        if !(valFraction > 0 && valFraction < 1) { throw ValidationError("--val-fraction must be in (0, 1), got \(valFraction)") }
        if evalEvery < 1 { throw ValidationError("--eval-every must be ≥ 1, got \(evalEvery)") }
        if threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256, got \(threads)") }
        if let s = schedule { _ = try parsedSchedule(s) }
    }

    func parsedSchedule(_ s: String) throws -> LRSchedule {
        do { return try LRSchedule(parsing: s) } catch { throw ValidationError("--schedule: \(error)") }
    }

    /// Defaults: without any budget, 10 epochs.
    var budget: TrainingBudget {
        let b = TrainingBudget(steps: steps, epochs: epochs, maxTime: maxTime?.seconds)
        return b.steps == nil && b.epochs == nil && b.maxTime == nil ? TrainingBudget(epochs: 10) : b
    }

    var modelConfig: ModelConfig {
        ModelConfig(cell: cell, layers: layers, hidden: hidden, embedding: embedding, vocabularySize: 1, dropout: dropout)
    }

    var settings: TrainingSettings {
        var s = TrainingSettings()
        s.batch = batch
        s.steps = seq
        s.optimizer = OptimizerSettings(kind: optimizer, learningRate: lr)
        s.clip = clip
        s.schedule = (try? schedule.map(parsedSchedule)) ?? .cosine(warmup: 0)
        s.budget = budget
        s.validationFraction = valFraction
        s.evalEvery = evalEvery
        s.seed = seed
        s.forgetBias = forgetBias
        return s
    }

    var text: TextOptions { TextOptions(unit: unit, normalization: noNormalize ? .none : .nfc) }
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on a text file.",
        discussion: """
        Defaults (2-layer LSTM, 256 units, B 50, S 50, Adam 2e-3, clip 5, cosine decay over the \
        budget, 10 epochs when no --steps/--epochs/--max-time is given) train a good model on \
        tinyshakespeare without tuning. Ctrl-C saves DIR/latest and exits with status 130; \
        --resume DIR continues exactly where it stopped.
        """)

    @Argument(help: "UTF-8 text file to train on.") var corpus: String
    @OptionGroup var options: TrainOptions

    func run() throws {
        _ = try runTraining(corpus: corpus, options: options)
    }
}

/// Runs a training invocation with the terminal display. Returns the run directory.
func runTraining(corpus: String, options: TrainOptions) throws -> String {
    Parallelism.set(threads: options.threads)
    // Before the corpus is read (seconds for a large one): a Ctrl-C then must not kill the process.
    Interrupt.install(hardExitOnSecond: true)
    let out = options.resume ?? options.out ?? defaultRunDirectory(for: corpus)
    let session = try TrainingSession(corpus: corpus, model: options.modelConfig, settings: options.settings,
                                      text: options.text, outDirectory: out, resume: options.resume,
                                      metricsPath: options.metrics)
    if Interrupt.requested {
        Console.info("interrupted before training started: nothing saved")
        throw ExitCode(130)
    }
    let t = session.trainer
    let c = t.model.config
    if let from = session.resumedFrom {
        Console.info("resuming \(from) at step \(t.progress.step), epoch \(String(format: "%.2f", t.epochFloat))")
    }
    Console.info("""
        corpus \(corpus): \(Format.count(session.corpusCount)) \(session.vocabulary.unit.pluralName), \
        vocabulary \(session.vocabulary.count); train \(Format.count(session.trainCount)), validation \(Format.count(session.validationCount))
        model \(c.layers)×\(c.hidden) \(c.cell.rawValue), \(Format.count(c.parameterCount)) parameters; \
        B \(t.settings.batch) S \(t.settings.steps), \(t.settings.optimizer.kind.rawValue) lr \(t.settings.optimizer.learningRate), \
        \(Parallelism.count) threads, BLAS \(BLASCore.name) → \(out)
        """)
    let tty = Console.stderrIsTerminal
    var lastLog = Date.distantPast
    let outcome = try session.run(
        onStep: { r in
            var eta = ""
            if let p = r.progress, p > 0 { eta = " | ETA " + Format.duration(r.elapsed * (1 - p) / p) }
            let line = String(format: "step %d | epoch %.2f | loss %.4f | lr %.2e | %@ chars/s",
                              r.step, r.epoch, r.loss, Double(r.learningRate), Format.rate(r.charsPerSecond)) + eta
            if tty { Console.status(line) } else if Date().timeIntervalSince(lastLog) >= 10 {
                Console.info(line)
                lastLog = Date()
            }
        },
        onEvent: { e in
            switch e {
            case .evaluation(let r, let best):
                Console.endStatus()
                var line = String(format: "step %d | epoch %.2f | train %.4f", r.step, r.epoch, r.trainLoss)
                if let v = r.validation {
                    line += String(format: " | val loss %.4f nats, %.3f bpc, ppl %.2f", v.lossNats, v.bpc, v.perplexity)
                }
                Console.info(line + (best ? " | saved best/" : ""))
            case .nonFinite(let step, let action):
                Console.endStatus()
                Console.warning("non-finite loss or gradient at step \(step): \(action)")
            case .stopped:
                Console.endStatus()
            }
        },
        shouldStop: { Interrupt.requested })
    Console.endStatus()
    switch outcome {
    case .finished:
        Console.info("done: step \(t.progress.step); checkpoints in \(out)/latest and \(out)/best, loss curves in \(out)/loss.svg")
        return out
    case .interrupted:
        Console.info("interrupted at step \(t.progress.step): saved \(out)/latest (continue with --resume \(out))")
        throw ExitCode(130)
    }
}

/// `runs/<corpus file name without extension>`.
func defaultRunDirectory(for corpus: String) -> String {
    let name = ((corpus as NSString).lastPathComponent as NSString).deletingPathExtension
    return "runs/" + (name.isEmpty ? "run" : name)
}

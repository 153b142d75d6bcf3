import ArgumentParser
import Checkpointing
import Foundation
import Models
import NeuralCore
import Tokenization
import Training

/// The options of one run that are not the model's, the optimizer's or the data's.
struct RunOptions: ParsableArguments {
    // Optional so that the time-budget recipe (and a resumed run's own value) can fill it.
    @Option(
        name: .customLong("eval-every"), parsing: .unconditional,
        help: """
            Evaluate and write checkpoints every N steps, 1...10^9 (default 500; train --max-time: the recipe's; \
            --resume: the run's).
            """)
    var givenEvalEvery: Int?
    @Option(help: "Run directory: latest/, best/, metrics.jsonl (default: runs/<corpus name>, or the --resume run).")
    var out: String?
    @Option(
        help: """
            Continue the run in DIR (weights, optimizer, streams, RNG). With --out NEW, the run continues \
            in NEW, which starts as a copy of DIR's best/ and metrics, and DIR is left as it is.
            """)
    var resume: String?
    @Option(help: "Write the metrics (JSON lines) to FILE instead of DIR/metrics.jsonl.") var metrics: String?
    @Flag(
        help: """
            Replace the run that --out DIR holds with this new one, once the new run's first checkpoint \
            is written (until then DIR keeps the old run). Without it, a DIR that holds a run is refused.
            """)
    var overwrite = false

    var evalEvery: Int { givenEvalEvery ?? 500 }

    func validate() throws {
        try Check.range("--eval-every", givenEvalEvery, Limits.steps)
        if overwrite, let resume {
            throw ValidationError("--overwrite starts a new run: it cannot continue --resume \(resume)")
        }
        for (flag, path) in [("--out", out), ("--resume", resume), ("--metrics", metrics)] where path == "" {
            throw ValidationError("\(flag): the path is empty ('')")
        }
    }
}

/// Everything a training invocation takes from the command line (`train`, `repl --train`).
///
/// A plain struct of the groups rather than a group of groups: each command lists the groups
/// itself, one level deep (argument-parser's debug-build checks grow steeply with nesting).
struct TrainOptions {
    var cell: CellOption
    var model: ModelOptions
    var optimizer: OptimizerOptions
    var batches: BatchOptions
    var data: DataOptions
    var budget: BudgetOptions
    var run: RunOptions
    var seed: SeedOptions
    var threads: ThreadOptions

    /// What the groups cannot check alone: the size of one step.
    func validate() throws {
        try Check.shape(batch: batches.batch, seq: batches.seq, width: model.width, layers: model.layers)
    }

    var evalEvery: Int { run.evalEvery }
    var out: String? { run.out }
    var resume: String? { run.resume }
    var metrics: String? { run.metrics }

    // The recipe plumbing: under --max-time (and not resuming) the recipe fills what no flag gave.

    /// The recipe of a new run with a time budget; nil otherwise (fixed defaults, or the resumed
    /// run's own settings). `corpusUnits`: the corpus size when known.
    func recipe(corpusUnits: Int?) -> Recipe? {
        guard let t = budget.maxTime, resume == nil else { return nil }
        return RecipeBook.choose(seconds: t.seconds, corpusUnits: corpusUnits, trainFraction: 1 - data.valFraction)
    }

    func modelConfig(recipe: Recipe?) -> ModelConfig {
        guard let recipe else { return modelConfig }
        return model.config(cell: cell.given, recipe: recipe)
    }

    var modelConfig: ModelConfig { model.config(cell: cell.cell) }

    /// The settings of a new run (`recipe` filling what no flag gave), or the budget and schedule of
    /// evaluations of a resumed one (the rest comes from its checkpoint).
    func settings(recipe: Recipe?) -> TrainingSettings {
        var s = settings
        if let resume, run.givenEvalEvery == nil, let saved = RunDirectory.savedSettings(resume: resume) {
            s.evalEvery = saved.evalEvery
        }
        if let recipe {
            if run.givenEvalEvery == nil { s.evalEvery = recipe.evalEvery }
            // The recipe's learning rate is Adam's; another optimizer keeps its own default.
            if optimizer.lr == nil && optimizer.optimizer == .adam { s.optimizer.learningRate = recipe.learningRate }
            if optimizer.schedule == nil { s.schedule = recipe.schedule }
            if batches.resetEvery == nil { s.resetEvery = recipe.resetEvery(seq: s.steps) }
        }
        return s
    }

    var settings: TrainingSettings {
        trainingSettings(
            model: model, optimizer: optimizer, batches: batches, budget: budget.budget,
            validationFraction: data.valFraction, evalEvery: evalEvery, seed: seed.value)
    }
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on a text file.",
        discussion: """
            With --max-time T, a recipe picks the model, dropout, learning rate and warm-up that T buys \
            on a corpus of this size (printed at the start; each flag given overrides its part; a resumed \
            run keeps its own). Without --max-time the defaults are fixed: 2-layer LSTM, 256 units, no \
            dropout, Adam 2e-3, cosine decay over the budget, 10 epochs when no --steps/--epochs is given. \
            Both use B 50, S 50, clip 5. Ctrl-C (or SIGTERM) saves DIR/latest and exits with status \
            130 (143); --resume DIR continues exactly where it stopped; --resume DIR --out NEW continues \
            it in NEW and leaves DIR as it was. A new run never replaces a run silently: a DIR that holds \
            one is refused, or replaced with --overwrite once the new run's first checkpoint is written.
            """)

    @Argument(help: "UTF-8 text file to train on.") var corpus: String
    @OptionGroup(title: "Model") var cell: CellOption
    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Optimizer") var optimizer: OptimizerOptions
    @OptionGroup(title: "Batches") var batches: BatchOptions
    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Budget (default: 10 epochs)") var budget: BudgetOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var seed: SeedOptions
    @OptionGroup var threads: ThreadOptions

    var options: TrainOptions {
        TrainOptions(
            cell: cell, model: model, optimizer: optimizer, batches: batches, data: data, budget: budget,
            run: runOptions, seed: seed, threads: threads)
    }

    func validate() throws { try options.validate() }

    func run() throws {
        _ = try runTraining(corpus: corpus, options: options)
    }
}

/// Runs a training invocation with the terminal display. Returns the run directory.
///
/// Under mpirun every rank runs this (data-parallel training, docs/distributed.md): all prepare alike
/// (`Job.together`), rank 0 alone prints and writes.
func runTraining(corpus: String, options: TrainOptions) throws -> String {
    let world = Job.world
    Job.silenceOtherRanks()
    Parallelism.set(threads: options.threads.threads)
    // Reading the corpus can take seconds, or block in open() on a FIFO without a writer:
    // a signal then ends the process at once, there is nothing to save yet.
    Interrupt.exitAtOnce(saying: "interrupted before training started: nothing saved")
    let run = try Job.together { try runDirectory(corpus: corpus, options: options) }
    let out = run.path
    // A new run never overwrites one silently: refused before the corpus is read (the session checks
    // again under the directory's lock), or replaced with --overwrite once the new run has a checkpoint.
    let held = try Job.together {
        let held = options.resume == nil ? run.contents : RunDirectory.Contents(names: [], latestStep: nil)
        if !held.isEmpty && !options.run.overwrite { throw RunDirectoryError.holdsRun(path: out, contents: held) }
        return held
    }
    let recipe = options.recipe(corpusUnits: corpusSize(corpus))
    // The session checks the memory the corpus and the model need before allocating them, and
    // holds the run directory's lock (DIR/.lock) while it runs.
    let session = try Job.together {
        try TrainingSession(
            corpus: corpus, model: options.modelConfig(recipe: recipe),
            settings: options.settings(recipe: recipe),
            text: options.data.text, outDirectory: out, resume: options.resume,
            metricsPath: options.metrics, replacing: !held.isEmpty, communicator: world)
    }
    try Job.together {
        if world.isRoot, let resume = options.resume {
            let source = try RunDirectory.containing(resume: resume)
            if !run.isSame(as: source) { try branch(run, from: source, copyMetrics: options.metrics == nil) }
        }
    }
    if !held.isEmpty {
        Console.info(
            "--overwrite: \(out) holds a run (\(held)); this run replaces it once its first checkpoint is written")
    }
    // From here on, Ctrl-C or SIGTERM stops the loop, which saves latest/.
    Interrupt.cooperate(again: "interrupted again: exiting at once; the last checkpoint written in \(out) is kept")
    let t = session.trainer
    let c = t.model.config
    if let recipe { Console.info(recipeLine(recipe, options: options, corpus: corpus)) }
    if let from = session.resumedFrom {
        Console.info("resuming \(from) at step \(t.progress.step), epoch \(String(format: "%.2f", t.epochFloat))")
    }
    Console.info(
        """
        corpus \(corpus): \(Format.count(session.corpusCount)) \(session.vocabulary.unit.pluralName), \
        vocabulary \(session.vocabulary.count); train \(Format.count(session.trainCount)), validation \(Format.count(session.validationCount))
        model \(c.layers)×\(c.hidden) \(c.cell.rawValue), \(Format.count(c.parameterCount)) parameters; \
        B \(t.settings.batch) S \(t.settings.steps), \(t.settings.optimizer.kind.rawValue) lr \(t.settings.optimizer.learningRate), \
        \(Parallelism.count) threads\(world.size > 1 ? " × \(world.size) ranks" : ""), BLAS \(BLASCore.name) → \(out)
        """)
    let tty = Console.stderrIsTerminal
    let outcome: TrainingSession.Outcome
    do {
        outcome = try runSession(session, tty: tty)
    } catch  where world.size > 1 {
        try Job.afterTraining(error)
    }
    Console.endStatus()
    if world.size > 1 && t.allReduceCount > 0 {
        // What the ranks cost each other: the share of the training time spent in (or waiting at) the
        // gradient allreduce (docs/distributed.md, scaling).
        let perStep = t.allReduceSeconds / Double(t.allReduceCount)
        Console.info(
            String(
                format: "%d ranks: gradient allreduce %.2f ms per step (%d floats), %.1f%% of the "
                    + "training time", world.size, perStep * 1000, t.model.config.parameterCount,
                100 * t.allReduceSeconds / max(session.trainingSeconds, 1e-9)))
    }
    switch outcome {
    case .finished:
        Console.info(
            "done: step \(t.progress.step); checkpoints in \(run.latest) and \(run.best), loss curves in \(run.plot)"
        )
        return out
    case .interrupted:
        Console.info("interrupted at step \(t.progress.step): saved \(run.latest) (continue with --resume \(out))")
        throw ExitCode(Interrupt.exitStatus)
    }
}

/// The session's loop with the terminal display.
private func runSession(_ session: TrainingSession, tty: Bool) throws -> TrainingSession.Outcome {
    var lastLog = Date.distantPast
    return try session.run(
        onStep: { r in
            var eta = ""
            if let p = r.progress, p > 0 { eta = " | ETA " + Format.duration(r.elapsed * (1 - p) / p) }
            let line =
                String(
                    format: "step %d | epoch %.2f | loss %.4f | lr %.2e | %@ chars/s",
                    r.step, r.epoch, r.loss, Double(r.learningRate), Format.rate(r.charsPerSecond)) + eta
            if tty {
                Console.status(line)
            } else if Date().timeIntervalSince(lastLog) >= 10 {
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
}

/// The corpus size the recipe reads: the file's bytes (the units of an ASCII text; a rougher
/// figure for other scripts, which the recipe's coarse steps tolerate); nil for a pipe.
func corpusSize(_ path: String) -> Int? {
    guard let a = try? FileManager.default.attributesOfItem(atPath: path),
        a[.type] as? FileAttributeType == .typeRegular
    else { return nil }
    return (a[.size] as? NSNumber)?.intValue
}

/// "recipe for a 10 min budget on 1.1 M bytes: 2×384 gru, …; flags override", naming the flags
/// that did.
func recipeLine(_ recipe: Recipe, options o: TrainOptions, corpus: String) -> String {
    let given = [
        ("--cell", o.cell.given != nil), ("--layers", o.model.givenLayers != nil),
        ("--hidden", o.model.hidden != nil), ("--dropout", o.model.givenDropout != nil),
        ("--lr", o.optimizer.lr != nil), ("--schedule", o.optimizer.schedule != nil),
        ("--eval-every", o.run.givenEvalEvery != nil), ("--reset-every", o.batches.resetEvery != nil),
    ]
    .filter(\.1).map(\.0)
    let size = corpusSize(corpus).map { "\(Format.count($0)) bytes" } ?? "a corpus of unknown size"
    return "recipe for a \(Format.duration(o.budget.maxTime?.seconds ?? 0)) budget on \(size): \(recipe.summary); "
        + (given.isEmpty ? "flags override" : "overridden by " + given.joined(separator: ", "))
}

/// Where the run writes: --out, else the --resume run, else `runs/<corpus name>`.
func runDirectory(corpus: String, options: TrainOptions) throws -> RunDirectory {
    if let out = options.out { return RunDirectory(out) }
    if let resume = options.resume { return try RunDirectory.containing(resume: resume) }
    return RunDirectory.default(forCorpus: corpus)
}

/// `--resume SOURCE --out RUN`: RUN continues SOURCE's run, from a copy of its best/ and metrics.
func branch(_ run: RunDirectory, from source: RunDirectory, copyMetrics: Bool) throws {
    do { try run.branch(from: source, copyMetrics: copyMetrics) } catch RunDirectoryError.holdsRun(
        let path, let contents)
    {
        throw CLIError(
            "--out \(path) already holds a run (\(contents)): continue it with --resume \(path), "
                + "or give a new directory to continue \(source) in")
    }
}

import Checkpointing
import Communication
import Evaluation
import FileIO
import Foundation
import Models
import NeuralCore
import Tokenization

/// How the corpus is cut into units.
public struct TextOptions: Codable, Equatable, Sendable {
    public var unit: TextUnit = .grapheme
    public var normalization: Normalization = .nfc
    public init(unit: TextUnit = .grapheme, normalization: Normalization = .nfc) {
        self.unit = unit
        self.normalization = normalization
    }
}

/// One invocation of `charnn train`: data, model, loop, evaluations, checkpoints, metrics.
public final class TrainingSession: @unchecked Sendable {
    public let trainer: Trainer
    public let vocabulary: Vocabulary
    public let outDirectory: String
    /// The run directory: `outDirectory`, whose names `RunDirectory` knows.
    public var runDirectory: RunDirectory { RunDirectory(outDirectory) }
    /// `--metrics FILE`, or nil for the run directory's metrics.jsonl.
    let givenMetricsPath: String?
    /// Where the metrics go: the given file, or metrics.jsonl where the run writes.
    public var metricsPath: String { givenMetricsPath ?? writing.metrics }
    public let resumedFrom: String?
    /// Whether this new run replaces a run in `outDirectory` (`--overwrite`): until its first checkpoint
    /// is written it writes in `RunDirectory.replacing`, and the run there stays as it was.
    public private(set) var replacing: Bool
    /// Where checkpoints, metrics and the plot go now.
    var writing: RunDirectory { replacing ? runDirectory.replacing : runDirectory }
    /// Evaluations in the checkpoint resumed from (more: this run has saved its own).
    let resumedHistoryCount: Int
    /// The loss curves, rewritten at every evaluation.
    public var plotPath: String { writing.plot }
    let plotTitle: String
    /// Units in the corpus, and in its training and validation parts.
    public let corpusCount: Int, trainCount: Int, validationCount: Int
    var metricsFile: AppendingFile?
    /// The training loss logged every 10 steps (a resumed run's from its metrics file too): the plot's curve.
    var trainingCurve: [LossPlot.TrainingPoint] = []
    /// Seconds this invocation spent in training steps (evaluations and checkpoints excluded).
    public private(set) var trainingSeconds = 0.0

    /// Prepares a run: encodes the corpus (with the checkpoint's vocabulary when resuming), builds
    /// or restores the model, optimizer, streams and RNG states.
    ///
    /// With several ranks (`communicator`), every rank prepares alike from the same files; only rank 0
    /// writes (`run`).
    ///
    /// A new run refuses an `outDirectory` that holds a run (`run` throws `RunDirectoryError.holdsRun`),
    /// unless `replacing`: then the run there is replaced once this one's first checkpoint is written.
    ///
    /// - Throws: tokenization errors (bad corpus), `TrainingError` (corpus too small, vocabulary
    ///   mismatch, damaged checkpoint), `ModelError` (bad configuration).
    public init(
        corpus: String, model modelConfig: ModelConfig, settings: TrainingSettings, text: TextOptions,
        outDirectory: String, resume: String? = nil, metricsPath: String? = nil, replacing: Bool = false,
        communicator: any Communicator = SingleProcess()
    ) throws {
        precondition(!(replacing && resume != nil), "a resumed run continues its run; it replaces none")
        var settings = settings
        let vocabulary: Vocabulary
        let ids: TokenIDs
        var restored: Checkpoint? = nil
        if let resume {
            let resumed = try Self.loadForResume(resume, corpus: corpus, settings: settings)
            (restored, settings) = (resumed.checkpoint, resumed.settings)
            (vocabulary, ids) = (resumed.vocabulary, resumed.ids)
        } else {
            try settings.validate()
            try MemoryEstimate.require(
                MemoryEstimate.corpusFile(corpus) ?? 0, for: "encoding the corpus \(quotedPath(corpus))")
            let encoded = try CorpusCache.build(path: corpus, unit: text.unit, normalization: text.normalization)
            vocabulary = encoded.vocabulary
            ids = encoded.ids
        }
        let split = splitPoint(count: ids.count, validationFraction: settings.validationFraction)
        corpusCount = ids.count
        trainCount = split
        validationCount = ids.count - split
        let train = TokenSlice(ids, 0..<split), validation = TokenSlice(ids, split..<ids.count)
        let trainer: Trainer
        do {
            if let restored {
                trainer = try Trainer(
                    model: restored.model, settings: settings, train: train, validation: validation,
                    progress: restored.progress, communicator: communicator)
            } else {
                var config = modelConfig
                config.vocabularySize = vocabulary.count
                // Checks what training will need (weights, moments, workspaces B×S×H per layer,
                // logits B×S×V) against the free memory before the model allocates its weights.
                trainer = try Trainer(
                    config: config, settings: settings, train: train, validation: validation,
                    communicator: communicator)
            }
        } catch TrainingError.corpusTooSmall(let n, let b, let s, nil) {
            throw TrainingError.corpusTooSmall(tokens: n, batch: b, steps: s, path: corpus)
        }
        let fingerprint = corpusFingerprint(ids)
        if let restored {
            try Self.restore(restored, into: trainer, corpus: corpus, ids: ids, split: split, fingerprint: fingerprint)
        }
        trainer.progress.corpusFingerprint = fingerprint
        self.trainer = trainer
        self.vocabulary = vocabulary
        self.outDirectory = outDirectory
        givenMetricsPath = metricsPath
        self.replacing = replacing
        resumedFrom = restored?.path
        resumedHistoryCount = trainer.progress.history.count
        let c = trainer.model.config
        plotTitle =
            "charnn train: \((corpus as NSString).lastPathComponent), \(c.layers)×\(c.hidden) \(c.cell.rawValue)"
        // The snapshot is where roll-backs return to: weights that cannot train are refused now.
        guard trainer.parametersAreFinite else {
            throw TrainingError.nonFiniteInitialWeights(forgetBias: settings.forgetBias)
        }
        trainer.takeSnapshot()
    }

    /// Names the checkpoint in a divergence right after resuming (before this run evaluated).
    func namingCheckpoint(_ error: TrainingError) -> TrainingError {
        guard case .diverged(let why, let remedy) = error, let resumedFrom,
            trainer.progress.history.count == resumedHistoryCount
        else { return error }
        return .diverged(
            why + " (resumed from \(resumedFrom): its weights or optimizer state may be damaged)",
            remedy: remedy)
    }

    /// Why a run ended.
    public typealias Outcome = TrainingLoop.Outcome

    /// Trains until the budget is spent or `shouldStop` returns true, evaluating and writing
    /// `latest/` (and `best/` when validation improves) every `evalEvery` steps and at the end.
    public func run(
        onStep: (StepReport) -> Void, onEvent: (TrainingEvent) -> Void,
        shouldStop: () -> Bool
    ) throws -> Outcome {
        // Only rank 0 touches the run directory; the other ranks learn whether it could (a refusal there
        // ends them too, instead of leaving them in the first collective).
        let world = trainer.communicator
        var lock: RunDirectoryLock? = nil
        defer { lock?.release() }
        defer { metricsFile?.close(); metricsFile = nil }
        var setupError: Error? = nil
        if world.isRoot {
            do { lock = try prepareRunDirectory() } catch { setupError = error }
        }
        if world.size > 1, try world.anyRank(setupError != nil), setupError == nil { throw RankFailure() }
        if let setupError { throw setupError }
        if world.isRoot && resumedFrom != nil {
            trainingCurve = LossPlot.trainingPoints(metrics: metricsPath, upTo: trainer.progress.step)
        }
        let start = Date()
        let loop = TrainingLoop(trainer: trainer, schedule: .everySteps(trainer.settings.evalEvery))
        defer { trainingSeconds = loop.trainSeconds }
        var display = ProgressDisplay(charsPerStep: trainer.settings.batch * trainer.settings.steps)
        var savedAtEnd = false
        let outcome: Outcome
        do {
            outcome = try loop.run(
                onStep: { s in
                    if let report = display.report(s, trainer: trainer) { onStep(report) }
                    if s.step % 10 == 0 {
                        trainingCurve.append(LossPlot.TrainingPoint(step: s.step, loss: s.loss))
                        try writeMetrics([
                            "type": "train", "step": s.step, "epoch": trainer.epochFloat,
                            "train_loss": s.loss, "lr": Double(s.learningRate),
                            "seconds": trainer.progress.trainingSeconds + s.elapsed,
                        ])
                    }
                },
                onEvent: onEvent,
                onEvaluation: { e in
                    try record(e, start: start, onEvent: onEvent)
                    savedAtEnd = e.isFinal
                },
                shouldStop: shouldStop)
        } catch let error as TrainingError {
            throw namingCheckpoint(error)
        }
        // Interrupted, or nothing left to evaluate at the end: latest/ still holds where the run stands.
        if !savedAtEnd { try save(start: start, best: false) }
        if outcome == .interrupted { onEvent(.stopped(reason: "interrupted")) }
        return outcome
    }

    /// Creates and locks the run directory, removes what a killed run left, refuses a run there
    /// that this new one would overwrite (unless replacing), opens the metrics file.
    func prepareRunDirectory() throws -> RunDirectoryLock {
        do { try FileManager.default.createDirectory(atPath: outDirectory, withIntermediateDirectories: true) } catch {
            throw TrainingError.cannotWrite(path: outDirectory, reason: fileErrorReason(error), what: .runDirectory)
        }
        // One trainer per run directory; then what a killed run left can go, and a `latest` or
        // `best` that is not ours, or a run this one would overwrite, is refused before any training
        // time is spent.
        let lock = try RunDirectoryLock(directory: outDirectory)
        do {
            let run = runDirectory
            run.cleanLeftovers()
            try Checkpoint.checkReplaceable(run.latest)
            try Checkpoint.checkReplaceable(run.best)
            if resumedFrom == nil && !replacing { try run.requireNoRun() }
            if replacing {
                do {
                    try FileManager.default.createDirectory(
                        atPath: run.replacing.path, withIntermediateDirectories: true)
                } catch {
                    throw TrainingError.cannotWrite(path: run.replacing.path, reason: fileErrorReason(error))
                }
            }
            do { metricsFile = try AppendingFile(path: metricsPath) } catch { throw Self.metricsError(error) }
        } catch {
            lock.release()
            throw error
        }
        return lock
    }

    /// An evaluation: appended to the history and the metrics, checkpointed, plotted, reported.
    func record(_ e: LoopEvaluation, start: Date, onEvent: (TrainingEvent) -> Void) throws {
        let seconds = trainer.progress.trainingSeconds + Date().timeIntervalSince(start)
        let record = EvaluationRecord(
            step: e.step, epoch: trainer.epochFloat, trainLoss: e.trainLoss,
            validation: e.validation, seconds: seconds,
            learningRate: trainer.learningRate(elapsed: e.elapsed))
        trainer.progress.history.append(record)
        var isBest = false
        if let v = e.validation?.lossNats, v.isFinite, v < (trainer.progress.bestValidationLoss ?? .infinity) {
            trainer.progress.bestValidationLoss = v
            isBest = true
        }
        var line: [String: Any] = [
            "type": "eval", "step": record.step, "epoch": record.epoch, "seconds": seconds,
            "lr": Double(record.learningRate),
        ]
        if record.trainLoss.isFinite { line["train_loss"] = record.trainLoss }
        if let report = e.validation {
            line["val_loss"] = report.lossNats; line["val_bpc"] = report.bpc; line["val_ppl"] = report.perplexity
        }
        try writeMetrics(line)
        try save(start: start, best: isBest)
        if trainer.communicator.isRoot { writePlot() }
        onEvent(.evaluation(record, isBest: isBest))
    }

    /// Writes `latest/` (and `best/`), never with non-finite weights.
    func save(start: Date, best: Bool) throws {
        if let problem = trainer.unsaveableWeights() {
            try trainer.restoreSnapshot()
            throw TrainingError.diverged(
                problem + "; no checkpoint was written (the last good one is kept)",
                remedy: .smallerSteps)
        }
        var progress = trainer.progress
        progress.trainingSeconds += Date().timeIntervalSince(start)
        let dir = writing
        // Every rank's streams (a collective); rank 0 alone writes, the others go on (a write error there
        // ends the job through the executable's abort).
        if let state = try trainer.gatheredState() {
            try Checkpoint.save(
                to: dir.latest, model: trainer.model, vocabulary: vocabulary,
                training: trainer.settings, optimizer: trainer.optimizer, state: state,
                progress: progress)
            if best {
                try Checkpoint.save(
                    to: dir.best, model: trainer.model,
                    vocabulary: vocabulary, training: trainer.settings, optimizer: nil, state: nil,
                    progress: progress)
            }
            // The new run has a checkpoint: now it may take the place of the run it replaces.
            if replacing {
                try runDirectory.adoptReplacingRun()
                replacing = false
            }
        }
        trainer.takeSnapshot()
    }

    /// Rewrites `loss.svg` (durably; a plot that cannot be written does not stop the run).
    func writePlot() {
        let svg = LossPlot.svg(history: trainer.progress.history, training: trainingCurve, title: plotTitle)
        try? DurableFile.write(Array(svg.utf8), to: plotPath)
    }

    /// Appends one line to the metrics file; a write error (a full disk) ends the run with it.
    func writeMetrics(_ object: [String: Any]) throws {
        guard let metricsFile, let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else {
            return
        }
        do { try metricsFile.append(Array(data) + [0x0a]) } catch { throw Self.metricsError(error) }
    }

    static func metricsError(_ error: FileWriteError) -> TrainingError {
        .cannotWrite(path: error.path, reason: error.reason, what: .metricsFile)
    }
}

/// What the progress line shows, at most four times a second (and every 100th step): the
/// throughput is measured over windows of about five seconds.
struct ProgressDisplay {
    let charsPerStep: Int
    var lastReport = 0.0, windowStart = 0.0
    var charsInWindow = 0

    mutating func report(_ s: LoopStep, trainer: Trainer) -> StepReport? {
        charsInWindow += charsPerStep
        let window = s.elapsed - windowStart
        let report = StepReport(
            step: s.step, epoch: trainer.epochFloat, loss: s.loss, learningRate: s.learningRate,
            charsPerSecond: window > 0 ? Double(charsInWindow) / window : 0,
            progress: trainer.budgetFraction(elapsed: s.elapsed), elapsed: s.elapsed)
        if window > 5 { windowStart = s.elapsed; charsInWindow = 0 }
        guard s.elapsed - lastReport >= 0.25 || s.step % 100 == 0 else { return nil }
        lastReport = s.elapsed
        return report
    }
}

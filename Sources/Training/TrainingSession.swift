import Checkpointing
import Foundation
import Models
import NeuralCore
import TensorIO
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
    public let metricsPath: String?
    public let resumedFrom: String?
    /// Evaluations in the checkpoint resumed from (more: this run has saved its own).
    let resumedHistoryCount: Int
    /// The loss curves, rewritten at every evaluation.
    public var plotPath: String { (outDirectory as NSString).appendingPathComponent("loss.svg") }
    let plotTitle: String
    /// Units in the corpus, and in its training and validation parts.
    public let corpusCount: Int, trainCount: Int, validationCount: Int
    var metricsFile: AppendingFile?
    var lossSinceEval = 0.0, stepsSinceEval = 0

    /// Prepares a run: encodes the corpus (with the checkpoint's vocabulary when resuming), builds
    /// or restores the model, optimizer, streams and RNG states.
    ///
    /// - Throws: tokenization errors (bad corpus), `TrainingError` (corpus too small, vocabulary
    ///   mismatch, damaged checkpoint), `ModelError` (bad configuration).
    public init(corpus: String, model modelConfig: ModelConfig, settings: TrainingSettings, text: TextOptions,
                outDirectory: String, resume: String? = nil, metricsPath: String? = nil) throws {
        var settings = settings
        let model: LanguageModel
        let vocabulary: Vocabulary
        let ids: TokenIDs
        var restored: Checkpoint? = nil
        if let resume {
            let ckpt = try Checkpoint.loadWithTrainerState(resume, preferLatest: true)
            try MemoryEstimate.require(MemoryEstimate.corpusFile(corpus) ?? 0, for: "encoding the corpus \(corpus)")
            // A weights-only checkpoint (best/) cannot continue a run: name the file really missing.
            for name in ["trainer_state.json", "optimizer.safetensors"]
            where !FileManager.default.fileExists(atPath: (ckpt.path as NSString).appendingPathComponent(name)) {
                throw TrainingError.checkpoint(path: (ckpt.path as NSString).appendingPathComponent(name),
                    reason: "missing: \(ckpt.path) is a weights-only checkpoint (best/ keeps weights only); "
                        + "it can be sampled or evaluated but not resumed. Resume from the run's latest/")
            }
            vocabulary = ckpt.vocabulary
            do {
                ids = try CorpusEncoder.encode(path: corpus, vocabulary: vocabulary, unknown: .error).ids
            } catch let e as TokenizationError {
                if case .unknownCharacter = e {
                    throw TrainingError.vocabularyMismatch(
                        "\(e.errorDescription ?? "\(e)"); the checkpoint \(ckpt.path) was trained on a different text "
                        + "(its vocabulary has \(vocabulary.count) \(vocabulary.unit.rawValue) units): resume with the corpus it was trained on")
                }
                throw e
            }
            model = ckpt.model
            if let saved = ckpt.training {
                // The run's identity comes from the checkpoint; the budget and logging from this call.
                let budget = settings.budget, evalEvery = settings.evalEvery
                settings = saved
                settings.budget = budget
                settings.evalEvery = evalEvery
                // Saved settings size buffers and index the corpus: refuse impossible ones (a damaged file).
                do { try saved.validate() } catch {
                    throw TrainingError.checkpoint(path: (ckpt.path as NSString).appendingPathComponent("config.json"),
                                                   reason: "invalid training settings: \(error)")
                }
            }
            restored = ckpt
        } else {
            try settings.validate()
            try MemoryEstimate.require(MemoryEstimate.corpusFile(corpus) ?? 0, for: "encoding the corpus \(corpus)")
            let encoded = try CorpusEncoder.build(path: corpus, unit: text.unit, normalization: text.normalization)
            vocabulary = encoded.vocabulary
            ids = encoded.ids
            var config = modelConfig
            config.vocabularySize = vocabulary.count
            // Before the model allocates its weights: what training it will need (weights, moments,
            // workspaces B×S×H per layer, logits B×S×V) must fit.
            try config.validate()
            try MemoryEstimate.require(
                MemoryEstimate.training(config: config, batch: settings.batch, steps: settings.steps,
                                        optimizer: settings.optimizer.kind),
                for: "training a \(config.layers)×\(config.hidden) \(config.cell.rawValue) "
                    + "(vocabulary \(config.vocabularySize)) with --batch \(settings.batch) --seq \(settings.steps)")
            model = try LanguageModel(config: config, seed: settings.seed, forgetBias: settings.forgetBias)
        }
        let split = splitPoint(count: ids.count, validationFraction: settings.validationFraction)
        corpusCount = ids.count
        trainCount = split
        validationCount = ids.count - split
        let train = TokenSlice(ids, 0..<split), validation = TokenSlice(ids, split..<ids.count)
        let trainer: Trainer
        do {
            trainer = try Trainer(model: model, settings: settings, train: train, validation: validation,
                                  progress: restored?.progress)
        } catch TrainingError.corpusTooSmall(let n, let b, let s, nil) {
            throw TrainingError.corpusTooSmall(tokens: n, batch: b, steps: s, path: corpus)
        }
        if let restored {
            // trainer_state.json drives indexing into the corpus and the batch buffers: check it.
            let b = trainer.progress.batcher, p = trainer.progress
            guard b.batch == settings.batch, b.steps == settings.steps, b.position >= 0, b.position <= b.streamLength,
                  b.epoch >= 0, p.step >= 0, p.lrBackoff > 0, p.lrBackoff <= 1 else {
                throw TrainingError.checkpoint(
                    path: (restored.path as NSString).appendingPathComponent("trainer_state.json"),
                    reason: "inconsistent stream state (batch \(b.batch), seq \(b.steps), position \(b.position) of \(b.streamLength), "
                        + "epoch \(b.epoch), step \(p.step), lr_backoff \(p.lrBackoff)) for batch \(settings.batch), seq \(settings.steps)")
            }
            try restored.restore(optimizer: trainer.optimizer, state: trainer.state)
            guard trainer.progress.batcher.streamLength == StreamBatcher(count: split, batch: settings.batch, steps: settings.steps).streamLength else {
                throw TrainingError.vocabularyMismatch("\(corpus): the corpus has \(ids.count) units but the checkpoint \(restored.path) was trained on a corpus of another length: resume with the same corpus")
            }
        }
        let fingerprint = corpusFingerprint(ids)
        if let restored, let saved = trainer.progress.corpusFingerprint, saved != fingerprint {
            throw TrainingError.vocabularyMismatch("\(corpus): not the text the checkpoint \(restored.path) was trained on "
                + "(same length and characters, other content; fingerprint \(fingerprint), expected \(saved)): resume with the same corpus")
        }
        trainer.progress.corpusFingerprint = fingerprint
        self.trainer = trainer
        self.vocabulary = vocabulary
        self.outDirectory = outDirectory
        self.metricsPath = metricsPath ?? (outDirectory as NSString).appendingPathComponent("metrics.jsonl")
        resumedFrom = restored?.path
        resumedHistoryCount = trainer.progress.history.count
        let c = trainer.model.config
        plotTitle = "charnn train: \((corpus as NSString).lastPathComponent), \(c.layers)×\(c.hidden) \(c.cell.rawValue)"
        // The snapshot is where roll-backs return to: weights that cannot train are refused now.
        guard trainer.parametersAreFinite else {
            throw TrainingError.invalidSetting("the initial weights hold NaN or infinite values"
                + (settings.forgetBias.map { "; --forget-bias is \($0)" } ?? ""))
        }
        trainer.takeSnapshot()
    }

    /// A training step; a divergence right after resuming names the checkpoint.
    func trainingStep(elapsed: Double, onEvent: (TrainingEvent) -> Void) throws -> Double? {
        do {
            return try trainer.trainingStep(elapsed: elapsed, onEvent: onEvent)
        } catch TrainingError.diverged(let why) {
            guard let resumedFrom, trainer.progress.history.count == resumedHistoryCount else {
                throw TrainingError.diverged(why)
            }
            throw TrainingError.diverged(why + " (resumed from \(resumedFrom): its weights or optimizer state "
                                         + "may be damaged)")
        }
    }

    /// Why a run ended.
    public enum Outcome: Equatable, Sendable { case finished, interrupted }

    /// Trains until the budget is spent or `shouldStop` returns true, evaluating and writing
    /// `latest/` (and `best/` when validation improves) every `evalEvery` steps and at the end.
    public func run(onStep: (StepReport) -> Void, onEvent: (TrainingEvent) -> Void,
                    shouldStop: () -> Bool) throws -> Outcome {
        do { try FileManager.default.createDirectory(atPath: outDirectory, withIntermediateDirectories: true) } catch {
            throw TrainingError.invalidSetting("cannot create the run directory \(outDirectory): \(Self.reason(error))")
        }
        // One trainer per run directory; then what a killed run left can go, and a `latest` or
        // `best` that is not ours is refused before any training time is spent.
        let lock = try RunDirectoryLock(directory: outDirectory)
        defer { lock.release() }
        RunDirectory.cleanLeftovers(outDirectory)
        for name in RunDirectory.checkpointNames {
            try Checkpoint.checkReplaceable((outDirectory as NSString).appendingPathComponent(name))
        }
        if let metricsPath {
            do { metricsFile = try AppendingFile(path: metricsPath) } catch { throw Self.metricsError(error) }
        }
        defer { metricsFile?.close(); metricsFile = nil }
        let settings = trainer.settings
        let start = Date()
        var lastReport = start
        var charsSinceReport = 0
        var windowStart = start
        while !trainer.budgetReached(elapsed: Date().timeIntervalSince(start)) {
            if shouldStop() {
                try finish(start: start, validate: false)
                onEvent(.stopped(reason: "interrupted"))
                return .interrupted
            }
            let elapsed = Date().timeIntervalSince(start)
            let lr = trainer.learningRate(elapsed: elapsed)
            if let loss = try trainingStep(elapsed: elapsed, onEvent: onEvent) {
                lossSinceEval += loss
                stepsSinceEval += 1
                charsSinceReport += settings.batch * settings.steps
                let now = Date()
                let dt = now.timeIntervalSince(windowStart)
                let report = StepReport(step: trainer.progress.step, epoch: trainer.epochFloat, loss: loss, learningRate: lr,
                                        charsPerSecond: dt > 0 ? Double(charsSinceReport) / dt : 0,
                                        progress: trainer.budgetFraction(elapsed: now.timeIntervalSince(start)),
                                        elapsed: now.timeIntervalSince(start))
                if now.timeIntervalSince(lastReport) >= 0.25 || trainer.progress.step % 100 == 0 {
                    onStep(report)
                    lastReport = now
                }
                if dt > 5 { windowStart = now; charsSinceReport = 0 }
                if trainer.progress.step % 10 == 0 {
                    try writeMetrics(["type": "train", "step": trainer.progress.step, "epoch": trainer.epochFloat,
                                  "train_loss": loss, "lr": Double(lr),
                                  "seconds": trainer.progress.trainingSeconds + now.timeIntervalSince(start)])
                }
            }
            if trainer.progress.step > 0 && trainer.progress.step % settings.evalEvery == 0 && stepsSinceEval > 0 {
                try evaluateAndSave(start: start, onEvent: onEvent, shouldStop: shouldStop)
            }
        }
        try finish(start: start, validate: true, onEvent: onEvent)
        return .finished
    }

    func finish(start: Date, validate: Bool, onEvent: (TrainingEvent) -> Void = { _ in }) throws {
        if validate && stepsSinceEval > 0 {
            try evaluateAndSave(start: start, onEvent: onEvent, shouldStop: { false })
        } else {
            try save(start: start, best: false)
        }
    }

    func evaluateAndSave(start: Date, onEvent: (TrainingEvent) -> Void, shouldStop: () -> Bool) throws {
        let report = trainer.validate(shouldStop: shouldStop)
        // Interrupted: a loss over part of the validation data is no evaluation (nor a best);
        // the run loop saves latest/ and stops.
        if shouldStop() { return }
        let seconds = trainer.progress.trainingSeconds + Date().timeIntervalSince(start)
        let record = EvaluationRecord(step: trainer.progress.step, epoch: trainer.epochFloat,
                                      trainLoss: stepsSinceEval > 0 ? lossSinceEval / Double(stepsSinceEval) : .nan,
                                      validation: report, seconds: seconds,
                                      learningRate: trainer.learningRate(elapsed: Date().timeIntervalSince(start)))
        lossSinceEval = 0
        stepsSinceEval = 0
        trainer.progress.history.append(record)
        var isBest = false
        if let v = report?.lossNats, v.isFinite, v < (trainer.progress.bestValidationLoss ?? .infinity) {
            trainer.progress.bestValidationLoss = v
            isBest = true
        }
        var line: [String: Any] = ["type": "eval", "step": record.step, "epoch": record.epoch, "seconds": seconds,
                                   "lr": Double(record.learningRate)]
        if record.trainLoss.isFinite { line["train_loss"] = record.trainLoss }
        if let report { line["val_loss"] = report.lossNats; line["val_bpc"] = report.bpc; line["val_ppl"] = report.perplexity }
        try writeMetrics(line)
        try save(start: start, best: isBest)
        writePlot()
        onEvent(.evaluation(record, isBest: isBest))
    }

    /// Writes `latest/` (and `best/`), never with non-finite weights.
    func save(start: Date, best: Bool) throws {
        if let problem = trainer.unsaveableWeights() {
            trainer.restoreSnapshot()
            throw TrainingError.diverged(problem + "; no checkpoint was written (the last good one is kept). "
                                         + "Try a lower --lr or --clip")
        }
        var progress = trainer.progress
        progress.trainingSeconds += Date().timeIntervalSince(start)
        let dir = outDirectory as NSString
        try Checkpoint.save(to: dir.appendingPathComponent("latest"), model: trainer.model, vocabulary: vocabulary,
                            training: trainer.settings, optimizer: trainer.optimizer, state: trainer.state, progress: progress)
        if best {
            try Checkpoint.save(to: dir.appendingPathComponent("best"), model: trainer.model, vocabulary: vocabulary,
                                training: trainer.settings, optimizer: nil, state: nil, progress: progress)
        }
        trainer.takeSnapshot()
    }

    /// The POSIX reason behind a Foundation file error ("File exists", "Not a directory").
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error {
            let u = underlying as NSError
            if u.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(u.code))) }
        }
        return ns.localizedDescription
    }

    /// Rewrites `loss.svg` (durably; a plot that cannot be written does not stop the run).
    func writePlot() {
        let svg = LossPlot.svg(history: trainer.progress.history, title: plotTitle)
        try? DurableFile.write(Array(svg.utf8), to: plotPath)
    }

    /// Appends one line to the metrics file; a write error (a full disk) ends the run with it.
    func writeMetrics(_ object: [String: Any]) throws {
        guard let metricsFile, let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return
        }
        do { try metricsFile.append(Array(data) + [0x0a]) } catch { throw Self.metricsError(error) }
    }

    static func metricsError(_ error: FileWriteError) -> TrainingError {
        .invalidSetting("cannot write the metrics file \(error.path): \(error.reason)")
    }
}

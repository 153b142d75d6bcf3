import Checkpointing
import Foundation
import Models
import NeuralCore
import Optimization

/// When training stops. `steps` and `epochs` count from the start of training (so a resumed run
/// with the same `steps` stops where the uninterrupted one would); `maxTime` is the budget of
/// this invocation, in seconds.
public struct TrainingBudget: Codable, Equatable, Sendable {
    public var steps: Int?
    public var epochs: Int?
    public var maxTime: Double?

    public init(steps: Int? = nil, epochs: Int? = nil, maxTime: Double? = nil) {
        self.steps = steps
        self.epochs = epochs
        self.maxTime = maxTime
    }
}

/// Hyper-parameters of a training run (everything but the model architecture).
public struct TrainingSettings: Codable, Equatable, Sendable {
    public var batch: Int = 50
    public var steps: Int = 50
    public var optimizer = OptimizerSettings()
    /// Global gradient-norm clip (0 = off). 5, as char-rnn and the peer.
    public var clip: Float = 5
    public var schedule: LRSchedule = .constant
    public var budget = TrainingBudget()
    public var validationFraction: Double = 0.1
    /// Evaluate (and write checkpoints) every this many steps.
    public var evalEvery: Int = 500
    public var seed: UInt64 = 1
    public var forgetBias: Float? = nil

    public init() {}

    enum CodingKeys: String, CodingKey {
        case batch, steps = "seq", optimizer, clip, schedule, budget, validationFraction = "val_fraction",
             evalEvery = "eval_every", seed, forgetBias = "forget_bias"
    }
}

/// The resumable part of a run's progress (saved as `trainer_state.json`).
public struct TrainerProgress: Codable, Equatable, Sendable {
    public var step: Int = 0
    public var batcher: StreamBatcher
    /// State of the dropout generator.
    public var dropoutRNG: UInt64
    public var bestValidationLoss: Double?
    /// Learning-rate multiplier lowered after non-finite losses.
    public var lrBackoff: Float = 1
    /// Seconds of training over all invocations.
    public var trainingSeconds: Double = 0
    /// Evaluations so far: step, train loss (mean since the last evaluation), validation loss, seconds.
    public var history: [EvaluationRecord] = []
    /// `corpusFingerprint` of the encoded corpus, so a resume on another text is refused
    /// (nil in checkpoints written before it existed).
    public var corpusFingerprint: String?

    enum CodingKeys: String, CodingKey {
        case step, batcher, dropoutRNG = "dropout_rng", bestValidationLoss = "best_val_loss",
             lrBackoff = "lr_backoff", trainingSeconds = "training_seconds", history,
             corpusFingerprint = "corpus_fnv1a64"
    }
}

/// One periodic evaluation.
public struct EvaluationRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var epoch: Double
    public var trainLoss: Double
    public var validation: LossReport?
    public var seconds: Double
    public var learningRate: Float

    enum CodingKeys: String, CodingKey {
        case step, epoch, trainLoss = "train_loss", validation = "val", seconds, learningRate = "lr"
    }
}

/// What a training step reports to the display.
public struct StepReport: Sendable {
    public var step: Int
    public var epoch: Double
    public var loss: Double
    public var learningRate: Float
    public var charsPerSecond: Double
    /// Fraction of the budget used, when one is known.
    public var progress: Double?
    public var elapsed: Double
}

/// Events a run emits besides steps.
public enum TrainingEvent: Sendable {
    case evaluation(EvaluationRecord, isBest: Bool)
    case nonFinite(step: Int, action: String)
    case stopped(reason: String)
}

/// The training loop: batches → forward → BPTT → clip → update, with periodic validation.
public final class Trainer: @unchecked Sendable {
    public let model: LanguageModel
    public let optimizer: Optimizer
    public let settings: TrainingSettings
    public var progress: TrainerProgress
    public let state: ModelState
    let train: any TokenSource
    let validation: any TokenSource
    let workspace: Workspace
    var inputs: [Int32], targets: [Int32]
    /// Last finite parameters and optimizer state, restored after repeated non-finite losses.
    var snapshot: [[Float]] = []

    /// - Throws: `TrainingError.invalidSetting` for settings that cannot size buffers,
    ///   `TrainingError.corpusTooSmall` when the training part cannot fill one batch,
    ///   `InsufficientMemory` when the buffers cannot fit in the free memory.
    public init(model: LanguageModel, settings: TrainingSettings, train: any TokenSource, validation: any TokenSource,
                optimizer: Optimizer? = nil, progress: TrainerProgress? = nil) throws {
        try settings.validate()
        self.model = model
        self.settings = settings
        self.train = train
        self.validation = validation
        let batcher = StreamBatcher(count: train.count, batch: settings.batch, steps: settings.steps)
        guard batcher.isUsable else {
            throw TrainingError.corpusTooSmall(tokens: train.count, batch: settings.batch, steps: settings.steps)
        }
        try MemoryEstimate.require(MemoryEstimate.training(config: model.config, batch: settings.batch,
                                                           steps: settings.steps, optimizer: settings.optimizer.kind),
                                   for: "training a \(model.config.layers)×\(model.config.hidden) "
                                       + "\(model.config.cell.rawValue) with --batch \(settings.batch) "
                                       + "--seq \(settings.steps)")
        self.optimizer = optimizer ?? Optimizer(settings: settings.optimizer, parameters: model.parameters)
        self.progress = progress ?? TrainerProgress(batcher: batcher,
                                                    dropoutRNG: SplitMix64.derived(seed: settings.seed, stream: 0xD20).state)
        state = ModelState(config: model.config, batch: settings.batch)
        workspace = Workspace(config: model.config, batch: settings.batch, steps: settings.steps)
        inputs = [Int32](repeating: 0, count: settings.batch * settings.steps)
        targets = inputs
        lossBound = Divergence.lossBound(vocabularySize: model.config.vocabularySize)
    }

    /// Fraction of the step or epoch budget used (nil when only time bounds the run).
    func budgetFraction(elapsed: Double) -> Double? {
        var f: Double? = nil
        if let s = settings.budget.steps { f = max(f ?? 0, Double(progress.step) / Double(max(s, 1))) }
        if let e = settings.budget.epochs {
            f = max(f ?? 0, epochFloat / Double(max(e, 1)))
        }
        if let t = settings.budget.maxTime { f = max(f ?? 0, elapsed / max(t, 1e-9)) }
        return f
    }

    /// Epochs done, with the fraction of the current one.
    public var epochFloat: Double {
        let b = progress.batcher
        return Double(b.epoch) + Double(b.position) / Double(max(b.streamLength, 1))
    }

    /// Passes over the training part completed: the current one counts once no window of it is left.
    public var completedEpochs: Int {
        let b = progress.batcher
        return b.epoch + (b.position + b.steps > b.streamLength ? 1 : 0)
    }

    func budgetReached(elapsed: Double) -> Bool {
        if let s = settings.budget.steps, progress.step >= s { return true }
        if let e = settings.budget.epochs, completedEpochs >= e { return true }
        if let t = settings.budget.maxTime, elapsed >= t { return true }
        return false
    }

    /// The learning rate of the next update.
    public func learningRate(elapsed: Double) -> Float {
        settings.optimizer.learningRate * progress.lrBackoff
            * settings.schedule.factor(step: progress.step, progress: budgetFraction(elapsed: elapsed) ?? 0)
    }

    /// One training step on the next window. Returns the mean loss, or nil when the step diverged
    /// (the update is skipped and the event reported). After `Divergence.maximumRollbacks` the
    /// steps do nothing and `divergence` holds the reason; `trainingStep` throws it.
    public func step(elapsed: Double, onEvent: (TrainingEvent) -> Void) -> Double? {
        (try? trainingStep(elapsed: elapsed, onEvent: onEvent)) ?? nil
    }

    /// One training step; throws `TrainingError.diverged` when roll-backs no longer help.
    ///
    /// A step diverges when its loss is not finite or above `lossBound`, or when the gradient
    /// norm is not finite. Weights thrown far off (an absurd learning rate) give either NaN or a
    /// huge finite loss depending on how the BLAS kernels order their sums; the bound makes both
    /// outcomes the same event, so the policy does not depend on the kernels.
    public func trainingStep(elapsed: Double, onEvent: (TrainingEvent) -> Void) throws -> Double? {
        if let divergence { throw divergence }
        if progress.batcher.next(from: train, inputs: &inputs, targets: &targets) { state.reset() }
        model.zeroGradients()
        var rng = SplitMix64(seed: progress.dropoutRNG)
        let sum = withUnsafeMutablePointer(to: &rng) { r in
            model.forward(inputs: inputs, targets: targets, state: state, workspace: workspace,
                          dropout: .sample(r), keepGradient: true)
        }
        progress.dropoutRNG = rng.state
        let loss = sum / Double(max(workspace.scored, 1))
        let sane = loss.isFinite && loss <= lossBound
        if sane { model.backward(workspace: workspace) }
        let norm = sane ? clipGradientNorm(model.parameters, maxNorm: settings.clip) : .nan
        guard sane && norm.isFinite else {
            try handleDivergence(loss: loss, onEvent: onEvent)
            return nil
        }
        consecutiveFailures = 0
        goodStepsSinceRestore += 1
        optimizer.update(learningRate: learningRate(elapsed: elapsed))
        progress.step += progress.step < Int.max ? 1 : 0
        return loss
    }

    /// Loss above which a step counts as diverged (nats per unit; see `Divergence.lossBound`).
    public let lossBound: Double
    /// Set once roll-backs stopped helping; every later step throws it.
    public private(set) var divergence: TrainingError?
    var consecutiveFailures = 0
    /// Since the last snapshot: roll-backs, and diverged steps reported (the rest are counted).
    var rollbacksSinceSnapshot = 0, reportedSinceSnapshot = 0, unreportedFailures = 0
    /// Good steps since the last restore or snapshot: none means the snapshot itself diverges.
    var goodStepsSinceRestore = 0
    /// The step at which the snapshot was taken.
    var snapshotStep = 0
    /// Whether the previous roll-back was followed by no good step.
    var previousRollbackFruitless = false

    func handleDivergence(loss: Double, onEvent: (TrainingEvent) -> Void) throws {
        consecutiveFailures += 1
        state.reset()
        progress.lrBackoff *= 0.5
        let absurd = loss.isFinite && loss > lossBound
        let what = absurd ? "loss of \(String(format: "%.3g", loss)) nats (above the bound of \(Int(lossBound)))"
                          : "non-finite loss or gradient"
        // The event's text follows the executable's "non-finite loss or gradient at step N: ".
        let cause = absurd ? "the \(what) counts as divergence: " : ""
        let rollback = consecutiveFailures >= Divergence.failuresBeforeRollback
        guard rollback && !snapshot.isEmpty else {
            // Without a snapshot (a bare trainer) the failures are still bounded.
            let limit = Divergence.failuresBeforeRollback * (Divergence.maximumRollbacks + 1)
            if rollback && consecutiveFailures >= limit {
                try giveUp(what: what, fruitless: goodStepsSinceRestore == 0)
            }
            report(step: progress.step, "\(cause)skipped the update, learning rate × \(progress.lrBackoff)", onEvent)
            return
        }
        rollbacksSinceSnapshot += 1
        let fruitless = goodStepsSinceRestore == 0
        // Two roll-backs in a row with no good step between: the snapshot itself diverges, and a
        // lower learning rate cannot help (the first loss after a restore does not depend on it).
        if rollbacksSinceSnapshot > Divergence.maximumRollbacks || (fruitless && previousRollbackFruitless) {
            restoreSnapshot()
            try giveUp(what: what, fruitless: fruitless)
        }
        previousRollbackFruitless = fruitless
        restoreSnapshot()
        consecutiveFailures = 0
        var action = "\(cause)rolled back to the last good state, learning rate × \(progress.lrBackoff)"
        if unreportedFailures > 0 { action += " (\(unreportedFailures) more skipped updates not shown)" }
        unreportedFailures = 0
        onEvent(.nonFinite(step: progress.step, action: action))
    }

    /// Reports a skipped update, at most `Divergence.reportedPerSnapshot` times between snapshots.
    func report(step: Int, _ action: String, _ onEvent: (TrainingEvent) -> Void) {
        reportedSinceSnapshot += 1
        if reportedSinceSnapshot <= Divergence.reportedPerSnapshot {
            onEvent(.nonFinite(step: step, action: action))
        } else {
            unreportedFailures += 1
        }
    }

    func giveUp(what: String, fruitless: Bool) throws -> Never {
        let reason: String
        if fruitless {
            reason = "training cannot start from the last good state (step \(snapshotStep)): "
                + "its weights give a \(what) on every window, whatever the learning rate. "
                + "Check --forget-bias, or the checkpoint's weights"
        } else {
            reason = "training diverged: \(what) again after \(rollbacksSinceSnapshot) roll-backs "
                + "to the last good state (step \(snapshotStep)), the learning rate now × \(progress.lrBackoff). "
                + "Try a lower --lr or --clip"
        }
        let error = TrainingError.diverged(reason)
        divergence = error
        throw error
    }

    /// Whether every parameter is finite. Accumulated in Double: a Float sum of squares would
    /// overflow at |w| > 1.8e19 and call large finite weights infinite.
    public var parametersAreFinite: Bool {
        model.parameters.allSatisfy { p in
            let x = p.value.pointer
            var s = 0.0
            for i in 0..<p.count { s += Double(x[i]) * Double(x[i]) }
            return s.isFinite
        }
    }

    /// The mean loss of the current weights on the last training window, without dropout,
    /// leaving the streams' state, the gradients and the random generators as they were.
    public func probeLoss() -> Double {
        let saved = ModelState(config: model.config, batch: settings.batch)
        saved.copy(from: state)
        let sum = model.forward(inputs: inputs, targets: targets, state: state, workspace: workspace, dropout: .off)
        state.copy(from: saved)
        return sum / Double(max(workspace.scored, 1))
    }

    /// Why the current weights must not be saved (NaN, infinite, or an absurd loss), or nil.
    public func unsaveableWeights() -> String? {
        guard parametersAreFinite else { return "the weights became NaN or infinite" }
        let loss = probeLoss()
        guard loss.isFinite && loss <= lossBound else {
            return "the weights became NaN or infinite, or absurd (they give a loss of \(String(format: "%.3g", loss)) "
                + "nats on the last window, above the bound of \(String(format: "%.0f", lossBound)))"
        }
        return nil
    }

    /// Remembers the current parameters and optimizer state as the last good state.
    public func takeSnapshot() {
        snapshotStep = progress.step
        rollbacksSinceSnapshot = 0
        reportedSinceSnapshot = 0
        goodStepsSinceRestore = 0
        previousRollbackFruitless = false
        snapshot = model.parameters.map { $0.value.array } + optimizer.stateTensors.map { $0.buffer.array }
    }

    func restoreSnapshot() {
        goodStepsSinceRestore = 0
        let bufs = model.parameters.map(\.value) + optimizer.stateTensors.map(\.buffer)
        for (b, values) in zip(bufs, snapshot) { values.withUnsafeBufferPointer { b.pointer.update(from: $0.baseAddress!, count: b.count) } }
    }

    /// Validation loss with the data protocol's B streams.
    public func validate(shouldStop: () -> Bool = { false }) -> LossReport? {
        guard validation.count > 1 else { return nil }
        return evaluate(model: model, data: validation, batch: min(settings.batch, max(1, (validation.count - 1) / 2)),
                        steps: settings.steps, shouldStop: shouldStop)
    }
}

import Checkpointing
import Communication
import Evaluation
import FileIO
import Foundation
import Models
import NeuralCore
import Optimization

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
    /// The job this trainer is one rank of (`SingleProcess` unless launched by mpirun): its data-parallel
    /// steps are those of one process with the whole batch (docs/distributed.md, Trainer+Ranks.swift).
    public let communicator: any Communicator
    /// The streams of the global batch this rank owns, `communicator.share(of: batch)`; the hidden state,
    /// the workspace and the window buffers hold these streams only.
    public let streams: Range<Int>
    /// All parameter gradients in one buffer, for the one allreduce of a step (empty on one process).
    var fusedGradients: [Float] = []
    /// Seconds spent in the gradient allreduce (waiting for the slowest rank included), and how many.
    public internal(set) var allReduceSeconds = 0.0, allReduceCount = 0
    /// Last finite parameters and optimizer state, restored after repeated non-finite losses.
    let snapshot = RollbackSnapshot()

    /// - Throws: `TrainingError.invalidSetting` for settings that cannot size buffers,
    ///   `TrainingError.corpusTooSmall` when the training part cannot fill one batch,
    ///   `InsufficientMemory` when the buffers cannot fit in the free memory.
    ///   With several ranks, `TrainingError.invalidSetting` when the batch has fewer streams than ranks.
    public init(
        model: LanguageModel, settings: TrainingSettings, train: any TokenSource, validation: any TokenSource,
        optimizer: Optimizer? = nil, progress: TrainerProgress? = nil,
        communicator: any Communicator = SingleProcess()
    ) throws {
        try settings.validate()
        try Self.requireStreams(batch: settings.batch, ranks: communicator.size)
        self.communicator = communicator
        streams = communicator.share(of: settings.batch)
        self.model = model
        self.settings = settings
        self.train = train
        self.validation = validation
        let batcher = StreamBatcher(count: train.count, batch: settings.batch, steps: settings.steps)
        guard batcher.isUsable else {
            throw TrainingError.corpusTooSmall(tokens: train.count, batch: settings.batch, steps: settings.steps)
        }
        try Self.requireMemory(config: model.config, settings: settings)
        self.optimizer = optimizer ?? Optimizer(settings: settings.optimizer, parameters: model.parameters)
        self.progress =
            progress
            ?? TrainerProgress(
                batcher: batcher,
                dropoutRNG: SplitMix64.derived(seed: settings.seed, stream: 0xD20).state)
        state = ModelState(config: model.config, batch: streams.count)
        workspace = Workspace(config: model.config, batch: streams.count, steps: settings.steps)
        inputs = [Int32](repeating: 0, count: streams.count * settings.steps)
        targets = inputs
        lossBound = Divergence.lossBound(vocabularySize: model.config.vocabularySize)
        if communicator.size > 1 {
            fusedGradients = [Float](repeating: 0, count: model.parameters.reduce(0) { $0 + $1.count })
        }
    }

    /// Builds the model of `config` (seeded with `settings.seed`, `settings.forgetBias`) and its
    /// trainer, after checking that training it fits in memory: the check comes before the
    /// weights are allocated, so a model too large is refused, not half-allocated.
    public convenience init(
        config: ModelConfig, settings: TrainingSettings, train: any TokenSource,
        validation: any TokenSource, communicator: any Communicator = SingleProcess()
    ) throws {
        try settings.validate()
        try config.validate()
        try Self.requireMemory(config: config, settings: settings)
        let model = try LanguageModel(config: config, seed: settings.seed, forgetBias: settings.forgetBias)
        try self.init(
            model: model, settings: settings, train: train, validation: validation,
            communicator: communicator)
    }

    /// Throws `InsufficientMemory` when training `config` with these windows needs
    /// more than the free memory (weights, moments, snapshot, workspaces, logits).
    ///
    /// Under an address-space or data limit it also counts what each thread of the team maps
    /// (`threadMappingBytes`): OpenBLAS's buffer above all, which a thread refused it retries
    /// for ever instead of failing.
    public static func requireMemory(config: ModelConfig, settings: TrainingSettings) throws {
        let threads = Parallelism.count
        let limited = MemoryBudget.limitsMappings
        // This thread's own buffer, mapped now, is then in the budget's "in use"; where it may
        // not fit, mapping it would hang, so it is counted instead.
        var blas = 0
        if limited {
            if MemoryEstimate.available() >= blasBufferBytes + (16 << 20) {
                BLASCore.mapThisThreadsBuffer()
            } else {
                blas += blasBufferBytes
            }
            blas += (threads - 1) * threadMappingBytes
        }
        try MemoryEstimate.require(
            MemoryEstimate.sum([
                MemoryEstimate.training(
                    config: config, batch: settings.batch, steps: settings.steps,
                    optimizer: settings.optimizer.kind),
                blas,
            ]),
            for: "training a \(config.layers)×\(config.hidden) \(config.cell.rawValue) "
                + "(vocabulary \(config.vocabularySize))"
                + (blas == 0
                    ? ""
                    : threads > 1
                        ? " on \(threads) threads (under ulimit -v or -d each thread past the first maps "
                            + "\(MemoryEstimate.format(threadMappingBytes)) for OpenBLAS and malloc; --threads 1 needs "
                            + "none)"
                        : " (with OpenBLAS's \(MemoryEstimate.format(blasBufferBytes)) buffer, under ulimit -v or -d)"),
            windows: InsufficientMemory.Windows(batch: settings.batch, steps: settings.steps))
    }

    /// What a thread that calls OpenBLAS maps: OpenBLAS's buffer (128 MiB, BUFFER_SIZE on x86-64
    /// and arm64), glibc's malloc arena for the thread (64 MiB reserved) and its stack.
    public static let threadMappingBytes = 200 << 20
    /// OpenBLAS's buffer alone (BUFFER_SIZE).
    public static let blasBufferBytes = 128 << 20

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
        if progress.batcher.next(from: train, inputs: &inputs, targets: &targets, streams: streams) { state.reset() }
        resetStaggeredStreams()
        model.zeroGradients()
        var rng = SplitMix64(seed: progress.dropoutRNG)
        let ranks = communicator.size
        let sum = withUnsafeMutablePointer(to: &rng) { r in
            // One process draws the masks inside `forward`; a rank draws the whole batch's with the same
            // generator and keeps its streams' rows, so the masks are those one process would use.
            if ranks > 1 { drawDropoutMasks(r) }
            return model.forward(
                inputs: inputs, targets: targets, state: state, workspace: workspace,
                dropout: ranks > 1 ? .reuse : .sample(r), keepGradient: true)
        }
        progress.dropoutRNG = rng.state
        // The whole batch's loss: one small allreduce of [sum, scored] (every rank then decides alike).
        let (total, scored) = ranks > 1 ? try sumOverRanks(sum, workspace.scored) : (sum, workspace.scored)
        let loss = total / Double(max(scored, 1))
        let sane = loss.isFinite && loss <= lossBound
        if sane {
            model.backward(workspace: workspace)
            if ranks > 1 { try reduceGradients(localScored: workspace.scored, globalScored: scored) }
        }
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
    public internal(set) var divergence: TrainingError?
    var consecutiveFailures = 0
    /// Since the last snapshot: roll-backs, and diverged steps reported (the rest are counted).
    var rollbacksSinceSnapshot = 0, reportedSinceSnapshot = 0, unreportedFailures = 0
    /// Good steps since the last restore or snapshot: none means the snapshot itself diverges.
    var goodStepsSinceRestore = 0
    /// The step at which the snapshot was taken.
    var snapshotStep = 0
    /// Whether the previous roll-back was followed by no good step.
    var previousRollbackFruitless = false

    /// `settings.resetEvery`: zeroes the state of this rank's streams whose turn it is before the
    /// window just read (`StreamBatcher.streamsDue`).
    func resetStaggeredStreams() {
        guard let n = settings.resetEvery, n > 0 else { return }
        for stream in progress.batcher.streamsDue(every: n, among: streams) {
            state.reset(stream: stream - streams.lowerBound)
        }
    }

    /// Validation loss with the data protocol's B streams.
    public func validate(shouldStop: () -> Bool = { false }) -> LossReport? {
        guard validation.count > 1 else { return nil }
        let batch = min(settings.batch, max(1, (validation.count - 1) / 2))
        if communicator.size > 1 { return validateOverRanks(batch: batch) }
        return evaluate(
            model: model, data: validation, batch: batch, steps: settings.steps, workspace: workspace,
            shouldStop: shouldStop)
    }
}

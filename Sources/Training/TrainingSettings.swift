import Models
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
    /// Every this many windows each stream starts again from the zero state, the streams staggered
    /// (stream b before window w when (w + b) mod N = 0), so that the model also learns to predict
    /// from an empty context: what nanoGPT's protocol (`eval --window`) scores. nil or 0: never,
    /// the state runs on through the epoch.
    public var resetEvery: Int? = nil

    public init() {}

    enum CodingKeys: String, CodingKey {
        case batch, steps = "seq", optimizer, clip, schedule, budget, validationFraction = "val_fraction",
            evalEvery = "eval_every", seed, forgetBias = "forget_bias",
            resetEvery = "reset_every"
    }
}

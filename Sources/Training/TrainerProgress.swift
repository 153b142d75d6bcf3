import Evaluation
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

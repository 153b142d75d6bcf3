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

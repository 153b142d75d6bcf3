import Training

/// Settings for a tiny run: B 4, S 16, Adam, constant schedule, a step budget (TrainingTests and
/// ComparisonTests train with them).
public func tinySettings(steps: Int, evalEvery: Int = 1000, seed: UInt64 = 1) -> TrainingSettings {
    var s = TrainingSettings()
    s.batch = 4
    s.steps = 16
    s.schedule = .constant
    s.budget = TrainingBudget(steps: steps)
    s.evalEvery = evalEvery
    s.seed = seed
    return s
}

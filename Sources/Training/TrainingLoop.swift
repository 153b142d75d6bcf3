import Evaluation
import Foundation

/// When a training loop validates.
public enum EvaluationSchedule: Equatable, Sendable {
    /// Never while training (bench, or callers that validate afterwards).
    case never
    /// After every `n`th step, counted from the start of training (train's --eval-every).
    case everySteps(Int)
    /// `count` evaluations spread over the budget: every steps/count steps under a step budget,
    /// else every maxTime/count seconds under a time budget (compare's --evaluations). An epoch
    /// budget alone gives only the evaluation at the end.
    case spread(Int)
}

/// A successful step, as the loop's progress callback sees it.
public struct LoopStep: Sendable {
    public var step: Int
    public var loss: Double
    /// The learning rate the update used.
    public var learningRate: Float
    /// Seconds since the loop started, evaluations included.
    public var elapsed: Double
    /// Seconds spent in training steps (evaluations excluded).
    public var trainSeconds: Double
}

/// One evaluation of the loop.
public struct LoopEvaluation: Sendable {
    public var step: Int
    /// Mean training loss of the steps since the previous evaluation (NaN when there were none).
    public var trainLoss: Double
    public var validation: LossReport?
    public var elapsed: Double
    public var trainSeconds: Double
    /// The evaluation after the budget was spent.
    public var isFinal: Bool
}

/// The one training loop of train, compare and bench: steps until the budget is spent or
/// `shouldStop` says so, keeping the loss bookkeeping and validating on a schedule. What differs
/// between the callers is a parameter: the schedule, what happens at an evaluation (a metrics line
/// and a checkpoint, a curve point, nothing), the progress display, and which clock the time
/// budget reads.
///
/// Divergence is handled alike for every caller: roll-backs return to the last evaluated good
/// state (or the start), and a divergence the trainer cannot recover from is thrown
/// (`TrainingError.diverged`): no caller keeps stepping a trainer that gave up.
public final class TrainingLoop {
    public enum Outcome: Equatable, Sendable { case finished, interrupted }

    public let trainer: Trainer
    public let schedule: EvaluationSchedule
    /// Whether the time budget (and the learning-rate schedule's progress) counts the seconds spent
    /// validating: a session's wall time does; compare gives every cell the same training time
    /// whatever its validation costs.
    public let timeIncludesEvaluations: Bool
    /// Validate once more when the budget is spent, unless the last step was just evaluated.
    public let evaluateAtEnd: Bool
    /// Seconds on a monotonic clock; tests pass a fake one.
    let clock: () -> Double

    /// Losses of successful steps since the last evaluation.
    public private(set) var lossSinceEvaluation = 0.0, stepsSinceEvaluation = 0
    /// Losses of the last `recentWindow` successful steps (compare's final training loss).
    public private(set) var recentLosses: [Double] = []
    public static let recentWindow = 50
    /// Seconds spent in training steps by this loop.
    public private(set) var trainSeconds = 0.0
    var startTime = 0.0
    var nextEvaluationTime = Double.infinity

    public init(
        trainer: Trainer, schedule: EvaluationSchedule, timeIncludesEvaluations: Bool = true,
        evaluateAtEnd: Bool = true, clock: (() -> Double)? = nil
    ) {
        self.trainer = trainer
        self.schedule = schedule
        self.timeIncludesEvaluations = timeIncludesEvaluations
        self.evaluateAtEnd = evaluateAtEnd
        self.clock = clock ?? { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    }

    /// Seconds since `run` started, evaluations included.
    public var elapsed: Double { clock() - startTime }

    /// The seconds the budget and the learning-rate schedule read.
    var budgetSeconds: Double { timeIncludesEvaluations ? elapsed : trainSeconds }

    /// Mean of `recentLosses` (NaN before any successful step).
    public var recentMeanLoss: Double {
        recentLosses.isEmpty ? .nan : recentLosses.reduce(0, +) / Double(recentLosses.count)
    }

    /// Steps between evaluations, or nil when the schedule does not count steps.
    var stepInterval: Int? {
        switch schedule {
        case .never: return nil
        case .everySteps(let n): return max(1, n)
        case .spread(let k): return trainer.settings.budget.steps.map { max(1, $0 / max(1, k)) }
        }
    }

    /// Seconds between evaluations under `.spread` with a time budget and no step budget.
    var timeInterval: Double? {
        guard case .spread(let k) = schedule, trainer.settings.budget.steps == nil else { return nil }
        return trainer.settings.budget.maxTime.map { $0 / Double(max(1, k)) }
    }

    /// Trains until the budget is spent (`.finished`, after the final evaluation when
    /// `evaluateAtEnd`) or `shouldStop` returns true (`.interrupted`; an evaluation cut short is
    /// dropped, not reported).
    ///
    /// With several ranks (`trainer.communicator`), every decision that ends or shapes a step (the
    /// time read by the budget and the learning-rate schedule, a stop request) is taken together: one
    /// small allreduce at the top of each step, so no rank waits in a collective the others left.
    ///
    /// - Throws: `TrainingError.diverged`, `CommunicationError`, and whatever the callbacks throw.
    public func run(
        onStep: (LoopStep) throws -> Void = { _ in },
        onEvent: (TrainingEvent) -> Void = { _ in },
        onEvaluation: (LoopEvaluation) throws -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) throws -> Outcome {
        let ranks = trainer.communicator.size
        if ranks > 1 {
            // Every rank starts from rank 0's weights and optimizer state (bitwise), the last good state too.
            try trainer.synchronizeStart()
            trainer.takeSnapshot()
        }
        // Roll-backs need a last good state: a caller that keeps none (a session keeps its last
        // checkpoint's) gets the weights it starts from.
        if trainer.snapshot.isEmpty { trainer.takeSnapshot() }
        // One process asks its own clock and flag; ranks agree on the slowest clock and any rank's stop.
        func agreedStop() throws -> Bool {
            ranks > 1 ? try trainer.communicator.anyRank(shouldStop()) : shouldStop()
        }
        startTime = clock()
        nextEvaluationTime = timeInterval ?? .infinity
        while true {
            let seconds: Double
            if ranks > 1 {
                var agreed = [budgetSeconds, shouldStop() ? 1 : 0]
                try trainer.communicator.allReduce(&agreed, .max)
                seconds = agreed[0]
                if trainer.budgetReached(elapsed: seconds) { break }
                if agreed[1] > 0 { return .interrupted }
            } else {
                if trainer.budgetReached(elapsed: budgetSeconds) { break }
                if shouldStop() { return .interrupted }
                seconds = budgetSeconds
            }
            let learningRate = trainer.learningRate(elapsed: seconds)
            let t0 = clock()
            let loss = try trainer.trainingStep(elapsed: seconds, onEvent: onEvent)
            trainSeconds += clock() - t0
            // A skipped update (nil) is no step: nothing to count or evaluate.
            guard let loss else { continue }
            record(loss)
            let step = trainer.progress.step
            try onStep(
                LoopStep(
                    step: step, loss: loss, learningRate: learningRate, elapsed: elapsed,
                    trainSeconds: trainSeconds))
            if let n = stepInterval, step % n == 0 {
                try evaluate(isFinal: false, onEvaluation: onEvaluation, shouldStop: agreedStop)
            } else if timeInterval != nil, try agreedSeconds() >= nextEvaluationTime {
                try evaluate(isFinal: false, onEvaluation: onEvaluation, shouldStop: agreedStop)
                nextEvaluationTime += timeInterval ?? .infinity
            }
        }
        if evaluateAtEnd && schedule != .never && stepsSinceEvaluation > 0 {
            // The result of the run: not cut short by a late stop request.
            try evaluate(isFinal: true, onEvaluation: onEvaluation, shouldStop: { false })
        }
        return .finished
    }

    /// `budgetSeconds`, the slowest rank's when there are several.
    func agreedSeconds() throws -> Double {
        trainer.communicator.size > 1 ? try trainer.communicator.allReduce(budgetSeconds, .max) : budgetSeconds
    }

    func record(_ loss: Double) {
        lossSinceEvaluation += loss
        stepsSinceEvaluation += 1
        recentLosses.append(loss)
        if recentLosses.count > Self.recentWindow { recentLosses.removeFirst() }
    }

    func evaluate(
        isFinal: Bool, onEvaluation: (LoopEvaluation) throws -> Void,
        shouldStop: () throws -> Bool
    ) throws {
        // (Ranks validate to the end: `validateOverRanks`; the stop request is then shared below.)
        let report = trainer.validate(shouldStop: { (try? shouldStop()) ?? false })
        // Stopped half-way: a loss over part of the validation data is no evaluation.
        if try shouldStop() { return }
        let trainLoss = stepsSinceEvaluation > 0 ? lossSinceEvaluation / Double(stepsSinceEvaluation) : .nan
        lossSinceEvaluation = 0
        stepsSinceEvaluation = 0
        try onEvaluation(
            LoopEvaluation(
                step: trainer.progress.step, trainLoss: trainLoss, validation: report,
                elapsed: elapsed, trainSeconds: trainSeconds, isFinal: isFinal))
        // Weights that just evaluated sanely are the new last good state: roll-backs return here,
        // not to the start (a session's checkpoint has taken the same snapshot already).
        if trainer.unsaveableWeights() == nil { trainer.takeSnapshot() }
    }
}

import Evaluation
import Foundation
import Models
import Training

/// What a comparison will take, measured before the first run: each cell's training budget (its
/// `--max-time`, or its steps at the speed of a few measured steps) and its evaluations (the whole
/// validation part, `evaluations` times, at the speed of a measured slice). The budget counts
/// training only, so that every cell gets the same training whatever its evaluations cost; this is
/// what the evaluations add to the wall-clock time.
public struct ComparisonEstimate: Sendable, Equatable {
    /// One run of a cell.
    public struct Run: Sendable, Equatable {
        public var cell: CellKind
        public var trainSeconds: Double
        /// Seconds of one evaluation over the whole validation part.
        public var evaluationSeconds: Double
        public var evaluations: Int
        public var seconds: Double { trainSeconds + Double(evaluations) * evaluationSeconds }
    }

    /// One entry per cell, in the plan's order.
    public var cells: [Run]
    /// Runs of each cell (fractions × seeds).
    public var runsPerCell: Int

    /// The whole comparison in one process.
    public var totalSeconds: Double { cells.reduce(0) { $0 + $1.seconds } * Double(runsPerCell) }
    /// Of which evaluations.
    public var evaluationSeconds: Double {
        cells.reduce(0) { $0 + Double($1.evaluations) * $1.evaluationSeconds } * Double(runsPerCell)
    }
}

extension ComparisonPlan {
    /// Measures each cell briefly (a few training steps on a throwaway model, one evaluation of a slice
    /// of the validation part) and estimates every run. Takes about a second per cell for small models.
    ///
    /// - Throws: `TrainingError` from the throwaway trainer (as the run itself would).
    public func estimate(measuredSteps: Int = 3) throws -> ComparisonEstimate {
        let settings = spec.settings
        let train = TokenSlice(ids, 0..<trainCount)
        let cells = try configs.map { config -> ComparisonEstimate.Run in
            var s = settings
            s.budget = TrainingBudget(steps: measuredSteps + 1)
            let trainer: Trainer
            do {
                trainer = try Trainer(config: config, settings: s, train: train, validation: validation)
            } catch TrainingError.corpusTooSmall(let n, let b, let steps, nil) {
                throw TrainingError.corpusTooSmall(tokens: n, batch: b, steps: steps, path: corpus)
            }
            _ = try trainer.trainingStep(elapsed: 0, onEvent: { _ in })  // warm-up: first-touch of the buffers
            let start = Date()
            for _ in 0..<measuredSteps { _ = try trainer.trainingStep(elapsed: 0, onEvent: { _ in }) }
            let perStep = Date().timeIntervalSince(start) / Double(measuredSteps)
            var trainSeconds = settings.budget.steps.map { Double($0) * perStep } ?? .infinity
            if let t = settings.budget.maxTime { trainSeconds = min(trainSeconds, t) }
            if !trainSeconds.isFinite { trainSeconds = 0 }
            // A slice of the validation part with the trainer's batch, scaled to the whole part.
            let batch = min(settings.batch, max(1, (validation.count - 1) / 2))
            let sliceCount = min(validation.count, batch * settings.steps * 4 + 1)
            let slice = TokenSlice(validation, 0..<sliceCount)
            let evalStart = Date()
            let scored = evaluate(model: trainer.model, data: slice, batch: batch, steps: settings.steps).chars
            let perChar = Date().timeIntervalSince(evalStart) / Double(max(scored, 1))
            return ComparisonEstimate.Run(
                cell: config.cell, trainSeconds: trainSeconds,
                evaluationSeconds: perChar * Double(validation.count - 1), evaluations: spec.evaluations)
        }
        return ComparisonEstimate(cells: cells, runsPerCell: fractions.count * spec.seeds.count)
    }
}

import Foundation
import Models
import NeuralCore

/// Divergence: a step whose loss or gradient is not finite (or absurd) is skipped with the
/// learning rate halved; repeated failures roll back to the last good state; when roll-backs stop
/// helping, `giveUp` records the error every later step throws. Also the checks that keep
/// non-finite weights out of checkpoints.
extension Trainer {
    func handleDivergence(loss: Double, onEvent: (TrainingEvent) -> Void) throws {
        consecutiveFailures += 1
        state.reset()
        progress.lrBackoff *= 0.5
        let absurd = loss.isFinite && loss > lossBound
        let what =
            absurd
            ? "loss of \(String(format: "%.3g", loss)) nats (above the bound of \(Int(lossBound)))"
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
            try restoreSnapshot()
            try giveUp(what: what, fruitless: fruitless)
        }
        previousRollbackFruitless = fruitless
        try restoreSnapshot()
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
        let error: TrainingError
        if fruitless {
            error = .diverged(
                "training cannot start from the last good state (step \(snapshotStep)): "
                    + "its weights give a \(what) on every window, whatever the learning rate",
                remedy: .otherStartingWeights)
        } else {
            error = .diverged(
                "training diverged: \(what) again after \(rollbacksSinceSnapshot) roll-backs "
                    + "to the last good state (step \(snapshotStep)), the learning rate now × "
                    + "\(progress.lrBackoff)", remedy: .smallerSteps)
        }
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
    /// With several ranks, the whole batch's (a collective: every rank calls it at the same point).
    public func probeLoss() -> Double {
        let saved = ModelState(config: model.config, batch: state.batch)
        saved.copy(from: state)
        let sum = model.forward(inputs: inputs, targets: targets, state: state, workspace: workspace, dropout: .off)
        state.copy(from: saved)
        guard communicator.size > 1 else { return sum / Double(max(workspace.scored, 1)) }
        // A failed exchange (the job is breaking down) counts as weights that must not be saved.
        guard let (total, scored) = try? sumOverRanks(sum, workspace.scored) else { return .nan }
        return total / Double(max(scored, 1))
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

    /// Remembers the current parameters and optimizer state as the last good state
    /// (`RollbackSnapshot`: in a temporary file where one can be made, else in memory).
    public func takeSnapshot() {
        snapshotStep = progress.step
        rollbacksSinceSnapshot = 0
        reportedSinceSnapshot = 0
        goodStepsSinceRestore = 0
        previousRollbackFruitless = false
        snapshot.take(snapshotBuffers)
    }

    /// The parameters, then the optimizer's state tensors: what a snapshot holds.
    var snapshotBuffers: [FloatBuffer] { model.parameters.map(\.value) + optimizer.stateTensors.map(\.buffer) }

    /// Returns to the last good state.
    /// - Throws: `TrainingError.diverged` when the snapshot cannot be read back (a disk error).
    func restoreSnapshot() throws {
        goodStepsSinceRestore = 0
        do {
            try snapshot.restore(into: snapshotBuffers)
        } catch {
            let e = TrainingError.diverged(
                "training needed its last good state (step \(snapshotStep)), which cannot be read back: "
                    + "reading the roll-back snapshot back: " + error.reason + " in " + error.folder,
                remedy: .smallerSteps)
            divergence = e
            throw e
        }
    }
}

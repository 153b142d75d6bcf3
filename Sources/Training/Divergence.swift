import Foundation

/// The trainer's divergence policy, the same under every BLAS kernel family.
///
/// A step diverges when its mean loss is NaN, infinite or above `lossBound`, or its gradient norm
/// is not finite: the update is skipped and the learning rate halves. After
/// `failuresBeforeRollback` such steps in a row the weights and optimizer state go back to the
/// last good snapshot (taken at every checkpoint). After `maximumRollbacks` roll-backs without a
/// new snapshot — or two in a row with no good step between, when the snapshot itself diverges —
/// training stops with `TrainingError.diverged`.
public enum Divergence {
    /// Consecutive diverged steps that trigger a roll-back.
    public static let failuresBeforeRollback = 3
    /// Roll-backs to one snapshot before giving up (the learning rate is then × 2^-15 or less).
    public static let maximumRollbacks = 5
    /// Skipped updates reported between two snapshots; the rest are counted in the next roll-back's
    /// message, so a run never floods its output.
    public static let reportedPerSnapshot = 10

    /// The largest mean loss (nats per unit) a sane step can have: max(50, 10·ln V).
    ///
    /// An untrained model's loss is about ln V (4.2 nats for 65 characters), and a model that has
    /// learned anything is below it; a mean of 50 nats puts the target at probability e^-50 on
    /// average, which only weights thrown far off produce. Such weights give a finite loss of
    /// ~1e30 under some GEMM kernels and NaN under others (inf − inf depends on the order of the
    /// sums); above this bound both count as divergence.
    public static func lossBound(vocabularySize: Int) -> Double {
        max(50, 10 * log(Double(max(vocabularySize, 2))))
    }
}

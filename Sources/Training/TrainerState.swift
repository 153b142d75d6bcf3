import Foundation

// trainer_state.json is read back by every command that loads a checkpoint. Its numbers index the
// corpus, size products and count steps: each is checked while decoding or right after, so a
// damaged file gives an error naming the field, never a trap.

extension TrainerProgress {
    /// What is wrong with a decoded state (naming the field as the file spells it), or nil.
    public var problem: String? {
        let max = TrainingSettings.maximumCount
        guard (0...max).contains(step) else { return "'step' is \(step), not in 0...\(max)" }
        guard lrBackoff.isFinite, lrBackoff > 0, lrBackoff <= 1 else {
            return "'lr_backoff' is \(lrBackoff), not in (0, 1]"
        }
        guard trainingSeconds.isFinite, trainingSeconds >= 0 else {
            return "'training_seconds' is \(trainingSeconds), not a duration"
        }
        if let b = bestValidationLoss, !(b.isFinite && b >= 0) { return "'best_val_loss' is \(b), not a loss" }
        if let f = corpusFingerprint, f.count != 16 || !f.allSatisfy(\.isHexDigit) {
            return "'corpus_fnv1a64' is \"\(f)\", not 16 hex digits"
        }
        for (i, r) in history.enumerated()
        where !(0...max).contains(r.step) || !r.seconds.isFinite || !r.epoch.isFinite {
            return "'history[\(i)]' has step \(r.step), epoch \(r.epoch), seconds \(r.seconds)"
        }
        return nil
    }
}

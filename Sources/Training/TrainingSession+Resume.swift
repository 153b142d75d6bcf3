import Checkpointing
import FileIO
import Foundation
import Models
import Tokenization

/// Resuming a run: the checkpoint is loaded and checked against the corpus and the settings
/// before any training, so a damaged or foreign checkpoint is refused with its file named.
extension TrainingSession {
    /// What a resumed run starts from.
    struct Resumed {
        var checkpoint: Checkpoint
        var settings: TrainingSettings
        var vocabulary: Vocabulary
        var ids: TokenIDs
    }

    /// Loads the checkpoint at `resume` and encodes `corpus` with its vocabulary. The run's
    /// identity (the settings) comes from the checkpoint; the budget and `evalEvery` from `settings`.
    static func loadForResume(_ resume: String, corpus: String, settings: TrainingSettings) throws -> Resumed {
        // The optimizer's state stays on disk until `restore` reads it into the trainer's buffers.
        let ckpt = try Checkpoint.loadWithTrainerState(resume, preferLatest: true, optimizerState: false)
        try MemoryEstimate.require(
            MemoryEstimate.corpusFile(corpus) ?? 0, for: "encoding the corpus \(quotedPath(corpus))")
        // A weights-only checkpoint (best/) cannot continue a run: name the file really missing.
        for name in ["trainer_state.json", "optimizer.safetensors"]
        where !FileManager.default.fileExists(atPath: (ckpt.path as NSString).appendingPathComponent(name)) {
            throw TrainingError.checkpoint(
                path: (ckpt.path as NSString).appendingPathComponent(name),
                reason: "missing: \(ckpt.path) is a weights-only checkpoint (best/ keeps weights only); "
                    + "it can be sampled or evaluated but not resumed. Resume from the run's latest/")
        }
        let vocabulary = ckpt.vocabulary
        let ids: TokenIDs
        do {
            ids = try CorpusCache.encode(path: corpus, vocabulary: vocabulary, unknown: .error).ids
        } catch let e as TokenizationError {
            if case .unknownCharacter = e {
                throw TrainingError.vocabularyMismatch(
                    "\(e.errorDescription ?? "\(e)"); the checkpoint \(ckpt.path) was trained on a different text "
                        + "(its vocabulary has \(vocabulary.count) \(vocabulary.unit.rawValue) units): "
                        + "resume with the corpus it was trained on")
            }
            throw e
        }
        var settings = settings
        if let saved = ckpt.training {
            let budget = settings.budget, evalEvery = settings.evalEvery
            settings = saved
            settings.budget = budget
            settings.evalEvery = evalEvery
            // Saved settings size buffers and index the corpus: refuse impossible ones (a damaged file).
            do { try saved.validate() } catch {
                throw TrainingError.checkpoint(
                    path: (ckpt.path as NSString).appendingPathComponent("config.json"),
                    reason: "invalid training settings: \(error)")
            }
        }
        return Resumed(checkpoint: ckpt, settings: settings, vocabulary: vocabulary, ids: ids)
    }

    /// Checks the restored stream state against the settings and the corpus, then restores the
    /// optimizer and the streams' state into `trainer`.
    static func restore(
        _ restored: Checkpoint, into trainer: Trainer, corpus: String, ids: TokenIDs, split: Int,
        fingerprint: String
    ) throws {
        let settings = trainer.settings
        // trainer_state.json drives indexing into the corpus and the batch buffers: check it.
        let b = trainer.progress.batcher, p = trainer.progress
        guard b.batch == settings.batch, b.steps == settings.steps, b.position >= 0, b.position <= b.streamLength,
            b.epoch >= 0, p.step >= 0, p.lrBackoff > 0, p.lrBackoff <= 1
        else {
            throw TrainingError.checkpoint(
                path: (restored.path as NSString).appendingPathComponent("trainer_state.json"),
                reason: "inconsistent stream state (batch \(b.batch), seq \(b.steps), position \(b.position) "
                    + "of \(b.streamLength), epoch \(b.epoch), step \(p.step), lr_backoff \(p.lrBackoff)) "
                    + "for batch \(settings.batch), seq \(settings.steps)")
        }
        // The checkpoint holds every stream of the batch: a rank keeps its own rows.
        if trainer.communicator.size > 1 {
            let whole = ModelState(config: trainer.model.config, batch: settings.batch)
            try restored.restore(optimizer: trainer.optimizer, state: whole)
            trainer.adoptState(whole)
        } else {
            try restored.restore(optimizer: trainer.optimizer, state: trainer.state)
        }
        let expected = StreamBatcher(count: split, batch: settings.batch, steps: settings.steps).streamLength
        guard trainer.progress.batcher.streamLength == expected else {
            throw TrainingError.vocabularyMismatch(
                "\(quotedPath(corpus)): the corpus has \(ids.count) units but the checkpoint "
                    + "\(restored.path) was trained on a corpus of another length: resume with the same corpus")
        }
        if let saved = p.corpusFingerprint, saved != fingerprint {
            throw TrainingError.vocabularyMismatch(
                "\(quotedPath(corpus)): not the text the checkpoint \(quotedPath(restored.path)) was "
                    + "trained on (same length and characters, other content; fingerprint \(fingerprint), "
                    + "expected \(saved)): resume with the same corpus")
        }
    }
}

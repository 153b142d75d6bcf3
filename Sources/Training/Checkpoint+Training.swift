import Checkpointing
import Foundation
import Models
import NeuralCore
import Optimization
import TensorIO
import Tokenization

// The trainer's part of a checkpoint: the `training` section of config.json, trainer_state.json
// and optimizer.safetensors (the optimizer's moments and the streams' hidden state). The
// Checkpointing module stores them as opaque documents and tensors; they are encoded, decoded and
// validated here, so that loading a model for sampling needs none of the trainer's types.

extension Checkpoint {
    /// The training settings saved in config.json; nil when it has none or when they are damaged
    /// (`loadWithTrainerState` refuses those with the reason).
    public var training: TrainingSettings? { try? trainingSettings() }

    /// The trainer's progress saved in trainer_state.json; nil when the file is absent or damaged
    /// (`loadWithTrainerState` refuses a damaged one with the reason).
    public var progress: TrainerProgress? { try? trainerProgress() }

    /// The training settings saved in config.json, validated; nil when it has none.
    public func trainingSettings() throws -> TrainingSettings? {
        /// config.json's `training` section alone (the model's fields are decoded by `load`).
        struct Section: Decodable { var training: TrainingSettings? }
        let settings: TrainingSettings?
        do { settings = try JSONDecoder().decode(Section.self, from: configJSON).training } catch let e as ModelError {
            throw CheckpointError(path: file("config.json"), reason: "\(e)")
        } catch {
            throw CheckpointError(
                path: file("config.json"),
                reason: "not a valid charnn config (\(decodingProblem(error, in: configJSON, decoding: Section.self)))")
        }
        if let settings {
            do { try settings.validate() } catch {
                throw CheckpointError(path: file("config.json"), reason: "invalid training settings: \(error)")
            }
        }
        return settings
    }

    /// The trainer's progress saved in trainer_state.json, validated; nil when the file is absent.
    public func trainerProgress() throws -> TrainerProgress? {
        guard let data = trainerStateJSON else { return nil }
        let progress: TrainerProgress
        do { progress = try JSONDecoder().decode(TrainerProgress.self, from: data) } catch {
            throw CheckpointError(
                path: file("trainer_state.json"),
                reason: "damaged (\(decodingProblem(error, in: data, decoding: TrainerProgress.self)))")
        }
        if let problem = progress.problem {
            throw CheckpointError(path: file("trainer_state.json"), reason: problem)
        }
        return progress
    }

    /// Loads a checkpoint and checks the trainer's documents too (what `train --resume` and
    /// `info` read): a damaged trainer_state.json or training section is refused here.
    public static func loadWithTrainerState(
        _ path: String, preferLatest: Bool = false, optimizerState: Bool = true
    ) throws -> Checkpoint {
        let checkpoint = try load(path, preferLatest: preferLatest, optimizerState: optimizerState)
        _ = try checkpoint.trainingSettings()
        _ = try checkpoint.trainerProgress()
        return checkpoint
    }

    /// Restores optimizer moments and hidden state saved by `save`: from `extraTensors` when the
    /// checkpoint was loaded with them, else from optimizer.safetensors tensor by tensor, straight
    /// into the optimizer's buffers (a resumed run never holds a second copy of Adam's moments).
    public func restore(optimizer: Optimizer, state: ModelState?) throws {
        let path = file("optimizer.safetensors")
        func fail(_ reason: String) -> CheckpointError { CheckpointError(path: path, reason: reason) }
        var reader: SafeTensorsReader? = nil
        var onDisk: [String: SafeTensorsReader.Entry] = [:]
        if extraTensors.isEmpty && FileManager.default.fileExists(atPath: path) {
            do { reader = try SafeTensorsReader(path: path) } catch { throw fail(Self.reason(error, path: path)) }
            for entry in reader!.entries { onDisk[entry.name] = entry }
        }
        guard !extraTensors.isEmpty || reader != nil else {
            throw fail(
                "missing: \(self.path) is a weights-only checkpoint (best/ keeps weights only), "
                    + "it can be sampled or evaluated but not resumed; resume from the run's latest/")
        }
        func shape(_ name: String) -> [Int]? { extraTensors[name]?.shape ?? onDisk[name]?.shape }
        func count(_ name: String) -> Int? { extraTensors[name]?.values.count ?? onDisk[name]?.count }
        /// Copies tensor `name` into `buffer` (its size checked by the caller).
        func read(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
            if let t = extraTensors[name] {
                _ = buffer.update(from: t.values)
            } else if let reader, let entry = onDisk[name] {
                do { try reader.read(entry, into: buffer) } catch { throw fail(Self.reason(error, path: path)) }
            }
        }

        var step: Float = 0
        if let n = count("optimizer.step") {
            guard n == 1 else { throw fail("'optimizer.step' holds \(n) values, not one step count") }
            try withUnsafeMutablePointer(to: &step) { try read("optimizer.step", into: .init(start: $0, count: 1)) }
        }
        guard step.isFinite, step >= 0, step < 1e9 else { throw fail("'optimizer.step' is \(step), not a step count") }
        optimizer.step = Int(step)
        for (name, expected, buffer) in optimizer.stateTensors {
            guard let found = shape(name) else {
                throw fail(
                    "has no '\(name)', which the \(optimizer.settings.kind.rawValue) optimizer keeps "
                        + "(was it saved by another optimizer?)")
            }
            guard found == expected, count(name) == buffer.count else {
                throw fail("'\(name)' has shape \(found), expected \(expected)")
            }
            let values = UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count)
            try read(name, into: values)
            // Square averages (Adam's v, RMSprop's) are ≥ 0 by construction; a negative one
            // makes the update's square root NaN, and a NaN anywhere would blame the learning rate.
            let squares = name.hasPrefix("exp_avg_sq.") || name.hasPrefix("square_avg.")
            if let i = values.firstIndex(where: { !$0.isFinite || (squares && $0 < 0) }) {
                throw fail(
                    "'\(name)' holds \(values[i]) at index \(i)"
                        + (squares ? " (must be finite and ≥ 0)" : " (must be finite)"))
            }
        }
        if let state {
            for (i, buffer) in state.buffers.enumerated() {
                let values = UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count)
                guard count("state.\(i)") == buffer.count else {
                    state.reset()
                    return
                }
                try read("state.\(i)", into: values)
                guard values.allSatisfy(\.isFinite) else {
                    state.reset()
                    return
                }
            }
        }
    }

    /// Writes a checkpoint atomically to `dir` with the trainer's state: the settings, the
    /// optimizer's moments and step, the streams' hidden state and the progress (each optional;
    /// `best/` keeps the weights and settings only).
    public static func save(
        to dir: String, model: LanguageModel, vocabulary: Vocabulary,
        training: TrainingSettings?, optimizer: Optimizer?, state: ModelState?,
        progress: TrainerProgress?
    ) throws {
        var extra: [Checkpoint.Tensor] = []
        if let optimizer {
            extra += optimizer.stateTensors.map { Checkpoint.Tensor(name: $0.name, shape: $0.shape, buffer: $0.buffer) }
            extra.append(
                Checkpoint.Tensor(name: "optimizer.step", shape: [1], buffer: FloatBuffer([Float(optimizer.step)])))
        }
        if let state {
            for (i, b) in state.buffers.enumerated() {
                extra.append(Checkpoint.Tensor(name: "state.\(i)", shape: [state.batch, state.hidden], buffer: b))
            }
        }
        let meta = ["optimizer": optimizer?.settings.kind.rawValue ?? "none", "producer": "charnn"]
        try save(
            to: dir, model: model, vocabulary: vocabulary, training: training, extraTensors: extra,
            extraMetadata: meta, trainerState: progress)
    }
}

import Checkpointing
import Foundation
import Models
import NeuralCore
import Optimization
import TensorIO
import Tokenization
import XCTest
import _TestSupport

@testable import Training

/// The trainer's part of a checkpoint (settings, progress, optimizer moments, stream states);
/// the directory itself is tested in CheckpointingTests.
final class CheckpointTrainingTests: XCTestCase {
    func makeModel(seed: UInt64) throws -> LanguageModel {
        try LanguageModel(config: ModelConfig(cell: .gru, layers: 2, hidden: 6, vocabularySize: 5), seed: seed)
    }

    func save(_ model: LanguageModel, to dir: String, step: Int = 0) throws {
        var progress = TrainerProgress(batcher: StreamBatcher(count: 100, batch: 2, steps: 4), dropoutRNG: 42)
        progress.step = step
        try Checkpoint.save(
            to: dir, model: model, vocabulary: try letterVocabulary(5), training: TrainingSettings(),
            optimizer: Optimizer(settings: OptimizerSettings(), parameters: model.parameters),
            state: ModelState(config: model.config, batch: 2), progress: progress)
    }

    func testRoundTrip() throws {
        let dir = try temporaryDirectory(self, "ckpt").appendingPathComponent("latest").path
        let model = try makeModel(seed: 1)
        try save(model, to: dir, step: 17)
        let loaded = try Checkpoint.load(dir)
        XCTAssertEqual(loaded.config, model.config)
        XCTAssertEqual(loaded.vocabulary, try letterVocabulary(5))
        assertSameWeights(loaded.model, model)
        XCTAssertEqual(loaded.progress?.step, 17)
        XCTAssertEqual(loaded.progress?.dropoutRNG, 42)
        XCTAssertEqual(loaded.training, TrainingSettings())
        XCTAssertNotNil(loaded.extraTensors["exp_avg.decoder.weight"])
        XCTAssertNotNil(loaded.extraTensors["state.0"])
        for leftover in [dir + ".tmp", dir + ".old"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: leftover))
        }
    }

    func testOptimizerStepMustBeACount() throws {
        let dir = try temporaryDirectory(self, "ckpt").appendingPathComponent("c").path
        let model = try makeModel(seed: 1)
        try save(model, to: dir)
        let url = dir + "/optimizer.safetensors"
        for bad: Float in [.nan, -1, .infinity, 1e20] {
            var tensors = try SafeTensors.read(path: url).tensors
            let i = try XCTUnwrap(tensors.firstIndex { $0.name == "optimizer.step" })
            tensors[i] = TensorRecord(name: "optimizer.step", shape: [1], values: [bad])
            try SafeTensors.write(tensors, to: url)
            let ckpt = try Checkpoint.load(dir)
            let optimizer = Optimizer(settings: OptimizerSettings(), parameters: ckpt.model.parameters)
            XCTAssertThrowsError(try ckpt.restore(optimizer: optimizer, state: nil)) { error in
                XCTAssertTrue("\(error)".contains("optimizer.step"), "\(error)")
            }
        }
    }

    /// Training's part of a damaged checkpoint: a trainer state it cannot decode names its file.
    func testDamagedTrainerStateNamesTheFile() throws {
        let dir = try temporaryDirectory(self, "ckpt").appendingPathComponent("c").path
        try save(try makeModel(seed: 1), to: dir)
        try Data("{\"step\": \"many\"}".utf8).write(to: URL(fileURLWithPath: dir + "/trainer_state.json"))
        XCTAssertThrowsError(try Checkpoint.loadWithTrainerState(dir)) { error in
            XCTAssertTrue("\(error)".contains(dir + "/trainer_state.json"), "\(error)")
        }
    }
}

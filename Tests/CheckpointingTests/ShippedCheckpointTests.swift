import Checkpointing
import Foundation
import Models
import TensorIO
import XCTest
import _TestSupport

/// The checkpoint module alone (no trainer) reads the shipped checkpoint and writes it back
/// unchanged: the trainer's documents travel as opaque JSON and tensors.
final class ShippedCheckpointTests: XCTestCase {
    /// checkpoints/shakespeare-lstm of this repository.
    let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("checkpoints/shakespeare-lstm").path

    func testShippedCheckpointLoadsWithoutTheTrainer() throws {
        let ckpt = try Checkpoint.load(shipped)
        XCTAssertEqual(ckpt.config.cell, .lstm)
        XCTAssertEqual(ckpt.vocabulary.count, ckpt.config.vocabularySize)
        XCTAssertNotNil(ckpt.trainerStateJSON, "trainer_state.json is kept as opaque JSON")
        XCTAssertTrue(String(decoding: ckpt.configJSON, as: UTF8.self).contains("\"training\""))
    }

    /// Save → load → save gives the same bytes in every file, opaque documents and tensors included.
    func testWritingIsStableAndKeepsOpaqueParts() throws {
        let ckpt = try Checkpoint.load(shipped)
        let dir = try temporaryDirectory(self, "ckpt").path
        let moments = [
            TensorRecord(name: "exp_avg.decoder.bias", shape: [2], values: [0.5, -1]),
            TensorRecord(name: "optimizer.step", shape: [1], values: [7]),
        ]
        let state = ["step": 7, "epoch": 1]
        for name in ["a", "b"] {
            let source = name == "a" ? ckpt : try Checkpoint.load(dir + "/a")
            try Checkpoint.save(
                to: dir + "/" + name, model: source.model, vocabulary: source.vocabulary,
                training: ["batch": 3], extraTensors: moments,
                extraMetadata: ["optimizer": "adam", "producer": "charnn"], trainerState: state)
        }
        for file in ["config.json", "vocab.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/a/" + file))
            let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/b/" + file))
            XCTAssertEqual(a, b, file)
        }
        let back = try Checkpoint.load(dir + "/b")
        XCTAssertEqual(back.extraTensors["exp_avg.decoder.bias"]?.values, [0.5, -1])
        XCTAssertEqual(try JSONDecoder().decode([String: Int].self, from: XCTUnwrap(back.trainerStateJSON)), state)
        struct Section: Decodable { var training: [String: Int] }
        XCTAssertEqual(try JSONDecoder().decode(Section.self, from: back.configJSON).training, ["batch": 3])
        for (p, q) in zip(ckpt.model.parameters, back.model.parameters) {
            XCTAssertEqual(p.value.array, q.value.array, p.name)
        }
    }

    func testNotACheckpointIsNamed() throws {
        let dir = try temporaryDirectory(self, "ckpt").path
        XCTAssertThrowsError(try Checkpoint.load(dir)) { error in
            XCTAssertTrue(error is CheckpointError, "\(error)")
            XCTAssertTrue("\(error)".contains("holds no config.json"), "\(error)")
        }
    }
}

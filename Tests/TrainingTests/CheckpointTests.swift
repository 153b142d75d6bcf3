import Foundation
import Models
import NeuralCore
import Optimization
import TensorIO
import Tokenization
import XCTest

@testable import Training

/// Checkpoint directories: round trip, atomic replacement, and what a crash leaves behind.
final class CheckpointTests: XCTestCase {
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

    func testPartialTempDirectoryIsIgnored() throws {
        // A crash while DIR.tmp was being written: DIR (v1) is intact, DIR.tmp holds half a checkpoint.
        let dir = try temporaryDirectory(self, "ckpt").appendingPathComponent("latest").path
        let v1 = try makeModel(seed: 1), v2 = try makeModel(seed: 2)
        try save(v1, to: dir, step: 1)
        try FileManager.default.createDirectory(atPath: dir + ".tmp", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/config.json", toPath: dir + ".tmp/config.json")
        let half = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors")).prefix(100)
        try half.write(to: URL(fileURLWithPath: dir + ".tmp/model.safetensors"))
        assertSameWeights(try Checkpoint.load(dir).model, v1)
        XCTAssertEqual(try Checkpoint.resolve(dir), dir)
        // The next save replaces the leftover and completes.
        try save(v2, to: dir, step: 2)
        assertSameWeights(try Checkpoint.load(dir).model, v2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + ".tmp"))
    }

    func testCrashBetweenTheRenamesLeavesTheOldCheckpoint() throws {
        // A crash after DIR → DIR.old and before DIR.tmp → DIR: only DIR.old (v1) and DIR.tmp.
        let root = try temporaryDirectory(self, "ckpt")
        let run = root.path, dir = root.appendingPathComponent("latest").path
        let v1 = try makeModel(seed: 1), v2 = try makeModel(seed: 2), v3 = try makeModel(seed: 3)
        try save(v1, to: dir, step: 1)
        try save(v2, to: dir + ".tmp", step: 2)
        try FileManager.default.removeItem(atPath: dir + ".tmp/trainer_state.json")  // maybe unfinished
        XCTAssertEqual(rename(dir, dir + ".old"), 0)

        // The checkpoint path and the run directory both find DIR.old.
        XCTAssertEqual(try Checkpoint.resolve(dir), dir + ".old")
        XCTAssertEqual(try Checkpoint.resolve(run, preferLatest: true), dir + ".old")
        let loaded = try Checkpoint.load(dir)
        assertSameWeights(loaded.model, v1)
        XCTAssertEqual(loaded.progress?.step, 1)
        XCTAssertEqual(try Checkpoint.load(run, preferLatest: true).progress?.step, 1)

        // The next save completes, and DIR.old survives until the new DIR is in place.
        try save(v3, to: dir, step: 3)
        assertSameWeights(try Checkpoint.load(dir).model, v3)
        XCTAssertEqual(try Checkpoint.resolve(dir), dir)
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

    func testRunDirectoryResolution() throws {
        let root = try temporaryDirectory(self, "ckpt")
        let run = root.path
        let latest = try makeModel(seed: 1), best = try makeModel(seed: 2)
        try save(latest, to: run + "/latest", step: 10)
        XCTAssertEqual(try Checkpoint.resolve(run), run + "/latest", "no best/: latest/")
        try save(best, to: run + "/best", step: 5)
        XCTAssertEqual(try Checkpoint.resolve(run), run + "/best")
        XCTAssertEqual(try Checkpoint.resolve(run, preferLatest: true), run + "/latest")
        assertSameWeights(try Checkpoint.load(run).model, best)
        // A best/ left as best.old by a crash is still found.
        XCTAssertEqual(rename(run + "/best", run + "/best.old"), 0)
        XCTAssertEqual(try Checkpoint.resolve(run), run + "/best.old")

        XCTAssertThrowsError(try Checkpoint.resolve(root.appendingPathComponent("nothing").path)) { error in
            XCTAssertTrue("\(error)".contains("no such file or directory"), "\(error)")
        }
        let file = root.appendingPathComponent("file.txt").path
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        XCTAssertThrowsError(try Checkpoint.resolve(file)) {
            XCTAssertTrue("\($0)".contains("not a directory"), "\($0)")
        }
    }

    func testNonFiniteWeightsAreRefusedOnLoad() throws {
        let dir = try temporaryDirectory(self, "ckpt").appendingPathComponent("bad").path
        let model = try makeModel(seed: 1)
        model.decoderBias.value.pointer[2] = .nan
        // Checkpoint.save itself does not check (TrainingSession.save does); loading refuses.
        try save(model, to: dir)
        XCTAssertThrowsError(try Checkpoint.load(dir)) { error in
            XCTAssertTrue("\(error)".contains("decoder.bias"), "\(error)")
            XCTAssertTrue("\(error)".contains("model.safetensors"), "\(error)")
        }
    }

    func testDamagedFilesGiveErrorsNamingTheFile() throws {
        let dir = try temporaryDirectory(self, "ckpt").appendingPathComponent("c").path
        let model = try makeModel(seed: 1)
        func fresh() throws { try? FileManager.default.removeItem(atPath: dir); try save(model, to: dir) }
        func expectError(_ file: String, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try Checkpoint.loadWithTrainerState(dir), line: line) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(dir + "/" + file), text, line: line)
                if !fragment.isEmpty { XCTAssertTrue(text.contains(fragment), text, line: line) }
                XCTAssertFalse(text.contains(dir + "/" + file + ": " + dir), "path repeated: \(text)", line: line)
            }
        }
        try fresh()
        let full = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
        for cut in [0, 7, 8, 50, full.count / 2, full.count - 1] {
            try full.prefix(cut).write(to: URL(fileURLWithPath: dir + "/model.safetensors"))
            expectError("model.safetensors", "")
        }
        try fresh()
        try Data("not json".utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        expectError("config.json", "not valid JSON")
        try fresh()
        try FileManager.default.removeItem(atPath: dir + "/vocab.json")
        expectError("vocab.json", "missing")
        try fresh()
        try Data("{\"unit\": \"grapheme\"}".utf8).write(to: URL(fileURLWithPath: dir + "/vocab.json"))
        expectError("vocab.json", "")
        try fresh()
        try Data("{\"step\": \"many\"}".utf8).write(to: URL(fileURLWithPath: dir + "/trainer_state.json"))
        expectError("trainer_state.json", "")
        // A config claiming a model of 10¹¹ parameters: refused before anything is allocated.
        try fresh()
        var config = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/config.json")))
                as? [String: Any])
        config["hidden"] = 16384
        config["embedding"] = 16384
        config["layers"] = 64
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        expectError("config.json", "parameters")
        try fresh()
        let other = try LanguageModel(config: ModelConfig(cell: .lstm, layers: 2, hidden: 6, vocabularySize: 5))
        let tensors = other.parameters.map { TensorRecord(name: $0.name, shape: $0.shape, values: $0.value.array) }
        try SafeTensors.write(tensors, to: dir + "/model.safetensors")
        expectError("config.json", "model.safetensors holds")  // an LSTM's weights in a GRU checkpoint
        // Same count, other shapes: a transposed decoder.
        try fresh()
        let transposed = model.parameters.map { p in
            TensorRecord(
                name: p.name, shape: p.name == "decoder.weight" ? p.shape.reversed() : p.shape, values: p.value.array)
        }
        try SafeTensors.write(transposed, to: dir + "/model.safetensors")
        expectError("model.safetensors", "decoder.weight")
    }
}

import Checkpointing
import Foundation
import Models
import TensorIO
import Tokenization
import XCTest
import _TestSupport

/// Checkpoint directories: round trip, atomic replacement, what a crash leaves behind, run
/// directories, damaged files. The trainer's documents are opaque here (Training's tests read them).
final class CheckpointDirectoryTests: XCTestCase {
    func makeModel(seed: UInt64) throws -> LanguageModel {
        try LanguageModel(config: ModelConfig(cell: .gru, layers: 2, hidden: 6, vocabularySize: 5), seed: seed)
    }

    func letters() throws -> Vocabulary {
        try Vocabulary(unit: .grapheme, normalization: .nfc, tokens: ["A", "B", "C", "D", "E"])
    }

    /// A checkpoint with a trainer state that records `step`, and one optimizer tensor.
    func save(_ model: LanguageModel, to dir: String, step: Int = 0) throws {
        try Checkpoint.save(
            to: dir, model: model, vocabulary: try letters(), training: ["batch": 2],
            extraTensors: [TensorRecord(name: "optimizer.step", shape: [1], values: [1])],
            trainerState: ["step": step])
    }

    /// The step in a checkpoint's trainer state.
    func step(_ checkpoint: Checkpoint) throws -> Int? {
        let json = try XCTUnwrap(checkpoint.trainerStateJSON)
        return try jsonObject(json)["step"] as? Int
    }

    func assertSameWeights(_ a: LanguageModel, _ b: LanguageModel, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.parameters.map(\.name), b.parameters.map(\.name), file: file, line: line)
        for (p, q) in zip(a.parameters, b.parameters) {
            XCTAssertEqual(
                p.value.array.map(\.bitPattern), q.value.array.map(\.bitPattern), p.name, file: file, line: line)
        }
    }

    func testRoundTrip() throws {
        let dir = try temporaryDirectory(self, "ckpt").appendingPathComponent("latest").path
        let model = try makeModel(seed: 1)
        try save(model, to: dir, step: 17)
        let loaded = try Checkpoint.load(dir)
        XCTAssertEqual(loaded.config, model.config)
        XCTAssertEqual(loaded.vocabulary, try letters())
        assertSameWeights(loaded.model, model)
        XCTAssertEqual(try step(loaded), 17)
        XCTAssertEqual(loaded.extraTensors["optimizer.step"]?.values, [1])
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
        XCTAssertEqual(try step(loaded), 1)
        XCTAssertEqual(try step(Checkpoint.load(run, preferLatest: true)), 1)

        // The next save completes, and DIR.old survives until the new DIR is in place.
        try save(v3, to: dir, step: 3)
        assertSameWeights(try Checkpoint.load(dir).model, v3)
        XCTAssertEqual(try Checkpoint.resolve(dir), dir)
        for leftover in [dir + ".tmp", dir + ".old"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: leftover))
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
        // Saving does not check (the training session does); loading refuses.
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
            XCTAssertThrowsError(try Checkpoint.load(dir), line: line) { error in
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

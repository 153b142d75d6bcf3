import Checkpointing
import Foundation
import Models
import NeuralCore
import Optimization
import TensorIO
import Tokenization
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// Every number a checkpoint holds that sizes memory, indexes data or counts is checked on load,
/// with an error naming the file and the field; never a trap.
final class CheckpointValidationTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try temporaryDirectory(self, "ckptval").appendingPathComponent("latest").path
        let model = try LanguageModel(
            config: ModelConfig(cell: .lstm, layers: 1, hidden: 6, vocabularySize: 5), seed: 1)
        let progress = TrainerProgress(batcher: StreamBatcher(count: 100, batch: 2, steps: 4), dropoutRNG: 42)
        try Checkpoint.save(
            to: dir, model: model, vocabulary: try letterVocabulary(5), training: TrainingSettings(),
            optimizer: Optimizer(settings: OptimizerSettings(), parameters: model.parameters),
            state: ModelState(config: model.config, batch: 2), progress: progress)
    }

    func path(_ name: String) -> String { dir + "/" + name }

    func text(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path(name)))
    }

    /// Rewrites a JSON file with `edit` applied to its object, then expects `loadWithTrainerState` (what
    /// resume and info read; trainer_state.json and the training section are the trainer's) to fail naming
    /// the file and every fragment.
    func expectRefused(
        _ name: String, _ fragments: [String], line: UInt = #line,
        edit: (inout [String: Any]) -> Void
    ) throws {
        let original = try text(name)
        defer { try? write(name, original) }
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(original.utf8)) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path(name)))
        expectLoadError(name, fragments, line: line)
    }

    func expectLoadError(_ name: String, _ fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try Checkpoint.loadWithTrainerState(dir), line: line) { error in
            let message = "\(error)"
            for f in [path(name)] + fragments {
                XCTAssertTrue(message.contains(f), "'\(f)' not in: \(message)", line: line)
            }
        }
    }

    func batcher(_ object: inout [String: Any], _ key: String, _ value: Any) {
        var b = object["batcher"] as! [String: Any]
        b[key] = value
        object["batcher"] = b
    }

    func testDamagedTrainerStateIsRefusedWithTheField() throws {
        let cases: [(String, Any, String)] = [
            ("batch", 0, "batch is 0"), ("seq", -1, "seq is -1"), ("stream_length", 1 << 62, "stream_length"),
            ("position", -64, "position is -64"), ("position", 100_000, "position is 100000"),
            ("epoch", Int.max, "epoch is \(Int.max)"),
        ]
        for (key, value, fragment) in cases {
            try expectRefused("trainer_state.json", [fragment]) { batcher(&$0, key, value) }
        }
        try expectRefused("trainer_state.json", ["'step' is \(Int.max)"]) { $0["step"] = Int.max }
        try expectRefused("trainer_state.json", ["'step' is -3"]) { $0["step"] = -3 }
        try expectRefused("trainer_state.json", ["lr_backoff"]) { $0["lr_backoff"] = 0 }
        try expectRefused("trainer_state.json", ["lr_backoff"]) { $0["lr_backoff"] = 2.5 }
        try expectRefused("trainer_state.json", ["training_seconds"]) { $0["training_seconds"] = -1 }
        XCTAssertNoThrow(try Checkpoint.load(dir), "the original loads")
    }

    func testAbsurdConfigNumbersNameTheField() throws {
        try expectRefused("config.json", ["'hidden' is 10000000000, more than 16384"]) { $0["hidden"] = 10_000_000_000 }
        try expectRefused("config.json", ["'layers' is 0, less than 1"]) { $0["layers"] = 0 }
        try expectRefused("config.json", ["'vocab_size' is -5"]) { $0["vocab_size"] = -5 }
        try expectRefused("config.json", ["'dropout' is"]) { $0["dropout"] = 1.5 }
        // Numbers Int cannot hold are still reported by field, not as "not valid JSON".
        let original = try text("config.json")
        for (literal, fragment) in [
            ("1e30", "'hidden' is 1e+30, not a whole number"),
            ("99999999999999999999999", "'hidden' is 1e+23"), ("2.5", "'hidden' is 2.5"),
        ] {
            try write(
                "config.json", original.replacingOccurrences(of: "\"hidden\" : 6", with: "\"hidden\" : \(literal)"))
            expectLoadError("config.json", [fragment])
        }
        try write("config.json", original)
        try expectRefused("config.json", ["invalid training settings", "batch is 0"]) {
            var t = $0["training"] as! [String: Any]
            t["batch"] = 0
            $0["training"] = t
        }
        try expectRefused("config.json", ["invalid training settings", "eval_every"]) {
            var t = $0["training"] as! [String: Any]
            t["eval_every"] = 0
            $0["training"] = t
        }
    }

    func testDuplicateKeysAreRefused() throws {
        let config = try text("config.json")
        try write(
            "config.json", config.replacingOccurrences(of: "\"hidden\" : 6,", with: "\"hidden\" : 6, \"hidden\" : 7,"))
        expectLoadError("config.json", ["'hidden' appears twice"])
        try write("config.json", config)
        let state = try text("trainer_state.json")
        try write(
            "trainer_state.json",
            state.replacingOccurrences(of: "\"position\" : 0", with: "\"position\" : 0, \"position\" : 4"))
        expectLoadError("trainer_state.json", ["'batcher.position' appears twice"])
    }

    func testBadOptimizerMomentsAreRefusedOnResume() throws {
        let ckpt = try Checkpoint.load(dir)
        let model = ckpt.model
        for (name, bad) in [
            ("exp_avg_sq.decoder.weight", Float(-1)), ("exp_avg_sq.decoder.bias", .nan),
            ("exp_avg.decoder.bias", .infinity),
        ] {
            var damaged = ckpt
            var t = try XCTUnwrap(damaged.extraTensors[name])
            t = TensorRecord(
                name: t.name, shape: t.shape, values: t.values.enumerated().map { $0.offset == 1 ? bad : $0.element })
            damaged.extraTensors[name] = t
            let optimizer = Optimizer(settings: OptimizerSettings(), parameters: model.parameters)
            XCTAssertThrowsError(try damaged.restore(optimizer: optimizer, state: nil)) { error in
                let m = "\(error)"
                XCTAssertTrue(m.contains("optimizer.safetensors") && m.contains(name) && m.contains("index 1"), m)
            }
        }
    }

    /// A resumed run reads the moments from optimizer.safetensors straight into the optimizer
    /// (`load(optimizerState: false)`): the same values as from the loaded tensors, and a damaged
    /// moment on disk refused with the same message.
    func testMomentsReadFromDiskMatchTheLoadedOnesAndAreChecked() throws {
        // Moments, step and streams with values to tell apart (the fixture's are zeros).
        let saved = try Checkpoint.load(dir)
        let optimizer = Optimizer(settings: OptimizerSettings(), parameters: saved.model.parameters)
        optimizer.step = 7
        for (k, t) in optimizer.stateTensors.enumerated() {
            for i in 0..<t.buffer.count { t.buffer.pointer[i] = Float(k + 1) * 0.01 + Float(i) * 0.125 }
        }
        let streams = ModelState(config: saved.config, batch: 2)
        for (k, b) in streams.buffers.enumerated() {
            for i in 0..<b.count { b.pointer[i] = Float(i - k) * 0.25 }
        }
        try Checkpoint.save(
            to: dir, model: saved.model, vocabulary: saved.vocabulary, training: TrainingSettings(),
            optimizer: optimizer, state: streams,
            progress: TrainerProgress(batcher: StreamBatcher(count: 100, batch: 2, steps: 4), dropoutRNG: 42))
        let loaded = try Checkpoint.load(dir)
        let lazy = try Checkpoint.load(dir, optimizerState: false)
        XCTAssertTrue(lazy.extraTensors.isEmpty)
        let a = Optimizer(settings: OptimizerSettings(), parameters: loaded.model.parameters)
        let b = Optimizer(settings: OptimizerSettings(), parameters: lazy.model.parameters)
        let stateA = ModelState(config: loaded.config, batch: 2), stateB = ModelState(config: loaded.config, batch: 2)
        try loaded.restore(optimizer: a, state: stateA)
        try lazy.restore(optimizer: b, state: stateB)
        XCTAssertEqual([a.step, b.step], [7, 7])
        for (x, (y, z)) in zip(optimizer.stateTensors, zip(a.stateTensors, b.stateTensors)) {
            XCTAssertEqual(y.buffer.array, x.buffer.array, x.name)
            XCTAssertEqual(z.buffer.array, x.buffer.array, x.name)
        }
        for (x, (y, z)) in zip(streams.buffers, zip(stateA.buffers, stateB.buffers)) {
            XCTAssertEqual(y.array, x.array)
            XCTAssertEqual(z.array, x.array)
        }

        let name = "exp_avg_sq.decoder.weight"
        var tensors = loaded.extraTensors.values.sorted { $0.name < $1.name }
        let k = try XCTUnwrap(tensors.firstIndex { $0.name == name })
        tensors[k].values[1] = -1
        try SafeTensors.write(tensors, to: lazy.file("optimizer.safetensors"))
        let damaged = try Checkpoint.load(dir, optimizerState: false)
        XCTAssertThrowsError(
            try damaged.restore(
                optimizer: Optimizer(settings: OptimizerSettings(), parameters: damaged.model.parameters), state: nil)
        ) { error in
            let m = "\(error)"
            XCTAssertTrue(m.contains("optimizer.safetensors") && m.contains(name) && m.contains("index 1"), m)
        }
        try Data("not a safetensors file".utf8).write(to: URL(fileURLWithPath: lazy.file("optimizer.safetensors")))
        XCTAssertThrowsError(
            try damaged.restore(
                optimizer: Optimizer(settings: OptimizerSettings(), parameters: damaged.model.parameters), state: nil)
        ) { error in
            let m = "\(error)"
            XCTAssertTrue(m.contains(lazy.file("optimizer.safetensors")) && m.contains("header"), m)
        }
    }

    func testWeightsOnlyResumeNamesTheMissingFile() throws {
        let run = (dir as NSString).deletingLastPathComponent
        let model = try LanguageModel(
            config: ModelConfig(cell: .lstm, layers: 1, hidden: 6, vocabularySize: 5), seed: 1)
        try FileManager.default.removeItem(atPath: dir)
        let progress = TrainerProgress(batcher: StreamBatcher(count: 100, batch: 2, steps: 4), dropoutRNG: 42)
        try Checkpoint.save(
            to: run + "/best", model: model, vocabulary: try letterVocabulary(5), training: TrainingSettings(),
            optimizer: nil, state: nil, progress: progress)
        let corpus = run + "/corpus.txt"
        try Data(String(repeating: "ABCDE", count: 200).utf8).write(to: URL(fileURLWithPath: corpus))
        XCTAssertThrowsError(
            try TrainingSession(
                corpus: corpus, model: model.config, settings: tinySettings(steps: 2),
                text: TextOptions(), outDirectory: run, resume: run)
        ) { error in
            let m = "\(error)"
            XCTAssertTrue(m.contains(run + "/best/optimizer.safetensors") && m.contains("weights-only"), m)
        }
        let ckpt = try Checkpoint.load(run)
        XCTAssertThrowsError(
            try ckpt.restore(
                optimizer: Optimizer(settings: OptimizerSettings(), parameters: ckpt.model.parameters),
                state: nil)
        ) { XCTAssertTrue("\($0)".contains("weights-only"), "\($0)") }
    }

    func testCorpusTooSmallMessageNeverOverflows() {
        let huge = TrainingError.corpusTooSmall(tokens: 1000, batch: 4_611_686_018_427_387_904, steps: 50)
        XCTAssertTrue(huge.description.contains("more than \(Int.max)"), huge.description)
        XCTAssertTrue(
            TrainingError.corpusTooSmall(tokens: 1000, batch: 50, steps: 50).description.contains("more than 2500"))
    }
}

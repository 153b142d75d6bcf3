import ArgumentParser
import Foundation
import Models
import NeuralCore
import Sampling
import Training

/// `charnn bench`: the PyTorch peer's benchmark, same model, same data protocol, same JSON keys.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time training and sampling with the protocol of shared/bench/peer_pytorch.py.",
        discussion: """
        Vocabulary: the sorted set of Unicode scalars of the file; the first 90% trains, the last 10% \
        validates. Training: B streams, truncated BPTT of S steps, Adam 2e-3, clip 5. The last line is \
        one JSON object with the peer's keys, so the two can be compared in one run on one machine.
        """)

    @Argument(help: "Text file to train on.") var corpus: String
    @Option(help: "lstm, gru, rnn or peephole.") var cell: CellKind = .lstm
    @Option(help: "Hidden (and embedding) size.") var hidden = 128
    @Option(help: "Layers.") var layers = 2
    @Option(help: "Streams per batch (B).") var batch = 50
    @Option(help: "BPTT steps (S).") var seq = 50
    @Option(help: "Training steps (0 = use --seconds).") var steps = 200
    @Option(help: "Train for this many seconds instead of --steps.") var seconds: Double = 0
    @Option(help: "Learning rate.") var lr: Float = 2e-3
    @Option(help: "Dropout between layers and before the decoder.") var dropout: Float = 0
    @Option(help: "BLAS threads.") var threads = 2
    @Option(help: "Characters to sample at batch 1.") var sample = 2000
    @Option(help: "Sampling temperature.") var temperature: Float = 0.8
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Flag(help: "Skip the validation passes.") var noEval = false
    @Option(help: "Weights for sampling: f32 (the peer's), f16 or int8 (not comparable with the peer: 1/2, 1/4 of the bytes).")
    var precision: WeightPrecision = .float32

    func run() throws {
        Parallelism.set(threads: threads)
        Console.info("bench: BLAS kernels \(BLASCore.name), \(threads) thread\(threads == 1 ? "" : "s")")
        Console.info("bench: kernels \(KernelLevel.summary)")
        let data = try BenchData.load(corpus)
        let V = data.vocabulary.count
        let split = splitPoint(count: data.ids.count, validationFraction: 0.1)
        let train = Array(data.ids[0..<split]), val = Array(data.ids[split...])
        let config = ModelConfig(cell: cell, layers: layers, hidden: hidden, embedding: hidden,
                                 vocabularySize: V, dropout: dropout)
        let model = try LanguageModel(config: config, seed: seed)
        var settings = TrainingSettings()
        settings.batch = batch
        settings.steps = seq
        settings.optimizer = OptimizerSettings(kind: .adam, learningRate: lr)
        settings.clip = 5
        settings.seed = seed
        let trainer = try Trainer(model: model, settings: settings, train: train, validation: val)
        let t0 = Date()
        var n = 0
        while true {
            let elapsed = Date().timeIntervalSince(t0)
            if seconds > 0 ? elapsed >= seconds : n >= steps { break }
            _ = trainer.step(elapsed: elapsed) { _ in }
            n += 1
        }
        let trainSeconds = Date().timeIntervalSince(t0)
        var valLoss = Double.nan, streamLoss = Double.nan
        if !noEval {
            streamLoss = evaluateStepwise(model: model, data: val, precision: .float32).lossNats
            valLoss = evaluate(model: model, data: val, batch: batch, steps: seq).lossNats
        }
        // Sampling at batch 1 from "\n", temperature `temperature`.
        let predictor = Predictor(model: model, batch: 1, precision: precision)
        if precision != .float32 { Console.info("bench: sampling with \(precision.rawValue) weights (the peer uses f32)") }
        var sampler = Sampler(settings: try SamplingSettings(temperature: temperature), seed: seed)
        var token: [Int32] = [Int32(data.vocabulary.firstIndex(of: "\n") ?? 0)]
        var out = ""
        let s0 = Date()
        for i in 0..<sample {
            let logits = predictor.step(tokens: token)
            let pick = sampler.draw(logits: UnsafeBufferPointer(start: logits, count: V))
            token[0] = Int32(pick)
            if i < 300 { out.unicodeScalars.append(data.vocabulary[pick]) }
        }
        let sampleSeconds = Date().timeIntervalSince(s0)
        print(out)
        let r4 = { (x: Double) in x.isFinite ? (x * 10_000).rounded() / 10_000 : x }
        var json: [String: Any] = [
            "peer": "charnn", "cell": cell.rawValue, "hidden": hidden, "layers": layers, "batch": batch, "seq": seq,
            "dropout": Double(dropout), "threads": threads, "params": config.parameterCount, "steps": n,
            "seconds": (trainSeconds * 1000).rounded() / 1000,
            "train_chars_per_s": (Double(n * batch * seq) / trainSeconds * 10).rounded() / 10,
            "sample_chars_per_s": (Double(sample) / sampleSeconds * 10).rounded() / 10,
        ]
        // A log line, not a JSON key: the JSON keeps exactly the peer's keys.
        if let peak = ProcessMemory.peakResidentBytes { Console.info("bench: peak resident memory \(peak >> 20) MiB") }
        // The peer prints NaN for skipped evaluations; JSON has null for that.
        let number = { (x: Double) -> Any in x.isFinite ? r4(x) : NSNull() }
        json["val_loss_nats"] = number(valLoss)
        json["val_bpc"] = number(valLoss / log(2))
        json["val_ppl"] = number(exp(valLoss))
        json["val_stream_loss_nats"] = number(streamLoss)
        let bytes = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        print(String(decoding: bytes, as: UTF8.self))
    }
}

/// The peer's data protocol: vocabulary = sorted set of Unicode scalars of the whole file.
enum BenchData {
    static func load(_ path: String) throws -> (vocabulary: [Unicode.Scalar], ids: [Int32]) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let scalars = Array(text.unicodeScalars)
        let vocab = Array(Set(scalars)).sorted { $0.value < $1.value }
        var index: [UInt32: Int32] = [:]
        for (i, s) in vocab.enumerated() { index[s.value] = Int32(i) }
        return (vocab, scalars.map { index[$0.value]! })
    }
}

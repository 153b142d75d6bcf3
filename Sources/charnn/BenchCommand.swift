import ArgumentParser
import Checkpointing
import Evaluation
import FileIO
import Foundation
import Models
import NeuralCore
import Sampling
import Tokenization
import Training

/// `charnn bench`: the PyTorch peer's benchmark, same model, same data protocol, same JSON keys.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time training and sampling with the protocol of the PyTorch peer (scripts/bench.sh).",
        discussion: """
            Vocabulary: the sorted set of Unicode scalars of the file; the first 90% trains, the last 10% \
            validates. Training: B streams, truncated BPTT of S steps, Adam 2e-3, clip 5, constant \
            learning rate. The last line is one JSON object with the peer's keys, so the two can be \
            compared in one run on one machine. Ctrl-C ends it at once with status 130. \
            With --sgemm N (and no corpus) it times an N×N matrix product instead, through the BLAS \
            and the thread split that training uses, and prints its GFLOP/s as one JSON line.
            """)

    @Argument(help: "Text file to train on (none with --sgemm).") var corpus: String?
    @OptionGroup(title: "Model") var cell: CellGroup<BenchDefaults>
    @OptionGroup(title: "Model") var model: ModelGroup<BenchDefaults>
    @OptionGroup(title: "Optimizer") var optimizer: OptimizerGroup<BenchDefaults>
    @OptionGroup(title: "Batches") var batches: BatchGroup<BenchDefaults>
    @OptionGroup(title: "Budget (default: 200 steps)") var budget: BudgetGroup<BenchDefaults>
    @Option(help: .hidden) var seconds: Duration?
    @OptionGroup(title: "Sampling") var sampling: SamplingOptions
    @Option(parsing: .unconditional, help: "Characters to sample at batch 1 (0...10^9).") var sample = 2000
    @OptionGroup(title: "Sampling") var precision: PrecisionOption
    @OptionGroup var seed: SeedOptions
    @Flag(help: "Skip the validation passes.") var noEval = false
    @OptionGroup var threads: ThreadOptions
    @Option(help: "Time an N×N single-precision matrix product instead (64...8192; GFLOP/s as JSON).")
    var sgemm: Int?

    func validate() throws {
        if let sgemm {
            try Check.range("--sgemm", sgemm, SgemmProbe.sizes)
            if corpus != nil { throw ValidationError("--sgemm times a matrix product: give no corpus with it") }
            return
        }
        if corpus == nil { throw ValidationError("give a corpus to train on (or --sgemm N)") }
        // `--seconds` is the old name of --max-time, kept for scripts.
        try Check.duration("--seconds", seconds)
        if seconds != nil && budget.maxTime != nil { throw ValidationError("give --max-time or --seconds, not both") }
        try Check.range("--sample", sample, Limits.length)
        try Check.shape(batch: batches.batch, seq: batches.seq, width: model.width, layers: model.layers)
    }

    /// Without any budget, 200 steps (`BenchDefaults`); `--seconds` is `--max-time`.
    var trainingBudget: TrainingBudget {
        guard let seconds else { return budget.budget }
        var b = budget.budget
        if budget.isEmpty { b = TrainingBudget() }
        b.maxTime = seconds.seconds
        return b
    }

    func run() throws {
        let threads = self.threads.threads
        Parallelism.set(threads: threads)
        // Bench keeps nothing (no files; its one result is the last line): a signal ends it at once.
        Interrupt.exitAtOnce(saying: "interrupted: no result (bench writes no files)")
        Console.info("bench: kernels \(KernelLevel.summary)")
        guard let corpus else { return try probe(size: sgemm ?? SgemmProbe.sizes.lowerBound, threads: threads) }
        try MemoryEstimate.require(
            MemoryEstimate.corpusFile(corpus) ?? 0, for: "reading the corpus \(quotedPath(corpus))")
        let data = try BenchData.load(corpus)
        Console.info("bench: BLAS kernels \(BLASCore.name), \(threads) thread\(threads == 1 ? "" : "s")")
        let V = data.vocabulary.count
        let split = splitPoint(count: data.ids.count, validationFraction: 0.1)
        let train = Array(data.ids[0..<split]), val = Array(data.ids[split...])
        let config = model.config(cell: cell.cell, vocabularySize: V)
        let settings = trainingSettings(
            model: model, optimizer: optimizer, batches: batches, budget: trainingBudget, seed: seed.value)
        let trainer: Trainer
        do {
            // Checks the memory estimate before the weights are allocated.
            trainer = try Trainer(config: config, settings: settings, train: train, validation: val)
        } catch TrainingError.corpusTooSmall(let n, let b, let s, nil) {
            throw TrainingError.corpusTooSmall(tokens: n, batch: b, steps: s, path: corpus)
        }
        let model = trainer.model
        // The peer validates after training, with its own two passes: the loop never evaluates.
        let loop = TrainingLoop(trainer: trainer, schedule: .never)
        _ = try loop.run()
        let n = trainer.progress.step
        let trainSeconds = loop.elapsed
        var valLoss = Double.nan, streamLoss = Double.nan
        if !noEval && val.count >= 2 {
            streamLoss = evaluateStepwise(model: model, data: val, precision: .float32).lossNats
            valLoss = evaluate(model: model, data: val, batch: batches.batch, steps: batches.seq).lossNats
        }
        // Sampling at batch 1 from "\n".
        let predictor = Predictor(model: model, batch: 1, precision: precision.precision)
        if precision.precision != .float32 {
            Console.info("bench: sampling with \(precision.precision.rawValue) weights (the peer uses f32)")
        }
        var sampler = Sampler(settings: try sampling.settings(), seed: seed.value)
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
        Console.out(out + "\n")
        if sample > 0 {
            batchedStepFigure(
                model: model, oneStreamRate: sampleSeconds > 0 ? Double(sample) / sampleSeconds : 0,
                steps: sample, start: token[0], sampling: try sampling.settings(), threads: threads)
        }
        // Rates as Doubles: steps × batch × seq need not fit an Int product check here.
        let rate = { (count: Double, seconds: Double) -> Any in
            seconds > 0 ? (count / seconds * 10).rounded() / 10 : NSNull()
        }
        var json: [String: Any] = [
            "peer": "charnn", "cell": cell.cell.rawValue, "hidden": config.hidden, "layers": config.layers,
            "batch": batches.batch, "seq": batches.seq, "dropout": Double(config.dropout), "threads": threads,
            "params": config.parameterCount, "steps": n, "seconds": (trainSeconds * 1000).rounded() / 1000,
            "train_chars_per_s": rate(Double(n) * Double(batches.batch) * Double(batches.seq), trainSeconds),
            "sample_chars_per_s": rate(Double(sample), sampleSeconds),
        ]
        // A log line, not a JSON key: the JSON keeps exactly the peer's keys.
        if let peak = ProcessMemory.peakResidentBytes { Console.info("bench: peak resident memory \(peak >> 20) MiB") }
        // The peer prints NaN for skipped evaluations; JSON has null for that.
        let number = { (x: Double) -> Any in x.isFinite ? (x * 10_000).rounded() / 10_000 : NSNull() }
        json["val_loss_nats"] = number(valLoss)
        json["val_bpc"] = number(bits(fromNats: valLoss))
        json["val_ppl"] = number(exp(valLoss))
        json["val_stream_loss_nats"] = number(streamLoss)
        let bytes = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        Console.out(String(decoding: bytes, as: UTF8.self) + "\n")
    }

    /// The batched step's figure, a log line (the JSON keeps the peer's keys): `sample` steps of
    /// `Predictor.maximumStepBatch` streams, its floating-point rate (2 × the weights a character
    /// multiplies: layer 0's input product is a table lookup) and its share of an sgemm probe of
    /// 2048 run here, next to the batch-1 rate just measured.
    func batchedStepFigure(
        model: LanguageModel, oneStreamRate: Double, steps: Int, start: Int32, sampling: SamplingSettings,
        threads: Int
    ) {
        let B = Predictor.maximumStepBatch, V = model.config.vocabularySize
        let predictor = Predictor(model: model, batch: B, precision: precision.precision)
        var samplers = (0..<B).map { Sampler(settings: sampling, seed: seed.value &+ UInt64($0)) }
        var tokens = [Int32](repeating: start, count: B)
        let s0 = Date()
        for _ in 0..<steps {
            let logits = predictor.step(tokens: tokens)
            for b in 0..<B {
                tokens[b] = Int32(samplers[b].draw(logits: UnsafeBufferPointer(start: logits + b * V, count: V)))
            }
        }
        let seconds = Date().timeIntervalSince(s0)
        guard seconds > 0 else { return }
        let rate = Double(steps * B) / seconds
        let weights = model.layers.enumerated().reduce(model.decoderWeight.value.count) { sum, layer in
            sum + layer.element.weightHH.value.count + (layer.offset == 0 ? 0 : layer.element.weightIH.value.count)
        }
        let gflops = rate * 2 * Double(weights) / 1e9
        let probe = SgemmProbe.measure(size: 2048, threads: threads, seconds: 0.5)
        let ratio = oneStreamRate > 0 ? String(format: "%.2f× ", rate / oneStreamRate) : ""
        Console.info(
            String(
                format: "bench: %d streams: %.0f chars/s = %.1f GFLOP/s = %.0f%% of the sgemm probe (%.1f GFLOP/s); "
                    + "%@1 stream: %.0f chars/s", B, rate, gflops, 100 * gflops / probe.gflops, probe.gflops, ratio,
                oneStreamRate))
    }

    /// `--sgemm N`: the matrix-product rate on `threads` threads (as `gemm` splits it in training).
    func probe(size n: Int, threads: Int) throws {
        try MemoryEstimate.require(3 * n * n * MemoryLayout<Float>.stride, for: "the --sgemm \(n) matrices")
        Console.info("bench: BLAS kernels \(BLASCore.name), \(threads) thread\(threads == 1 ? "" : "s")")
        Console.out(try SgemmProbe.json(SgemmProbe.measure(size: n, threads: threads)) + "\n")
    }
}

/// The peer's data protocol: vocabulary = sorted set of Unicode scalars of the whole file.
enum BenchData {
    static func load(_ path: String) throws -> (vocabulary: [Unicode.Scalar], ids: [Int32]) {
        let text = try decodeText(ReadableFile.bytes(at: path, limit: 1 << 31), path: path)
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { throw CLIError("\(quotedPath(path)): the file is empty") }
        let vocab = Array(Set(scalars)).sorted { $0.value < $1.value }
        var index: [UInt32: Int32] = [:]
        for (i, s) in vocab.enumerated() { index[s.value] = Int32(i) }
        return (vocab, scalars.map { index[$0.value]! })
    }
}

import ArgumentParser
import Checkpointing
import Communication
import Evaluation
import FileIO
import Foundation
import Models
import NeuralCore
import TensorIO
import Tokenization

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a text file with a checkpoint: loss (nats/char), bits per character, perplexity.",
        discussion: """
            FILE is read as one stream from a zero state; the loss is the mean over its N−1 \
            next-character predictions. Ctrl-C ends it at once with status 130 (nothing is written).
            """)

    @Argument(help: "Checkpoint or run directory.") var checkpoint: String
    @Argument(help: "Text file to score.") var file: String
    @Flag(help: "Print JSON: loss_nats, bpc, ppl, chars.") var json = false
    @OptionGroup var unknown: UnknownOption
    @Option(help: "Write the logits of the first N positions to FILE.safetensors (for PyTorch parity checks).")
    var dumpLogits: String?
    @Option(parsing: .unconditional, help: "Positions whose logits --dump-logits writes (1...65536, as --seq).")
    var dumpCount = 200
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var threads: ThreadOptions
    @Option(
        parsing: .unconditional,
        help: "Also score with nanoGPT's protocol: windows of N characters from a zero state, all scored.")
    var window: Int?
    @Flag(help: "Also score with dynamic evaluation (Krause et al. 2018): an SGD step on each segment once scored.")
    var dynamic = false
    @Option(parsing: .unconditional, help: "Characters per dynamic-evaluation segment.")
    var dynamicWindow = DynamicEvaluationSettings().segment
    @Option(parsing: .unconditional, help: "Dynamic-evaluation SGD learning rate.")
    var dynamicLr = DynamicEvaluationSettings().learningRate
    @Option(parsing: .unconditional, help: "Dynamic-evaluation decay toward the checkpoint's weights per step, 0…1.")
    var dynamicDecay = DynamicEvaluationSettings().decay
    @OptionGroup var memoryProbe: MemoryProbeOption

    func validate() throws {
        try Check.range("--dump-count", dumpCount, Limits.seq)
        try validateProtocols()
    }

    func run() throws {
        Parallelism.set(threads: threads.threads)
        // Scoring keeps nothing worth saving half-way: a signal ends it at once.
        Interrupt.exitAtOnce(saying: "interrupted: nothing scored, nothing written")
        // Under mpirun every rank reads the checkpoint and the text alike; see `scoreWindowShare`.
        let world = Job.world
        Job.silenceOtherRanks()
        let (ckpt, ids) = try loadCheckpointAndText()
        let data = TokenSlice(ids, 0..<ids.count)
        if world.size > 1 { try scoreWindowShare(model: ckpt.model, data: data, world: world) }
        let (report, probe) = scoreOneStream(ckpt, data: data)
        // The other ranks' windows, summed now: nothing rank 0 does alone comes before it (no rank waits on an error).
        let windowed = world.size > 1 && window != nil ? try reduceWindows((0, 0), world: world) : nil
        if let dumpLogits { try writeLogits(of: ckpt, ids: ids, to: dumpLogits) }
        var summary: EvaluationSummary
        if world.size > 1 {
            summary = otherProtocols(model: ckpt.model, data: data, oneStream: report, windows: false)
            if let window, let windowed { summary.window = (window, windowed) }
        } else {
            summary = otherProtocols(model: ckpt.model, data: data, oneStream: report)
        }
        summary.memoryProbe = probe
        try printSummary(summary)
    }

    /// The checkpoint and the text's ids (every rank alike; at least 2 units), after warning of
    /// the characters the vocabulary lacks.
    func loadCheckpointAndText() throws -> (Checkpoint, TokenIDs) {
        let (ckpt, ids, unknowns) = try Job.together {
            let ckpt = try Checkpoint.load(checkpoint, optimizerState: false)
            let (ids, unknowns) = try CorpusEncoder.encode(
                path: file, vocabulary: ckpt.vocabulary,
                unknown: unknown.policy)
            guard ids.count >= 2 else {
                throw CLIError("\(quotedPath(file)) holds \(ids.count) unit(s): nothing to score (need at least 2)")
            }
            return (ckpt, ids, unknowns)
        }
        for u in unknowns { Console.warning("\(quotedPath(file)): \(u) is not in the model's vocabulary; skipped") }
        return (ckpt, ids)
    }

    /// Under mpirun the windows (--window) go to ranks 1…N−1 while rank 0 scores the one sequential
    /// stream: ranks 1…N−1 score their share, sum it with the others' and end here (status 0);
    /// rank 0 returns.
    func scoreWindowShare<S: TokenSource>(model: LanguageModel, data: S, world: any Communicator) throws {
        guard !world.isRoot else { return }
        if let window {
            let share = evaluateWindowShare(
                model: model, data: data, window: window, part: world.rank - 1, parts: world.size - 1)
            try reduceWindows(share, world: world)
        }
        throw ExitCode(0)
    }

    /// One stream step by step on the sampling path (a spinning thread team); it agrees with the
    /// windowed forward pass to rounding and is 2–3× faster at batch 1. The memory probe keeps
    /// every position's loss of that same pass (docs/claims.md).
    func scoreOneStream<S: TokenSource>(_ ckpt: Checkpoint, data: S) -> (LossReport, MemoryProbeResult?) {
        guard memoryProbe.memoryProbe else {
            return (evaluateStepwise(model: ckpt.model, data: data, precision: precision.precision), nil)
        }
        let measured = MemoryProbe.measure(
            model: ckpt.model, data: data,
            symbols: ProbeSymbols(vocabulary: ckpt.vocabulary),
            precision: precision.precision)
        return (measured.report, measured.probe)
    }

    /// --dump-logits: the logits of the first --dump-count positions (one window from a zero
    /// state) and their tokens, as safetensors. A signal during the write ends the command after it.
    func writeLogits(of ckpt: Checkpoint, ids: TokenIDs, to path: String) throws {
        // A file being written is finished first (the signal is remembered).
        Interrupt.cooperate(again: "interrupted again: exiting at once; \(path) may be incomplete")
        let n = min(dumpCount, ids.count)
        let V = ckpt.config.vocabularySize
        // One window of n steps through this model: the same bound as a training step.
        do {
            try Check.shape(
                batch: 1, seq: n, width: max(ckpt.config.hidden, ckpt.config.embedding),
                layers: ckpt.config.layers)
        } catch { throw CLIError("--dump-count \(n) with this model: \(describe(error))") }
        let ws = Workspace(config: ckpt.config, batch: 1, steps: n, training: false)
        let tokens = (0..<n).map { ids[$0] }
        ckpt.model.forward(
            inputs: tokens, targets: nil, state: ModelState(config: ckpt.config, batch: 1), workspace: ws,
            dropout: .off)
        try SafeTensors.write(
            [
                TensorRecord(name: "logits", shape: [n, V], values: Array(ws.logits.buffer[0..<(n * V)])),
                TensorRecord(name: "tokens", shape: [n], values: tokens.map(Float.init)),
            ], to: path)
        if Interrupt.requested {
            Console.info("interrupted: wrote \(path); no score printed")
            throw ExitCode(Interrupt.exitStatus)
        }
    }

    /// The figures on stdout: JSON (--json), else one line per protocol and the memory probe's table.
    func printSummary(_ summary: EvaluationSummary) throws {
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            Console.out(String(decoding: try enc.encode(summary), as: UTF8.self) + "\n")
            return
        }
        let report = summary.oneStream
        let label = summary.window != nil || summary.dynamic != nil ? " (one stream from a zero state)" : ""
        Console.out(
            String(
                format: "%@: %d characters, loss %.4f nats/char, %.4f bpc, perplexity %.3f%@\n",
                file, report.chars, report.lossNats, report.bpc, report.perplexity, label))
        printOtherProtocols(summary)
        if let probe = summary.memoryProbe { Console.out(Self.probeText(probe)) }
    }
}

// The other protocols of `eval` (--window, --dynamic); see docs/evaluation.md.
extension EvalCommand {
    var dynamicSettings: DynamicEvaluationSettings {
        DynamicEvaluationSettings(segment: dynamicWindow, learningRate: dynamicLr, decay: dynamicDecay)
    }

    func validateProtocols() throws {
        try Check.range("--window", window, 1...Limits.length.upperBound)
        if dynamic, let problem = dynamicSettings.problem { throw ValidationError(describe(problem)) }
    }

    /// The one-stream figure with the windowed and dynamic figures that were asked for.
    func otherProtocols<S: TokenSource>(
        model: LanguageModel, data: S, oneStream: LossReport,
        windows: Bool = true
    ) -> EvaluationSummary {
        var summary = EvaluationSummary(oneStream: oneStream)
        if windows, let window { summary.window = (window, evaluateWindows(model: model, data: data, window: window)) }
        if dynamic {
            summary.dynamic = (dynamicSettings, evaluateDynamic(model: model, data: data, settings: dynamicSettings))
        }
        return summary
    }

    /// Sums the ranks' `[loss sum, scored positions]` of the windowed figure (one Double allreduce).
    /// - Returns: the figure (on every rank).
    @discardableResult
    func reduceWindows(_ share: (lossSum: Double, count: Int), world: any Communicator) throws -> LossReport? {
        var sums = [share.lossSum, Double(share.count)]
        try world.allReduce(&sums, .sum)
        guard sums[1] > 0 else { return nil }
        return LossReport(lossNats: sums[0] / sums[1], chars: Int(sums[1]))
    }

    func printOtherProtocols(_ summary: EvaluationSummary) {
        func line(_ name: String, _ r: LossReport) {
            Console.out(
                String(
                    format: "%@: %d characters, loss %.4f nats/char, %.4f bpc, perplexity %.3f (%@)\n",
                    file, r.chars, r.lossNats, r.bpc, r.perplexity, name))
        }
        if let (size, r) = summary.window { line("windows of \(size) from a zero state, nanoGPT's protocol", r) }
        if let (s, r) = summary.dynamic {
            line(
                "dynamic evaluation: SGD lr \(s.learningRate), segments of \(s.segment)"
                    + (s.decay > 0 ? ", decay \(s.decay)" : ""), r)
        }
    }
}

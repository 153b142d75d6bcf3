import ArgumentParser
import Foundation
import Models
import NeuralCore
import TensorIO
import Tokenization
import Training

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Score a text file with a checkpoint: loss (nats/char), bits per character, perplexity.",
        discussion: "FILE is read as one stream from a zero state; the loss is the mean over its N−1 next-character predictions.")

    @Argument(help: "Checkpoint or run directory.") var checkpoint: String
    @Argument(help: "Text file to score.") var file: String
    @Flag(help: "Print JSON: loss_nats, bpc, ppl, chars.") var json = false
    @Option(help: "Characters the model lacks: error (default), skip.") var unknown: String = "error"
    @Option(help: "Threads for the numeric work.") var threads = 2
    @Option(help: "Write the logits of the first N positions to FILE.safetensors (for PyTorch parity checks).")
    var dumpLogits: String?
    @Option(help: "Positions whose logits --dump-logits writes.") var dumpCount = 200
    @Option(help: "Weights: f32 (exact) or f16 (half precision, as `sample --precision f16` runs them: shows what it costs).")
    var precision: WeightPrecision = .float32
    @Option(help: "Also score with nanoGPT's protocol: windows of N characters from a zero state, all scored.")
    var window: Int?
    @Flag(help: "Also score with dynamic evaluation (Krause et al. 2018): an SGD step on each segment once scored.")
    var dynamic = false
    @Option(help: "Characters per dynamic-evaluation segment.") var dynamicWindow = DynamicEvaluationSettings().segment
    @Option(help: "Dynamic-evaluation SGD learning rate.") var dynamicLr = DynamicEvaluationSettings().learningRate
    @Option(help: "Dynamic-evaluation decay toward the checkpoint's weights per step, 0…1.")
    var dynamicDecay = DynamicEvaluationSettings().decay

    func validate() throws {
        if !["error", "skip"].contains(unknown) { throw ValidationError("--unknown must be error or skip, got '\(unknown)'") }
        try validateProtocols()
    }

    func run() throws {
        Parallelism.set(threads: threads)
        let ckpt = try Checkpoint.load(checkpoint)
        let (ids, unknowns) = try CorpusEncoder.encode(path: file, vocabulary: ckpt.vocabulary,
                                                       unknown: unknown == "skip" ? .skip : .error)
        for u in unknowns { Console.warning("\(file): \(u) is not in the model's vocabulary; skipped") }
        guard ids.count >= 2 else { throw CLIError("\(file) holds \(ids.count) unit(s): nothing to score (need at least 2)") }
        let data = TokenSlice(ids, 0..<ids.count)
        // One stream step by step on the sampling path (a spinning thread team); it agrees with
        // the windowed forward pass to rounding and is 2–3× faster at batch 1.
        let report = evaluateStepwise(model: ckpt.model, data: data, precision: precision)
        if let dumpLogits {
            let n = min(dumpCount, ids.count)
            let V = ckpt.config.vocabularySize
            let ws = Workspace(config: ckpt.config, batch: 1, steps: n, training: false)
            let tokens = (0..<n).map { ids[$0] }
            ckpt.model.forward(inputs: tokens, targets: nil, state: ModelState(config: ckpt.config, batch: 1), workspace: ws, dropout: .off)
            try SafeTensors.write([TensorRecord(name: "logits", shape: [n, V], values: Array(ws.logits.buffer[0..<(n * V)])),
                                   TensorRecord(name: "tokens", shape: [n], values: tokens.map(Float.init))], to: dumpLogits)
        }
        let summary = otherProtocols(model: ckpt.model, data: data, oneStream: report)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(summary), as: UTF8.self))
        } else {
            let label = summary.window != nil || summary.dynamic != nil ? " (one stream from a zero state)" : ""
            print(String(format: "%@: %d characters, loss %.4f nats/char, %.4f bpc, perplexity %.3f%@",
                         file, report.chars, report.lossNats, report.bpc, report.perplexity, label))
            printOtherProtocols(summary)
        }
    }
}

// The other protocols of `eval` (--window, --dynamic); see docs/evaluation.md.
extension EvalCommand {
    var dynamicSettings: DynamicEvaluationSettings {
        DynamicEvaluationSettings(segment: dynamicWindow, learningRate: dynamicLr, decay: dynamicDecay)
    }

    func validateProtocols() throws {
        if let window, window < 1 { throw ValidationError("--window must be ≥ 1, got \(window)") }
        if dynamic, let problem = dynamicSettings.problem { throw ValidationError(problem) }
    }

    /// The one-stream figure with the windowed and dynamic figures that were asked for.
    func otherProtocols<S: TokenSource>(model: LanguageModel, data: S, oneStream: LossReport) -> EvaluationSummary {
        var summary = EvaluationSummary(oneStream: oneStream)
        if let window { summary.window = (window, evaluateWindows(model: model, data: data, window: window)) }
        if dynamic {
            summary.dynamic = (dynamicSettings, evaluateDynamic(model: model, data: data, settings: dynamicSettings))
        }
        return summary
    }

    func printOtherProtocols(_ summary: EvaluationSummary) {
        func line(_ name: String, _ r: LossReport) {
            print(String(format: "%@: %d characters, loss %.4f nats/char, %.4f bpc, perplexity %.3f (%@)",
                         file, r.chars, r.lossNats, r.bpc, r.perplexity, name))
        }
        if let (size, r) = summary.window { line("windows of \(size) from a zero state, nanoGPT's protocol", r) }
        if let (s, r) = summary.dynamic {
            line("dynamic evaluation: SGD lr \(s.learningRate), segments of \(s.segment)"
                 + (s.decay > 0 ? ", decay \(s.decay)" : ""), r)
        }
    }
}

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Describe a checkpoint: model, vocabulary, training state.")

    @Argument(help: "Checkpoint or run directory.") var checkpoint: String

    func run() throws {
        let ckpt = try Checkpoint.load(checkpoint)
        let c = ckpt.config
        let v = ckpt.vocabulary
        var lines = ["checkpoint   \(ckpt.path)",
                     "model        \(c.layers) × \(c.hidden) \(c.cell.rawValue), embedding \(c.embedding), dropout \(c.dropout)",
                     "parameters   \(c.parameterCount)",
                     "vocabulary   \(v.count) \(v.unit.pluralName), normalization \(v.normalization.rawValue)"]
        let preview = v.tokens.prefix(80).map { t in t == "\n" ? "\\n" : t == "\t" ? "\\t" : t == " " ? "␠" : t }.joined()
        lines.append("tokens       \(preview)\(v.count > 80 ? "…" : "")")
        if let t = ckpt.training {
            lines.append("training     B \(t.batch) S \(t.steps), \(t.optimizer.kind.rawValue) lr \(t.optimizer.learningRate), clip \(t.clip), schedule \(t.schedule), seed \(t.seed)")
        }
        if let p = ckpt.progress {
            let epoch = Double(p.batcher.epoch) + Double(p.batcher.position) / Double(max(p.batcher.streamLength, 1))
            lines.append(String(format: "state        step %d, epoch %.2f, %@ of training", p.step, epoch, Format.duration(p.trainingSeconds)))
            if let best = p.bestValidationLoss {
                lines.append(String(format: "best val     %.4f nats/char, %.4f bpc, perplexity %.3f", best, best / log(2), exp(best)))
            }
        }
        lines.append("resumable    \(ckpt.extraTensors.isEmpty ? "no (weights only)" : "yes (optimizer state saved)")")
        print(lines.joined(separator: "\n"))
    }
}

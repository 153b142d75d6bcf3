import ArgumentParser
import Checkpointing
import Foundation
import Models
import NeuralCore
import TensorIO
import Tokenization
import Training

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Score a text file with a checkpoint: loss (nats/char), bits per character, perplexity.",
        discussion: """
        FILE is read as one stream from a zero state; the loss is the mean over its N−1 \
        next-character predictions. Ctrl-C ends it at once with status 130 (nothing is written).
        """)

    @Argument(help: "Checkpoint or run directory.") var checkpoint: String
    @Argument(help: "Text file to score.") var file: String
    @Flag(help: "Print JSON: loss_nats, bpc, ppl, chars.") var json = false
    @Option(help: "Characters the model lacks: error (default), skip.") var unknown: String = "error"
    @Option(help: "Write the logits of the first N positions to FILE.safetensors (for PyTorch parity checks).")
    var dumpLogits: String?
    @Option(parsing: .unconditional, help: "Positions whose logits --dump-logits writes (1...65536, as --seq).")
    var dumpCount = 200
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        if !["error", "skip"].contains(unknown) { throw ValidationError("--unknown must be error or skip, got '\(unknown)'") }
        try Check.range("--dump-count", dumpCount, Limits.seq)
    }

    func run() throws {
        Parallelism.set(threads: threads.threads)
        // Scoring keeps nothing worth saving half-way: a signal ends it at once.
        Interrupt.exitAtOnce(saying: "interrupted: nothing scored, nothing written")
        let ckpt = try Checkpoint.load(checkpoint)
        let (ids, unknowns) = try CorpusEncoder.encode(path: file, vocabulary: ckpt.vocabulary,
                                                       unknown: unknown == "skip" ? .skip : .error)
        for u in unknowns { Console.warning("\(file): \(u) is not in the model's vocabulary; skipped") }
        guard ids.count >= 2 else { throw CLIError("\(file) holds \(ids.count) unit(s): nothing to score (need at least 2)") }
        let data = TokenSlice(ids, 0..<ids.count)
        // One stream step by step on the sampling path (a spinning thread team); it agrees with
        // the windowed forward pass to rounding and is 2–3× faster at batch 1.
        let report = evaluateStepwise(model: ckpt.model, data: data, precision: precision.precision)
        if let dumpLogits {
            // A file being written is finished first (the signal is remembered).
            Interrupt.cooperate(again: "interrupted again: exiting at once; \(dumpLogits) may be incomplete")
            let n = min(dumpCount, ids.count)
            let V = ckpt.config.vocabularySize
            // One window of n steps through this model: the same bound as a training step.
            do {
                try Check.shape(batch: 1, seq: n, width: max(ckpt.config.hidden, ckpt.config.embedding),
                                layers: ckpt.config.layers)
            } catch { throw CLIError("--dump-count \(n) with this model: \(describe(error))") }
            let ws = Workspace(config: ckpt.config, batch: 1, steps: n, training: false)
            let tokens = (0..<n).map { ids[$0] }
            ckpt.model.forward(inputs: tokens, targets: nil, state: ModelState(config: ckpt.config, batch: 1), workspace: ws, dropout: .off)
            try SafeTensors.write([TensorRecord(name: "logits", shape: [n, V], values: Array(ws.logits.buffer[0..<(n * V)])),
                                   TensorRecord(name: "tokens", shape: [n], values: tokens.map(Float.init))], to: dumpLogits)
            if Interrupt.requested {
                Console.info("interrupted: wrote \(dumpLogits); no score printed")
                throw ExitCode(Interrupt.exitStatus)
            }
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            Console.out(String(decoding: try enc.encode(report), as: UTF8.self) + "\n")
        } else {
            Console.out(String(format: "%@: %d characters, loss %.4f nats/char, %.4f bpc, perplexity %.3f\n",
                               file, report.chars, report.lossNats, report.bpc, report.perplexity))
        }
    }
}

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Describe a checkpoint: model, vocabulary, training state.")

    @Argument(help: "Checkpoint or run directory.") var checkpoint: String

    func run() throws {
        // info describes the training state too: a damaged trainer_state.json is refused here.
        let ckpt = try Checkpoint.loadWithTrainerState(checkpoint)
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
        Console.out(lines.joined(separator: "\n") + "\n")
    }
}

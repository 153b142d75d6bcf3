import ArgumentParser
import Checkpointing
import Foundation
import Models
import NeuralCore
import TensorIO
import Tokenization
import Training

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Describe a checkpoint: model, vocabulary, training state.")

    @Argument(help: "Checkpoint or run directory.") var checkpoint: String

    func run() throws {
        // info describes the training state too: a damaged trainer_state.json is refused here.
        let ckpt = try Checkpoint.loadWithTrainerState(checkpoint)
        let c = ckpt.config
        let v = ckpt.vocabulary
        var lines = [
            "checkpoint   \(ckpt.path)",
            "model        \(c.layers) × \(c.hidden) \(c.cell.rawValue), embedding \(c.embedding), dropout \(c.dropout)",
            "parameters   \(c.parameterCount)",
            "vocabulary   \(v.count) \(v.unit.pluralName), normalization \(v.normalization.rawValue)",
        ]
        let preview = v.tokens.prefix(80).map { t in t == "\n" ? "\\n" : t == "\t" ? "\\t" : t == " " ? "␠" : t }
            .joined()
        lines.append("tokens       \(preview)\(v.count > 80 ? "…" : "")")
        if let t = ckpt.training {
            lines.append(
                "training     B \(t.batch) S \(t.steps), \(t.optimizer.kind.rawValue) lr \(t.optimizer.learningRate), clip \(t.clip), schedule \(t.schedule), seed \(t.seed)"
                    + (t.resetEvery.map { $0 > 0 ? ", state reset every \($0) windows" : "" } ?? ""))
        }
        if let p = ckpt.progress {
            let epoch = Double(p.batcher.epoch) + Double(p.batcher.position) / Double(max(p.batcher.streamLength, 1))
            lines.append(
                String(
                    format: "state        step %d, epoch %.2f, %@ of training", p.step, epoch,
                    Format.duration(p.trainingSeconds)))
            if let best = p.bestValidationLoss {
                lines.append(
                    String(
                        format: "best val     %.4f nats/char, %.4f bpc, perplexity %.3f", best, bits(fromNats: best),
                        exp(best)
                    ))
            }
        }
        lines.append("resumable    \(ckpt.extraTensors.isEmpty ? "no (weights only)" : "yes (optimizer state saved)")")
        Console.out(lines.joined(separator: "\n") + "\n")
    }
}

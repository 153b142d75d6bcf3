import ArgumentParser
import Foundation
import Models
import NeuralCore
import Sampling
import Tokenization
import Training

/// Sampling controls shared by `sample` and `repl`.
struct SamplingOptions: ParsableArguments {
    // `.unconditional`: a negative value ("--temperature -1") is a value to reject with a clear
    // message, not a missing value followed by an unknown option "-1".
    @Option(parsing: .unconditional, help: "Softmax temperature: 0 = greedy (always the most likely character), lower = more conservative, 1 = the model's distribution, higher = more random.")
    var temperature: Float = 0.8
    @Option(parsing: .unconditional, help: "Keep only the K most likely characters (0 = off).") var topK: Int = 0
    @Option(parsing: .unconditional, help: "Keep the smallest set of most likely characters whose probability reaches P (1 = off).") var topP: Float = 1
    @Option(help: "Characters to generate.") var length = 500
    @Option(help: "Weights for one stream: f32 (exact), f16 (half the memory traffic; logits within ~1e-3) or int8 (a quarter; 8-bit weights with per-row scales).")
    var precision: WeightPrecision = .float32

    func validate() throws {
        _ = try settings()
        if length < 0 { throw ValidationError("--length must be ≥ 0, got \(length)") }
    }

    func settings() throws -> SamplingSettings {
        do { return try SamplingSettings(temperature: temperature, topK: topK, topP: topP) } catch {
            throw ValidationError((error as? LocalizedError)?.errorDescription ?? "\(error)")
        }
    }
}

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Generate text from a checkpoint.",
        discussion: "CKPT is a checkpoint directory or a run directory (then best/, else latest/). Characters of the prime that the model has never seen are skipped with a warning.")

    @Argument(help: "Checkpoint or run directory.") var checkpoint: String
    @Option(help: "Text to start from.") var prime: String?
    @Option(help: "Read the text to start from this file.") var primeFile: String?
    @OptionGroup var sampling: SamplingOptions
    @Option(help: "Random seed: the same seed and settings give the same text.") var seed: UInt64 = 1
    @Option(help: "Number of independent samples (generated as one batch).") var count = 1
    @Option(help: "Stop a sample once it ends with this text.") var stop: String?
    @Flag(help: "Do not print the prime before the generated text.") var noEchoPrime = false
    @Option(help: "Threads for the numeric work.") var threads = 2
    @Option(help: "Beam search of this width instead of sampling: the most likely continuation (deterministic; ignores temperature, top-k, top-p, seed).")
    var beam: Int?

    func validate() throws {
        if prime != nil && primeFile != nil { throw ValidationError("give --prime or --prime-file, not both") }
        if count < 1 { throw ValidationError("--count must be ≥ 1, got \(count)") }
        if let beam, beam < 1 || beam > 1000 { throw ValidationError("--beam must be in 1...1000, got \(beam)") }
    }

    func run() throws {
        Parallelism.set(threads: threads)
        let ckpt = try Checkpoint.load(checkpoint)
        var primeText = prime ?? ""
        if let primeFile {
            guard let data = FileManager.default.contents(atPath: primeFile) else {
                throw CLIError("cannot read --prime-file \(primeFile)")
            }
            guard let s = String(data: data, encoding: .utf8) else { throw CLIError("--prime-file \(primeFile) is not valid UTF-8") }
            primeText = s
        }
        if let beam {
            let result = try BeamSearch(model: ckpt.model, vocabulary: ckpt.vocabulary, width: beam)
                .search(prime: primeText, length: sampling.length)
            for u in result.unknowns { Console.warning("prime: \(u) is not in the model's vocabulary; skipped") }
            Console.out((noEchoPrime ? "" : primeText) + result.text + "\n")
            Console.info(String(format: "beam %d: log-probability %.2f nats (%.3f per character)", beam,
                                result.logProbability, result.logProbability / Double(max(1, sampling.length))))
            return
        }
        if count > 1 && sampling.precision != .float32 {
            Console.warning("--precision \(sampling.precision.rawValue) applies to one stream; --count \(count) samples with f32 weights")
        }
        let generator = Generator(model: ckpt.model, vocabulary: ckpt.vocabulary, settings: try sampling.settings(),
                                  seed: seed, count: count, precision: sampling.precision)
        let unknowns = try generator.prime(primeText)
        for u in unknowns { Console.warning("prime: \(u) is not in the model's vocabulary; skipped") }
        Interrupt.install(hardExitOnSecond: true)
        if count == 1 {
            if !noEchoPrime { Console.out(primeText) }
            generator.generate(length: sampling.length, stop: stop) { _, piece in
                Console.out(piece)
                return !Interrupt.requested
            }
            Console.out("\n")
        } else {
            let texts = generator.generate(length: sampling.length, stop: stop) { _, _ in !Interrupt.requested }
            for (i, t) in texts.enumerated() {
                Console.out("--- sample \(i + 1)\n" + (noEchoPrime ? "" : primeText) + t + "\n")
            }
        }
    }
}

/// A user error with a message of our own.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}

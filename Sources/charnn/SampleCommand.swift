import ArgumentParser
import Checkpointing
import FileIO
import Foundation
import Models
import NeuralCore
import Sampling
import Tokenization

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Generate text from a checkpoint.",
        discussion: """
            CKPT is a checkpoint directory or a run directory (then best/, else latest/). Characters of \
            the prime that the model has never seen are skipped with a warning. Ctrl-C stops the \
            generation: the text so far stays printed, and the status is 130.
            """)

    @Argument(help: "Checkpoint or run directory.") var checkpoint: String
    @Option(help: "Text to start from.") var prime: String?
    @Option(help: "Read the text to start from this file.") var primeFile: String?
    @OptionGroup(title: "Sampling") var sampling: SamplingOptions
    @OptionGroup(title: "Sampling") var length: LengthOption
    @OptionGroup(title: "Sampling") var seed: SeedOptions
    @Option(parsing: .unconditional, help: "Number of independent samples, generated as one batch (1...65536).")
    var count = 1
    @Option(help: "Stop a sample once it ends with this text.") var stop: String?
    @Flag(help: "Do not print the prime before the generated text.") var noEchoPrime = false
    @Option(
        parsing: .unconditional,
        help: """
            Beam search of this width instead of sampling (1...1000): the most likely continuation \
            (deterministic; ignores temperature, top-k, top-p, seed).
            """)
    var beam: Int?
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        if prime != nil && primeFile != nil { throw ValidationError("give --prime or --prime-file, not both") }
        try Check.range("--count", count, Limits.count)
        try Check.range("--beam", beam, Limits.beam)
        // Several samples are kept in memory until the end: bound the characters held.
        let (held, overflow) = count.multipliedReportingOverflow(by: length.length)
        if count > 1 && (overflow || held > Limits.length.upperBound) {
            throw ValidationError(
                "--count \(count) × --length \(length.length) must be ≤ \(Limits.length.upperBound) characters")
        }
    }

    func run() throws {
        Parallelism.set(threads: threads.threads)
        Interrupt.exitAtOnce(saying: "interrupted before sampling: nothing printed")
        let ckpt = try Checkpoint.load(checkpoint, optimizerState: false)
        var primeText = prime ?? ""
        if let primeFile {
            do { primeText = try decodeText(ReadableFile.bytes(at: primeFile, limit: 1 << 26), path: primeFile) } catch
            {
                throw CLIError("--prime-file \(describe(error))")
            }
        }
        let length = self.length.length
        if let beam {
            // A beam search cannot stop half-way with a useful result: a signal ends it at once.
            Interrupt.exitAtOnce(saying: "interrupted: the beam search was stopped, nothing printed")
            let result = try BeamSearch(model: ckpt.model, vocabulary: ckpt.vocabulary, width: beam)
                .search(prime: primeText, length: length)
            for u in result.unknowns { Console.warning("prime: \(u) is not in the model's vocabulary; skipped") }
            Console.out((noEchoPrime ? "" : primeText) + result.text + "\n")
            Console.info(
                String(
                    format: "beam %d: log-probability %.2f nats (%.3f per character)", beam,
                    result.logProbability, result.logProbability / Double(max(1, length))))
            return
        }
        if count > Predictor.maximumStepBatch && precision.precision != .float32 {
            Console.warning(
                "--precision \(precision.precision.rawValue) applies to up to \(Predictor.maximumStepBatch) streams; "
                    + "--count \(count) samples with f32 weights")
        }
        let generator = Generator(
            model: ckpt.model, vocabulary: ckpt.vocabulary, settings: try sampling.settings(),
            seed: seed.value, count: count, precision: precision.precision)
        let unknowns = try generator.prime(primeText)
        for u in unknowns { Console.warning("prime: \(u) is not in the model's vocabulary; skipped") }
        Interrupt.cooperate(again: "interrupted again: exiting at once; the text so far is printed above")
        var generated = 0
        if count == 1 {
            if !noEchoPrime { Console.out(primeText) }
            generator.generate(length: length, stop: stop) { _, piece in
                Console.out(piece)
                generated += 1
                return !Interrupt.requested
            }
            Console.out("\n")
        } else {
            let texts = generator.generate(length: length, stop: stop) { _, _ in !Interrupt.requested }
            for (i, t) in texts.enumerated() {
                Console.out("--- sample \(i + 1)\n" + (noEchoPrime ? "" : primeText) + t + "\n")
            }
        }
        if Interrupt.requested {
            Console.info(
                count == 1
                    ? "interrupted after \(generated) of \(length) characters: the text so far is printed above"
                    : "interrupted: the \(count) samples so far are printed above")
            throw ExitCode(Interrupt.exitStatus)
        }
    }
}

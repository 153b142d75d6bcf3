import ArgumentParser
import Evaluation
import FileIO
import Foundation

/// Synthetic corpora with known structure, for probing what a model remembers.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth", abstract: "Write a synthetic corpus with dependencies at controlled distances.",
        subcommands: [SynthBrackets.self])
}

struct SynthBrackets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brackets",
        abstract: "Random letters with nested bracket pairs ( [ { < whose closer comes D later.",
        discussion: """
            The filler is uniformly random lowercase letters: nothing local predicts it. A pair opened \
            outside every other draws its distance D (closer index − opener index) log-uniformly from \
            --span; a pair opened inside another draws from --span cut to the room left before the \
            outer closer. Which closer comes is decided by the opener D characters back, so \
            `charnn eval CKPT FILE --memory-probe` and `charnn compare --memory-probe` on this text \
            measure memory as a curve of closer-choice loss against D (log 4 ≈ 1.386 nats = forgotten). \
            Prints the number of pairs and their distances per octave.
            """)

    @Option(help: "Distances between an opener and its closer, LO...HI (2 ≤ LO ≤ HI ≤ 1000000).")
    var span: String = "5...200"
    @Option(help: "Characters to write: N, or with K or M (thousands, millions), at most 500M.")
    var chars: String = "1M"
    @Option(help: "Output file.") var out: String
    @Option(help: "Seed: the same seed gives the same text.") var seed: UInt64 = 1

    static func parseSpan(_ s: String) -> ClosedRange<Int>? {
        let parts = s.components(separatedBy: "...")
        guard parts.count == 2, let lo = Int(parts[0].trimmingCharacters(in: .whitespaces)),
            let hi = Int(parts[1].trimmingCharacters(in: .whitespaces)),
            lo >= 2, lo <= hi, hi <= 1_000_000
        else { return nil }
        return lo...hi
    }

    static func parseCount(_ s: String) -> Int? {
        let t = s.trimmingCharacters(in: .whitespaces).uppercased()
        var scale = 1, digits = Substring(t)
        if t.hasSuffix("K") { scale = 1000; digits = t.dropLast() }
        if t.hasSuffix("M") { scale = 1_000_000; digits = t.dropLast() }
        guard let n = Double(digits), n.isFinite, n >= 1 else { return nil }
        let value = n * Double(scale)
        guard value <= 500_000_000, value == value.rounded(.down) else { return nil }
        return Int(value)
    }

    func validate() throws {
        guard Self.parseSpan(span) != nil else {
            throw ValidationError("--span takes LO...HI with 2 ≤ LO ≤ HI ≤ 1000000, e.g. 5...200; got '\(span)'")
        }
        guard Self.parseCount(chars) != nil else {
            throw ValidationError("--chars takes a whole number of characters 1...500M (e.g. 2M, 500K); got '\(chars)'")
        }
    }

    func run() throws {
        guard let span = Self.parseSpan(span), let count = Self.parseCount(chars) else { return }
        let corpus = BracketCorpus(count: count, span: span, seed: seed)
        do { try DurableFile.write(corpus.bytes, to: out) } catch { throw CLIError(error.description) }
        var octaves: [Int: Int] = [:]
        for p in corpus.pairs { octaves[MemoryProbe.bucket(of: p.distance), default: 0] += 1 }
        let spread = octaves.keys.sorted().map { k in
            let (from, to) = MemoryProbe.bounds(ofBucket: k)
            return "\(from)-\(to): \(octaves[k]!)"
        }.joined(separator: ", ")
        Console.info("wrote \(out): \(count) characters, \(corpus.pairs.count) bracket pairs (distances \(spread))")
    }
}

import ArgumentParser
import Checkpointing
import FileIO
import Foundation
import Inspection
import Models
import NeuralCore
import TensorIO
import Tokenization

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Look inside a model over a text: a self-contained page and its numbers.",
        discussion: """
            Runs the model over TEXT (one stream from a zero state) and writes DIR/index.html — the text \
            coloured by surprisal (hover: top predictions), any unit's hidden value, cell state and gates, \
            the units that best track simple properties of the text, the gate-saturation scatter of each \
            layer — and DIR/inspect.json with the numbers behind it. The page needs no network.
            """)

    /// Longest text a page holds: its size grows with characters × layers × units × signals.
    static let maximumCharacters = 5000

    @Argument(help: "Checkpoint or run directory.") var checkpoint: String
    @Argument(help: "Text file to look at (at most \(maximumCharacters) characters, or use --first).") var text: String
    @Option(help: "Directory to write index.html and inspect.json into (created).") var out = "inspect"
    @Option(parsing: .unconditional, help: "Inspect only the first N characters of TEXT (2...\(maximumCharacters)).")
    var first: Int?
    @Option(parsing: .unconditional, help: "Units listed per property of the text (1...100).") var top = 5
    @OptionGroup var unknown: UnknownOption
    @Flag(help: "Also write every signal as float32 [characters, units] to DIR/activations.safetensors.")
    var activations = false
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        try Check.range("--first", first, 2...Self.maximumCharacters)
        try Check.range("--top", top, 1...100)
    }

    func run() throws {
        Parallelism.set(threads: threading.threads)
        let ckpt = try Checkpoint.load(checkpoint, optimizerState: false)
        let (encoded, unknowns) = try CorpusEncoder.encode(
            path: text, vocabulary: ckpt.vocabulary,
            unknown: unknown.policy)
        for u in unknowns { Console.warning("\(text): \(u) is not in the model's vocabulary; skipped") }
        var ids = (0..<encoded.count).map { encoded[$0] }
        if let first { ids = Array(ids.prefix(first)) }
        guard ids.count >= 2 else {
            throw CLIError("\(text) holds \(ids.count) character(s): nothing to inspect (need at least 2)")
        }
        guard ids.count <= Self.maximumCharacters else {
            throw CLIError(
                "\(text) holds \(ids.count) characters; inspect takes at most \(Self.maximumCharacters) "
                    + "(use --first N to inspect the first N)")
        }
        let report = try Self.writePage(
            model: ckpt.model, vocabulary: ckpt.vocabulary, ids: ids, source: checkpoint,
            out: out, top: top, activations: activations)
        let mean = report.meanSurprisalNats ?? 0
        Console.out(
            String(
                format: "%@: %d characters, mean surprisal %.4f nats/char; wrote %@\n",
                text, ids.count, mean, (out as NSString).appendingPathComponent("index.html")))
        for r in report.ranking where r.varies {
            guard let best = r.best.first else { continue }
            let name = r.property.padding(toLength: max(14, r.property.count), withPad: " ", startingAt: 0)
            Console.out(
                String(
                    format: "  %@ best unit: layer %d %@[%d], r = %+.3f (chance level %.3f)\n", name,
                    best.layer, best.kind, best.unit, best.r, r.chanceLevel ?? 0))
        }
    }

    /// Runs `model` over `ids` (from `state`, or zero) and writes `out`/index.html and `out`/inspect.json
    /// (and `out`/activations.safetensors with `activations`); the REPL's `/inspect` can call it too.
    /// - Throws: `CLIError` naming the directory or file that cannot be written.
    static func writePage(
        model: LanguageModel, vocabulary: Vocabulary, ids: [Int32], source: String, out: String,
        top: Int = 5, activations: Bool = false,
        state: ModelState? = nil
    ) throws -> InspectionReport {
        precondition(!ids.isEmpty, "nothing to inspect")
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw CLIError("cannot create the output directory: \(describe(error))")
        }
        let trace = ActivationTrace(model: model, ids: ids, topK: 5, state: state)
        let report = InspectionReport(trace: trace, tokenText: vocabulary.tokens, source: source, top: top)
        let page = try InspectionPage.html(report: report, trace: trace)
        try write(Data(page.utf8), to: out, "index.html")
        try write(try report.json(), to: out, "inspect.json")
        if activations {
            let path = (out as NSString).appendingPathComponent("activations.safetensors")
            try SafeTensors.write(tensors(trace), to: path)
        }
        return report
    }

    /// `layer{l}.{kind}` [N, H] float32 for every signal: time-major, as PyTorch's outputs are.
    static func tensors(_ trace: ActivationTrace) -> [TensorRecord] {
        let c = trace.config, N = trace.length, H = c.hidden
        var records: [TensorRecord] = []
        for l in 0..<c.layers {
            for kind in trace.kinds {
                var values = [Float](repeating: 0, count: N * H)
                for u in 0..<H {
                    let series = trace.series(Signal(layer: l, kind: kind, unit: u))
                    for (t, v) in series.enumerated() { values[t * H + u] = v }
                }
                records.append(TensorRecord(name: "layer\(l).\(kind.rawValue)", shape: [N, H], values: values))
            }
        }
        return records + [TensorRecord(name: "tokens", shape: [N], values: trace.ids.map(Float.init))]
    }

    static func write(_ data: Data, to out: String, _ name: String) throws {
        let path = (out as NSString).appendingPathComponent(name)
        do { try DurableFile.write([UInt8](data), to: path) } catch { throw CLIError(error.description) }
    }
}

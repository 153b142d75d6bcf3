import ArgumentParser
import Foundation
import Models
import NeuralCore
import Tokenization
import Training

extension SizeMatching: ExpressibleByArgument {}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Compare cells (LSTM vs GRU, …) on the same data, seeds and budget.",
        discussion: """
        Every cell trains on the same split and data order, from the same seeds, with the same \
        optimizer and budget (--steps, or --max-time of training per run; evaluations are not \
        counted). Prints a table and writes DIR/compare.json and DIR/compare.svg.
        """)

    @Argument(help: "UTF-8 text file.") var corpus: String
    @Option(help: "Comma-separated cells: lstm, gru, rnn, peephole.") var cells: String = "lstm,gru"
    @Option(help: "hidden: same width; params: widths matched to the first cell's parameter count (±2%).")
    var match: SizeMatching = .params
    @Option(help: "Training steps per run.") var steps: Int?
    @Option(help: "Training time per run (e.g. 90s, 10m).") var maxTime: Duration?
    @Option(help: "Comma-separated seeds; each cell runs once per seed (mean ± std).") var seeds: String = "1"
    @Option(help: "Output directory.") var out: String = "runs/compare"
    @Option(help: "Layers.") var layers = 2
    @Option(help: "Hidden size (of the first cell when matching parameters).") var hidden = 256
    @Option(help: "Embedding size (default: --hidden).") var embedding: Int?
    @Option(parsing: .unconditional, help: "Dropout.") var dropout: Float = 0
    @Option(help: "Streams per batch (B).") var batch = 50
    @Option(help: "BPTT steps (S).") var seq = 50
    @Option(help: "adam, rmsprop or sgd.") var optimizer: OptimizerKind = .adam
    @Option(parsing: .unconditional, help: "Learning rate.") var lr: Float?
    @Option(parsing: .unconditional, help: "Gradient-norm clip.") var clip: Float = 5
    @Option(help: "Validation evaluations per run.") var evaluations = 20
    @Option(help: "Fraction of the corpus kept for validation.") var valFraction: Double = 0.1
    @Option(help: "Text unit: grapheme, scalar or byte.") var unit: TextUnit = .grapheme
    @Option(help: "Threads for the numeric work.") var threads = 2

    var cellList: [CellKind] { cells.split(separator: ",").compactMap { CellKind(rawValue: $0.trimmingCharacters(in: .whitespaces).lowercased()) } }
    var seedList: [UInt64] { seeds.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        let names = cells.split(separator: ",")
        guard !names.isEmpty, cellList.count == names.count else {
            throw ValidationError("--cells takes a comma-separated list of lstm, gru, rnn, peephole; got '\(cells)'")
        }
        guard !seedList.isEmpty, seedList.count == seeds.split(separator: ",").count else {
            throw ValidationError("--seeds takes a comma-separated list of non-negative integers; got '\(seeds)'")
        }
        if steps == nil && maxTime == nil { throw ValidationError("give a budget: --steps N or --max-time D") }
        if let s = steps, s < 1 { throw ValidationError("--steps must be ≥ 1, got \(s)") }
        if hidden < 1 || layers < 1 || batch < 1 || seq < 1 { throw ValidationError("--hidden, --layers, --batch and --seq must be ≥ 1") }
        if evaluations < 1 { throw ValidationError("--evaluations must be ≥ 1") }
        if !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be > 0, got \(lr)") }
        if !(clip >= 0) { throw ValidationError("--clip must be ≥ 0, got \(clip)") }
        if !(valFraction > 0 && valFraction < 1) { throw ValidationError("--val-fraction must be in (0, 1), got \(valFraction)") }
    }

    func run() throws {
        Parallelism.set(threads: threads)
        var settings = TrainingSettings()
        settings.batch = batch
        settings.steps = seq
        settings.optimizer = OptimizerSettings(kind: optimizer, learningRate: lr)
        settings.clip = clip
        settings.schedule = .constant
        settings.budget = TrainingBudget(steps: steps, maxTime: maxTime?.seconds)
        settings.validationFraction = valFraction
        let spec = ComparisonSpec(cells: cellList, match: match, layers: layers, hidden: hidden, embedding: embedding,
                                  dropout: dropout, settings: settings, seeds: seedList, evaluations: evaluations)
        Interrupt.install(hardExitOnSecond: true)
        let tty = Console.stderrIsTerminal
        var lastLog = Date.distantPast
        let report = try Comparison.run(
            corpus: corpus, text: TextOptions(unit: unit), spec: spec,
            onProgress: { cell, seed, step, seconds, loss in
                let line = String(format: "%@ seed %llu | step %d | %.0fs | loss %.4f", cell.rawValue, seed, step, seconds, loss)
                if tty { Console.status(line) } else if Date().timeIntervalSince(lastLog) > 15 { Console.info(line); lastLog = Date() }
            },
            onRunFinished: { r in
                Console.endStatus()
                Console.info(String(format: "%@ seed %llu: hidden %d, %d steps in %.0fs, val loss %.4f nats",
                                    r.cell.rawValue, r.seed, r.hidden, r.steps, r.trainSeconds, r.validation.lossNats))
            },
            shouldStop: { Interrupt.requested })
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let jsonPath = (out as NSString).appendingPathComponent("compare.json")
        let svgPath = (out as NSString).appendingPathComponent("compare.svg")
        try enc.encode(report).write(to: URL(fileURLWithPath: jsonPath))
        try Data(Comparison.chart(report).utf8).write(to: URL(fileURLWithPath: svgPath))
        print(table(report))
        Console.info("wrote \(jsonPath) and \(svgPath)")
        if Interrupt.requested { throw ExitCode(130) }
    }

    func table(_ r: ComparisonReport) -> String {
        let header = ["cell", "hidden", "params", "steps", "train chars/s", "train loss", "val loss (nats)", "bpc", "ppl", "wall"]
        var rows = [header]
        for s in r.summaries {
            let val = s.seeds > 1 ? String(format: "%.4f ± %.4f", s.valLossMean, s.valLossStd) : String(format: "%.4f", s.valLossMean)
            rows.append([s.cell.rawValue, "\(s.hidden)", "\(s.parameters)", String(format: "%.0f", s.steps),
                         String(format: "%.0f", s.trainCharsPerSecond), String(format: "%.4f", s.trainLoss), val,
                         String(format: "%.4f", s.bpc), String(format: "%.3f", s.perplexity), Format.duration(s.wallSeconds)])
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max()! }
        return rows.enumerated().map { n, row in
            let line = row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
            return n == 0 ? line + "\n" + String(repeating: "-", count: line.count) : line
        }.joined(separator: "\n")
    }
}

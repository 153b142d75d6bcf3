import ArgumentParser
import Comparison
import FileIO
import Foundation
import Models
import NeuralCore
import Training

extension SizeMatching: ExpressibleByArgument {}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Compare cells (LSTM vs GRU, …) on the same data, seeds and budget.",
        discussion: """
            Every cell trains on the same split and data order, from the same seeds, with the same \
            optimizer and budget (--steps, or --max-time of training per run). The budget counts training \
            only, so that every cell gets the same training whatever its evaluations cost: the \
            evaluations come on top, and the estimated total is printed before the first run and shown \
            in the progress line. Prints a table and writes DIR/compare.json and DIR/compare.svg. Ctrl-C \
            stops the current run: the finished runs are written, the interrupted one is marked (status 130).

            --data-fractions 0.05,0.2,1 repeats the comparison with each cell trained on the first 5%, \
            20% and all of the training part (the validation part is the same). The budget is per run: \
            --steps N gives every run N steps and --max-time D every run D of training, whatever its \
            fraction, so a small fraction makes many passes (the table prints the epochs). \
            --memory-probe scores each finished run's validation part one character at a time and reports \
            the loss by distance since the last opening bracket, quote or newline, and at each closing \
            bracket by distance to its opener (see docs/claims.md).
            """)

    @Argument(help: "UTF-8 text file.") var corpus: String
    @Option(help: "Comma-separated cells: lstm, gru, rnn, peephole.") var cells: String = "lstm,gru"
    @Option(help: "hidden: same width; params: widths matched to the first cell's parameter count (±2%).")
    var match: SizeMatching = .params
    @Option(help: "Comma-separated seeds; each cell runs once per seed (mean ± std).") var seeds: String = "1"
    @Option(help: "Comma-separated fractions in (0, 1] of the training part each cell trains on, e.g. 0.05,0.2,1.")
    var dataFractions: String = "1"
    @OptionGroup var memoryProbe: MemoryProbeOption
    @Option(help: "Output directory (checked before any training).") var out: String = "runs/compare"
    @OptionGroup(title: "Model") var model: ModelGroup<CompareDefaults>
    @OptionGroup(title: "Optimizer") var optimizer: OptimizerGroup<CompareDefaults>
    @OptionGroup(title: "Batches") var batches: BatchGroup<CompareDefaults>
    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Budget per run (--steps or --max-time)") var budget: BudgetGroup<CompareDefaults>
    @Option(parsing: .unconditional, help: "Validation evaluations per run (1...100000).") var evaluations = 20
    @OptionGroup var threads: ThreadOptions

    var cellList: [CellKind] {
        cells.split(separator: ",").compactMap {
            CellKind(rawValue: $0.trimmingCharacters(in: .whitespaces).lowercased())
        }
    }
    var seedList: [UInt64] {
        seeds.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out: the path is empty ('')") }
        let names = cells.split(separator: ",")
        guard !names.isEmpty, cellList.count == names.count else {
            throw ValidationError("--cells takes a comma-separated list of lstm, gru, rnn, peephole; got '\(cells)'")
        }
        guard !seedList.isEmpty, seedList.count == seeds.split(separator: ",").count else {
            throw ValidationError(
                "--seeds takes a comma-separated list of integers in 0...\(UInt64.max); got '\(seeds)'")
        }
        let fractions: [Double]
        do { fractions = try Comparison.parseFractions(dataFractions) } catch { throw ValidationError(describe(error)) }
        guard cellList.count * seedList.count * fractions.count <= 1000 else {
            throw ValidationError(
                "--cells × --seeds × --data-fractions must make at most 1000 runs, got "
                    + "\(cellList.count * seedList.count * fractions.count)")
        }
        if budget.epochs != nil {
            throw ValidationError(
                "compare takes --steps or --max-time (evaluations are spread over them), not --epochs")
        }
        if budget.steps == nil && budget.maxTime == nil {
            throw ValidationError("give a budget: --steps N or --max-time D")
        }
        try Check.range("--evaluations", evaluations, Limits.evaluations)
        try Check.shape(batch: batches.batch, seq: batches.seq, width: model.width, layers: model.layers)
    }

    /// The comparison the options describe.
    var spec: ComparisonSpec {
        var spec = ComparisonSpec(
            cells: cellList, match: match, layers: model.layers, hidden: model.hiddenSize,
            embedding: model.embedding, dropout: model.dropout,
            settings: trainingSettings(
                model: model, optimizer: optimizer, batches: batches, budget: budget.budget,
                validationFraction: data.valFraction),
            seeds: seedList, evaluations: evaluations)
        spec.memoryProbe = memoryProbe.memoryProbe
        return spec
    }

    func run() throws {
        Parallelism.set(threads: threads.threads)
        let spec = self.spec
        let fractions = try Comparison.parseFractions(dataFractions)
        // Under mpirun every rank prepares the same plan and runs its share of the runs (round-robin);
        // rank 0 gathers them and writes what one process would (docs/distributed.md).
        let world = Job.world
        Job.silenceOtherRanks()
        // The results must have somewhere to go: find out before hours of training.
        let created = try Job.together { world.isRoot ? try prepareOutput() : false }
        Interrupt.exitAtOnce(saying: "interrupted before training started: nothing written")
        let report: ComparisonReport
        do {
            // The plan checks the corpus and every cell against the memory estimate before the
            // first run (it knows each cell's width only once the corpus is read).
            let plan = try Job.together {
                try ComparisonPlan(corpus: corpus, text: data.text, spec: spec, fractions: fractions)
            }
            // What the runs will take, evaluations included (the budget counts training only).
            let estimate = try Job.together { try plan.estimate() }
            let total = estimate.totalSeconds / Double(world.size)
            Console.info(estimateLine(plan, estimate, ranks: world.size))
            var progress = CompareProgress(runs: plan.runCount, estimate: total, tty: Console.stderrIsTerminal)
            var cooperating = false
            guard
                let runs = try plan.run(
                    on: world, describing: describe,
                    onProgress: { progress.step(cell: $0, seed: $1, step: $2, seconds: $3, loss: $4) },
                    onRunFinished: { progress.finished($0, multiFraction: fractions.count > 1) },
                    shouldStop: {
                        // First called once the corpus is read and training begins: from then on a
                        // signal stops the current run, and the finished ones are written.
                        if !cooperating {
                            cooperating = true
                            Interrupt.cooperate(again: "interrupted again: exiting at once; nothing written")
                        }
                        return Interrupt.requested
                    })
            else { throw ExitCode(Interrupt.requested ? Interrupt.exitStatus : 0) }
            report = plan.report(runs: runs)
        } catch {
            if created { try? FileManager.default.removeItem(atPath: out) }
            throw error
        }
        let paths: (json: String, figure: String)
        do { paths = try report.write(into: out) } catch {
            throw CLIError("cannot write the comparison: \(describe(error))")
        }
        Console.out(table(report) + "\n")
        if let probes = report.memoryProbes { Console.out(probeTable(probes) + "\n") }
        Console.info("wrote \(paths.json) and \(paths.figure)")
        if let bad = report.runs.first(where: { !$0.interrupted && !($0.validation?.lossNats.isFinite ?? false) }) {
            throw CLIError(
                "\(bad.cell.rawValue) seed \(bad.seed): the validation loss is not finite; "
                    + "no comparison to report (try a lower --lr or --clip)")
        }
        if report.interrupted {
            let finished = report.runs.filter { !$0.interrupted }.count
            Console.info(
                "interrupted: \(finished) of \(spec.cells.count * spec.seeds.count * fractions.count) runs "
                    + "finished; \(paths.json) "
                    + "holds them, and an interrupted run is marked \"interrupted\" (not compared)")
            throw ExitCode(Interrupt.exitStatus)
        }
    }

    /// "4 runs, each 40s of training + 20 evaluations of 11,154 characters (~3s each): about 5m20s in all".
    func estimateLine(_ plan: ComparisonPlan, _ e: ComparisonEstimate, ranks: Int) -> String {
        let cells = e.cells.map { c in
            String(
                format: "%@ %@ of training + %d evaluations (~%@ each)", c.cell.rawValue,
                Format.duration(c.trainSeconds), c.evaluations,
                c.evaluationSeconds < 10
                    ? String(format: "%.1fs", c.evaluationSeconds) : Format.duration(c.evaluationSeconds))
        }
        let threads = Parallelism.count == 1 ? "1 thread" : "\(Parallelism.count) threads"
        let over = ranks > 1 ? " over \(ranks) ranks, \(threads) each" : ""
        return
            "\(plan.runCount) run\(plan.runCount == 1 ? "" : "s")\(over) (per run: \(cells.joined(separator: "; ")), "
            + "on \(Format.count(plan.validationCount)) validation characters): estimated "
            + "\(Format.duration(e.totalSeconds / Double(ranks))) in all, of which "
            + "\(Format.duration(e.evaluationSeconds / Double(ranks))) evaluating"
    }

    /// Creates --out and proves that files can be written in it. Returns whether it was created.
    func prepareOutput() throws -> Bool {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let existed = fm.fileExists(atPath: out, isDirectory: &isDir)
        if existed && !isDir.boolValue { throw CLIError("--out \(quotedPath(out)): not a directory") }
        // mkdir(2) component by component: its errno ("Not a directory") says what is wrong,
        // where Foundation only says "cannot be written".
        var prefix = out.hasPrefix("/") ? "/" : ""
        for part in out.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw CLIError("cannot create --out \(quotedPath(out)): \(quotedPath(prefix)): \(errnoReason(errno))")
            }
        }
        guard fm.fileExists(atPath: out, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("cannot create --out \(quotedPath(out)): not a directory")
        }
        for name in ["compare.json", "compare.svg"] {
            let p = (out as NSString).appendingPathComponent(name)
            if fm.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue {
                throw CLIError("\(quotedPath(p)) is a directory")
            }
        }
        let probe = (out as NSString).appendingPathComponent(".compare-probe-\(getpid())")
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        if fd < 0 {
            let reason = errnoReason(errno)
            if !existed { try? fm.removeItem(atPath: out) }
            throw CLIError("cannot write in --out \(quotedPath(out)): \(reason)")
        }
        close(fd)
        unlink(probe)
        return !existed
    }

    func table(_ r: ComparisonReport) -> String {
        let header = [
            "cell", "hidden", "params", "data", "steps", "epochs", "train chars/s", "train loss",
            "val loss (nats)", "bpc", "ppl", "wall",
        ]
        var rows = [header]
        let dash = "—"
        for s in r.summaries {
            let val =
                s.seeds > 1
                ? String(format: "%.4f ± %.4f", s.valLossMean, s.valLossStd) : String(format: "%.4f", s.valLossMean)
            rows.append([
                s.cell.rawValue, "\(s.hidden)", "\(s.parameters)", Comparison.percent(s.fraction),
                String(format: "%.0f", s.steps), String(format: "%.1f", s.epochs),
                String(format: "%.0f", s.trainCharsPerSecond), String(format: "%.4f", s.trainLoss), val,
                String(format: "%.4f", s.bpc), String(format: "%.3f", s.perplexity), Format.duration(s.wallSeconds),
            ])
        }
        // Interrupted runs: what they did, but no validation result to compare.
        for run in r.runs where run.interrupted {
            rows.append([
                run.cell.rawValue + " (interrupted)", "\(run.hidden)", "\(run.parameters)",
                Comparison.percent(run.fraction), "\(run.steps)", String(format: "%.1f", run.epochs),
                String(format: "%.0f", run.trainCharsPerSecond),
                run.trainLoss.isFinite ? String(format: "%.4f", run.trainLoss) : dash, dash, dash, dash,
                Format.duration(run.wallSeconds),
            ])
        }
        return aligned(rows)
    }
}

/// compare's progress on stderr: the current run, and the time so far against the estimate.
struct CompareProgress {
    let runs: Int
    /// The estimated seconds of this process's runs, evaluations included.
    let estimate: Double
    let tty: Bool
    let start = Date()
    var run = 1
    var lastLog = Date.distantPast

    /// "1m02s of ~5m20s".
    var elapsedText: String {
        "\(Format.duration(Date().timeIntervalSince(start))) of ~\(Format.duration(estimate))"
    }

    mutating func step(cell: CellKind, seed: UInt64, step: Int, seconds: Double, loss: Double) {
        let line =
            String(
                format: "run %d/%d | %@ seed %llu | step %d | %.0fs | loss %.4f | ", run, runs, cell.rawValue, seed,
                step, seconds, loss) + elapsedText
        if tty {
            Console.status(line)
        } else if Date().timeIntervalSince(lastLog) > 15 {
            Console.info(line)
            lastLog = Date()
        }
    }

    mutating func finished(_ r: ComparisonRun, multiFraction: Bool) {
        Console.endStatus()
        run += 1
        let data = multiFraction ? " on \(Comparison.percent(r.fraction)) of the data" : ""
        if let v = r.validation {
            Console.info(
                String(
                    format: "%@ seed %llu%@: hidden %d, %d steps (%.1f epochs) in %.0fs, val loss %.4f nats (%@)",
                    r.cell.rawValue, r.seed, data, r.hidden, r.steps, r.epochs, r.trainSeconds, v.lossNats,
                    elapsedText))
        } else {
            Console.info(
                String(
                    format: "%@ seed %llu: interrupted at step %d after %.0fs (not compared)",
                    r.cell.rawValue, r.seed, r.steps, r.trainSeconds))
        }
    }
}

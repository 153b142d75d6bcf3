import Evaluation
import Foundation
import Models
import Optimization
import Plotting
import Tokenization
import Training

/// How the cells of a comparison are sized.
public enum SizeMatching: String, Codable, Sendable, CaseIterable {
    /// Every cell gets the same hidden size.
    case hidden
    /// Hidden sizes are chosen so parameter counts are within 2% of the first cell's.
    case params
}

/// A comparison of cells on the same data, split, data order, seeds, optimizer and budget.
public struct ComparisonSpec: Sendable {
    public var cells: [CellKind]
    public var match: SizeMatching
    public var layers: Int
    public var hidden: Int
    public var embedding: Int?
    public var dropout: Float
    public var settings: TrainingSettings
    public var seeds: [UInt64]
    /// Evaluations per run (spread over the budget).
    public var evaluations: Int
    /// The runs train on the first `trainFraction` of the training part (the validation part is
    /// the same); `Comparison.run(…, fractions:)` sets it per fraction.
    public var trainFraction: Double = 1
    /// Whether each finished run is also scored by the long-range memory probe (one stream over
    /// the validation part, see `MemoryProbe`).
    public var memoryProbe = false
    /// The probe's symbols in the corpus's vocabulary (set by `run` when `memoryProbe`).
    var probeSymbols: ProbeSymbols?

    public init(
        cells: [CellKind], match: SizeMatching, layers: Int, hidden: Int, embedding: Int?, dropout: Float,
        settings: TrainingSettings, seeds: [UInt64], evaluations: Int = 20
    ) {
        self.cells = cells
        self.match = match
        self.layers = layers
        self.hidden = hidden
        self.embedding = embedding
        self.dropout = dropout
        self.settings = settings
        self.seeds = seeds
        self.evaluations = evaluations
    }
}

/// One point of a validation curve.
public struct CurvePoint: Codable, Equatable, Sendable {
    public var step: Int
    public var seconds: Double
    public var trainLoss: Double
    public var valLoss: Double
    enum CodingKeys: String, CodingKey { case step, seconds, trainLoss = "train_loss", valLoss = "val_loss" }
}

/// The result of one cell with one seed.
public struct ComparisonRun: Codable, Sendable {
    public var cell: CellKind
    public var seed: UInt64
    public var hidden: Int
    public var parameters: Int
    public var steps: Int
    /// Training seconds (evaluations excluded).
    public var trainSeconds: Double
    public var wallSeconds: Double
    public var trainCharsPerSecond: Double
    public var trainLoss: Double
    /// The final validation; nil for a run that was interrupted (it has no final result).
    public var validation: LossReport?
    /// Stopped by `shouldStop` before its budget was spent: not a result to compare.
    public var interrupted: Bool
    public var history: [CurvePoint]
    /// The fraction of the training part this run trained on, and its characters.
    public var fraction: Double = 1
    public var trainChars: Int = 0
    /// Passes over its training data (a small fraction with a large budget makes many).
    public var epochs: Double = 0
    /// The long-range memory probe on the validation part (finished runs, when asked for).
    public var memoryProbe: MemoryProbeResult?

    enum CodingKeys: String, CodingKey {
        case cell, seed, hidden, parameters, steps, trainSeconds = "train_seconds", wallSeconds = "wall_seconds",
            trainCharsPerSecond = "train_chars_per_s", trainLoss = "train_loss", validation = "val", interrupted,
            history, fraction, trainChars = "train_chars", epochs, memoryProbe = "memory_probe"
    }
}

/// Mean and standard deviation over seeds for one cell.
public struct ComparisonSummary: Codable, Sendable {
    public var cell: CellKind
    public var hidden: Int
    public var parameters: Int
    public var steps: Double
    public var trainCharsPerSecond: Double
    public var trainLoss: Double
    public var valLossMean: Double
    public var valLossStd: Double
    public var bpc: Double
    public var perplexity: Double
    public var wallSeconds: Double
    public var seeds: Int
    /// The validation loss of each seed, in the order of `--seeds` (mean and std above are over these).
    public var valLosses: [Double] = []
    /// The fraction of the training part, its characters, and the mean passes over them.
    public var fraction: Double = 1
    public var trainChars: Int = 0
    public var epochs: Double = 0

    enum CodingKeys: String, CodingKey {
        case cell, hidden, parameters, steps, trainCharsPerSecond = "train_chars_per_s", trainLoss = "train_loss",
            valLossMean = "val_loss_nats", valLossStd = "val_loss_std", bpc, perplexity = "ppl",
            wallSeconds = "wall_seconds", seeds, valLosses = "val_loss_per_seed", fraction,
            trainChars = "train_chars", epochs
    }
}

/// Everything `compare.json` holds.
public struct ComparisonReport: Codable, Sendable {
    public var corpus: String
    public var unit: String
    public var vocabularySize: Int
    public var trainChars: Int
    public var validationChars: Int
    public var match: SizeMatching
    public var layers: Int
    public var batch: Int
    public var seq: Int
    public var optimizer: OptimizerSettings
    public var budget: TrainingBudget
    /// Over finished runs only.
    public var summaries: [ComparisonSummary]
    /// Finished and interrupted runs, in the order they ran.
    public var runs: [ComparisonRun]
    /// Whether the comparison was stopped before every run had finished.
    public var interrupted: Bool
    /// The data fractions compared (`--data-fractions`), ascending.
    public var fractions: [Double] = [1]
    /// The memory probe per cell and fraction, mean ± std over seeds (when it was asked for).
    public var memoryProbes: [ProbeSummary]?

    enum CodingKeys: String, CodingKey {
        case corpus, unit, vocabularySize = "vocab_size", trainChars = "train_chars", validationChars = "val_chars",
            match, layers, batch, seq, optimizer, budget, summaries = "cells", runs, interrupted, fractions,
            memoryProbes = "memory_probes"
    }
}

public enum Comparison {
    /// The hidden size per cell: the same for `.hidden`; for `.params`, the width whose
    /// parameter count is closest to the first cell's (within 2%, else an error).
    public static func hiddenSizes(spec: ComparisonSpec, vocabularySize V: Int) throws -> [Int] {
        guard let first = spec.cells.first else { return [] }
        func params(_ cell: CellKind, _ h: Int) -> Int {
            ModelConfig(
                cell: cell, layers: spec.layers, hidden: h, embedding: spec.embedding ?? spec.hidden,
                vocabularySize: V
            ).parameterCount
        }
        let target = params(first, spec.hidden)
        return try spec.cells.enumerated().map { i, cell in
            if spec.match == .hidden || i == 0 { return spec.hidden }
            // Parameter count grows with h: search the closest.
            var best = 1, bestGap = Int.max
            var lo = 1, hi = 16384
            while lo < hi {
                let mid = (lo + hi) / 2
                if params(cell, mid) < target { lo = mid + 1 } else { hi = mid }
            }
            for h in max(1, lo - 1)...(lo + 1) {
                let gap = abs(params(cell, h) - target)
                if gap < bestGap { best = h; bestGap = gap }
            }
            let rel = Double(bestGap) / Double(target)
            guard rel <= ComparisonError.parameterTolerance else {
                throw ComparisonError.cannotMatchParameters(
                    cell: cell, parameters: target, closestHidden: best,
                    relativeGap: rel)
            }
            return best
        }
    }

    /// Runs every cell with every seed on each fraction of the training part (fractions ascending),
    /// sequentially, on the same validation data. Every fraction is checked against one training
    /// window before the first run.
    ///
    /// - Parameters:
    ///   - fractions: `--data-fractions` (`[1]`: the whole training part).
    ///   - onProgress: (cell, seed, step, elapsed training seconds, last loss) while training.
    ///   - shouldStop: ends the comparison early (the runs so far are reported).
    public static func run(
        corpus: String, text: TextOptions, spec: ComparisonSpec, fractions: [Double] = [1],
        onProgress: (CellKind, UInt64, Int, Double, Double) -> Void,
        onRunFinished: (ComparisonRun) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) throws -> ComparisonReport {
        let plan = try ComparisonPlan(corpus: corpus, text: text, spec: spec, fractions: fractions)
        let runs = try plan.run(
            plan.runIndices, onProgress: onProgress, onRunFinished: onRunFinished,
            shouldStop: shouldStop)
        return plan.report(runs: runs.map { $0.run })
    }

    /// One cell with one seed: the training loop with `spec.evaluations` evaluations spread over
    /// the budget, each a point of the curve. Time counts training steps only, so every cell gets
    /// the same training time whatever its validation costs.
    static func runOne(
        config: ModelConfig, seed: UInt64, spec: ComparisonSpec, corpus: String,
        train: any TokenSource, validation: any TokenSource,
        onProgress: (CellKind, UInt64, Int, Double, Double) -> Void,
        shouldStop: () -> Bool
    ) throws -> ComparisonRun {
        var settings = spec.settings
        settings.seed = seed
        let wallStart = Date()
        let trainer: Trainer
        do {
            trainer = try Trainer(config: config, settings: settings, train: train, validation: validation)
        } catch TrainingError.corpusTooSmall(let n, let b, let s, nil) {
            throw TrainingError.corpusTooSmall(tokens: n, batch: b, steps: s, path: corpus)
        }
        let loop = TrainingLoop(trainer: trainer, schedule: .spread(spec.evaluations), timeIncludesEvaluations: false)
        var history: [CurvePoint] = []
        var last: (step: Int, report: LossReport?)? = nil
        let outcome = try loop.run(
            onStep: { s in
                if s.step % 10 == 0 { onProgress(config.cell, seed, s.step, s.trainSeconds, s.loss) }
            },
            onEvaluation: { e in
                history.append(
                    CurvePoint(
                        step: e.step, seconds: e.trainSeconds, trainLoss: e.trainLoss,
                        valLoss: e.validation?.lossNats ?? .nan))
                last = (e.step, e.validation)
            },
            shouldStop: shouldStop)
        let interrupted = outcome == .interrupted
        var final: LossReport? = nil
        if !interrupted {
            // The last evaluation is the final one when it saw the last step (the weights have not moved).
            final = last?.step == trainer.progress.step ? last?.report : trainer.validate()
        }
        let steps = trainer.progress.step, seconds = loop.trainSeconds
        let probe =
            interrupted
            ? nil
            : spec.probeSymbols.map {
                MemoryProbe.measure(model: trainer.model, data: validation, symbols: $0).probe
            }
        return ComparisonRun(
            cell: config.cell, seed: seed, hidden: config.hidden, parameters: config.parameterCount,
            steps: steps, trainSeconds: seconds, wallSeconds: Date().timeIntervalSince(wallStart),
            trainCharsPerSecond: seconds > 0
                ? Double(steps) * Double(settings.batch * settings.steps) / seconds : 0,
            trainLoss: loop.recentMeanLoss, validation: final, interrupted: interrupted,
            history: history, fraction: spec.trainFraction, trainChars: train.count,
            epochs: trainer.epochFloat, memoryProbe: probe)
    }

    /// The chart: validation loss against step and against training time, one line per cell
    /// (per cell and seed when there are several seeds).
    public static func chart(_ report: ComparisonReport) -> String {
        let multiSeed = Set(report.runs.map(\.seed)).count > 1
        func series(_ x: (CurvePoint) -> Double) -> [Series] {
            report.runs.map { r in
                let label = "\(r.cell.rawValue) (h \(r.hidden))" + (multiSeed ? " seed \(r.seed)" : "")
                return Series(label: label, x: r.history.map(x), y: r.history.map(\.valLoss))
            }
        }
        let name = (report.corpus as NSString).lastPathComponent
        let byStep = LineChart(
            title: "Validation loss by training step", xLabel: "training step",
            yLabel: "validation loss (nats/char)", series: series { Double($0.step) })
        let byTime = LineChart(
            title: "Validation loss by training time", xLabel: "training time (s)",
            yLabel: "validation loss (nats/char)", series: series(\.seconds))
        return SVGRenderer.render(
            [byStep, byTime], columns: 2,
            title: "charnn compare: \(name), \(report.layers) layers, matched \(report.match.rawValue)")
    }
}

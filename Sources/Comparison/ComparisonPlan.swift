import Checkpointing
import Evaluation
import Foundation
import Models
import NeuralCore
import Tokenization
import Training

/// A comparison ready to run: the corpus encoded, the cells sized and checked, the runs numbered.
///
/// Run `i` is, with C cells and S seeds, fraction `i / (C·S)`, cell `(i / S) % C` and seed `i % S` (the
/// order a single process runs them in: fractions ascending, then cells, then seeds).
/// Runs are independent, so several processes (the ranks of `mpirun -np N charnn compare`) can
/// each prepare the same plan, run a share of the indices (`share(rank:of:)`), and one of them
/// assemble the report from all the runs (`report(runs:)`): the same report as one process,
/// bit for bit in every figure that does not measure time, since a run depends only on its cell,
/// its seed and the data.
public struct ComparisonPlan: Sendable {
    public let corpus: String
    public let text: TextOptions
    public let spec: ComparisonSpec
    public let configs: [ModelConfig]
    /// The fractions of the training part (`--data-fractions`), ascending.
    public let fractions: [Double]
    public let vocabularySize: Int
    public let trainCount: Int, validationCount: Int
    let ids: TokenIDs
    let validation: TokenSlice<TokenIDs>

    /// Encodes the corpus (through the id cache), sizes the cells and checks that each one fits in memory
    /// and that each fraction of the training part holds one training window.
    ///
    /// - Throws: tokenization errors, `ComparisonError.validationTooSmall`, `FractionTooSmall`, `TrainingError`,
    ///   `ModelError`, `InsufficientMemory`.
    public init(corpus: String, text: TextOptions, spec: ComparisonSpec, fractions: [Double] = [1]) throws {
        try MemoryEstimate.require(MemoryEstimate.corpusFile(corpus) ?? 0, for: "encoding the corpus \(corpus)")
        let encoded = try CorpusCache.build(path: corpus, unit: text.unit, normalization: text.normalization)
        let ids = encoded.ids
        let split = splitPoint(count: ids.count, validationFraction: spec.settings.validationFraction)
        let validation = TokenSlice(ids, split..<ids.count)
        guard validation.count >= 2 else {
            throw ComparisonError.validationTooSmall(path: corpus, units: validation.count)
        }
        let fractions = fractions.isEmpty ? [1] : fractions.sorted()
        for f in fractions where f < 1 {
            let n = fractionEnd(split, f)
            if !StreamBatcher(count: n, batch: spec.settings.batch, steps: spec.settings.steps).isUsable {
                throw FractionTooSmall(fraction: f, chars: n, batch: spec.settings.batch, seq: spec.settings.steps)
            }
        }
        var spec = spec
        if spec.memoryProbe { spec.probeSymbols = ProbeSymbols(vocabulary: encoded.vocabulary) }
        let V = encoded.vocabulary.count
        let hiddens = try Comparison.hiddenSizes(spec: spec, vocabularySize: V)
        let configs = zip(spec.cells, hiddens).map { cell, hidden in
            ModelConfig(
                cell: cell, layers: spec.layers, hidden: hidden, embedding: spec.embedding ?? spec.hidden,
                vocabularySize: V, dropout: spec.dropout)
        }
        // Every cell must fit before the first one trains: not a refusal after hours of runs.
        for config in configs {
            try config.validate()
            try Trainer.requireMemory(config: config, settings: spec.settings)
        }
        self.corpus = corpus
        self.text = text
        self.spec = spec
        self.configs = configs
        self.fractions = fractions
        vocabularySize = V
        trainCount = split
        validationCount = ids.count - split
        self.ids = ids
        self.validation = validation
    }

    /// Number of runs: fractions × cells × seeds.
    public var runCount: Int { fractions.count * configs.count * spec.seeds.count }
    /// Every run, in the order one process runs them.
    public var runIndices: [Int] { Array(0..<runCount) }

    /// The runs a rank takes: round-robin (`i % size == rank`), so that with C cells and S seeds
    /// every rank gets a mix of cells (a slow cell does not land on one rank) and the shares differ
    /// by at most one run.
    public static func share(rank: Int, of size: Int, runs: Int) -> [Int] {
        precondition(size > 0 && (0..<size).contains(rank), "rank \(rank) of \(size)")
        return Array(stride(from: rank, to: runs, by: size))
    }

    /// Runs the runs `indices`, in that order; stops before the next run once `shouldStop` says so.
    ///
    /// - Returns: each finished (or interrupted) run with its index.
    public func run(
        _ indices: [Int], onProgress: (CellKind, UInt64, Int, Double, Double) -> Void,
        onRunFinished: (ComparisonRun) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) throws -> [(index: Int, run: ComparisonRun)] {
        var runs: [(index: Int, run: ComparisonRun)] = []
        for i in indices {
            precondition((0..<runCount).contains(i), "run \(i) of \(runCount)")
            if shouldStop() { break }
            let S = spec.seeds.count, C = configs.count
            let config = configs[(i / S) % C], seed = spec.seeds[i % S]
            var runSpec = spec
            runSpec.trainFraction = fractions[i / (C * S)]
            let train = TokenSlice(ids, 0..<fractionEnd(trainCount, runSpec.trainFraction))
            let r = try Comparison.runOne(
                config: config, seed: seed, spec: runSpec, corpus: corpus, train: train,
                validation: validation, onProgress: onProgress, shouldStop: shouldStop)
            runs.append((i, r))
            onRunFinished(r)
        }
        return runs
    }

    /// The report of these runs (in run order): per fraction and cell, the mean and spread of the finished
    /// runs over their seeds, and the memory probe's summaries when it was asked for.
    public func report(runs: [ComparisonRun]) -> ComparisonReport {
        let summaries = fractions.flatMap { fraction in
            spec.cells.compactMap { cell -> ComparisonSummary? in
                let rs = runs.filter { $0.cell == cell && $0.fraction == fraction && !$0.interrupted }
                guard let first = rs.first else { return nil }
                let vals = rs.map { $0.validation?.lossNats ?? .nan }
                let (mean, std) = meanAndStd(vals)
                func avg(_ f: (ComparisonRun) -> Double) -> Double { rs.map(f).reduce(0, +) / Double(rs.count) }
                return ComparisonSummary(
                    cell: cell, hidden: first.hidden, parameters: first.parameters,
                    steps: avg { Double($0.steps) },
                    trainCharsPerSecond: avg(\.trainCharsPerSecond), trainLoss: avg(\.trainLoss),
                    valLossMean: mean, valLossStd: std, bpc: bits(fromNats: mean),
                    perplexity: exp(mean), wallSeconds: avg(\.wallSeconds), seeds: rs.count,
                    valLosses: vals, fraction: fraction, trainChars: first.trainChars,
                    epochs: avg(\.epochs))
            }
        }
        var report = ComparisonReport(
            corpus: corpus, unit: text.unit.rawValue, vocabularySize: vocabularySize,
            trainChars: trainCount, validationChars: validationCount, match: spec.match,
            layers: spec.layers, batch: spec.settings.batch, seq: spec.settings.steps,
            optimizer: spec.settings.optimizer, budget: spec.settings.budget,
            summaries: summaries, runs: runs,
            interrupted: runs.contains(where: \.interrupted) || runs.count < runCount)
        report.fractions = fractions
        if spec.memoryProbe { report.memoryProbes = Comparison.probeSummaries(runs) }
        return report
    }
}

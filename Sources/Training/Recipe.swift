import Models
import Optimization

/// What `charnn train --max-time T` trains when no flag says otherwise: the model and the
/// hyper-parameters that a time budget on a corpus of a given size can best afford.
///
/// The choice is a pure function of the budget, the corpus size and the machine's speed relative to
/// the reference machine (`RecipeBook.choose`), so it is testable and the same invocation always
/// picks the same recipe. Every explicit flag overrides the field it names; a resumed run never
/// re-picks one (its model and settings come from its checkpoint).
public struct Recipe: Equatable, Sendable {
    public var cell: CellKind
    public var layers: Int
    public var hidden: Int
    /// Dropout between layers and before the decoder.
    public var dropout: Float
    public var learningRate: Float
    /// Linear warm-up steps of the cosine schedule.
    public var warmup: Int
    /// Characters between a stream's returns to the zero state (0: never); `resetEvery(seq:)` turns
    /// them into `TrainingSettings.resetEvery` windows.
    public var resetSpan: Int = 0

    /// Windows of `seq` steps between resets: the nearest whole number to `resetSpan / seq`, at
    /// least 1; nil when the recipe resets nothing.
    public func resetEvery(seq: Int) -> Int? {
        resetSpan > 0 ? max(1, (resetSpan + seq / 2) / max(seq, 1)) : nil
    }
    /// Steps between validation passes (each also writes checkpoints): three in the budget.
    public var evalEvery: Int
    /// Steps the budget buys on the reference machine (after the validation passes' share).
    public var expectedSteps: Int
    /// Passes over the training part those steps make.
    public var expectedEpochs: Double

    public var schedule: LRSchedule { .cosine(warmup: warmup) }

    /// "2×384 gru, dropout 0.2, adam lr 0.002, cosine:100, validation every 900 steps (~2,456 steps
    /// of B 50 × S 50, ~6.1 epochs on the reference machine)".
    public var summary: String {
        let model = "\(layers)×\(hidden) \(cell.rawValue), dropout \(dropout)"
        let optimizer =
            "adam lr \(learningRate), \(schedule.description)"
            + (resetSpan > 0 ? ", state reset every \(resetSpan) characters" : "")
        let steps = "~" + Self.grouped(expectedSteps) + " steps of B \(RecipeBook.batch) × S \(RecipeBook.seq)"
        let epochs = expectedEpochs.isFinite ? ", ~" + String(Double(Int(expectedEpochs * 10)) / 10) + " epochs" : ""
        return model + ", " + optimizer + ", validation every \(evalEvery) steps (" + steps + epochs
            + " on the reference machine)"
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}

/// The rule that picks a `Recipe`. docs/results.md ("The default recipe") says which constants
/// were measured and which are the literature's.
public enum RecipeBook {
    /// A model the rule can pick, with its training throughput on the reference machine (a
    /// 2-core Zen 3, 2 threads, B 50 × S 50, alone on the machine).
    public struct Rung: Equatable, Sendable {
        public var cell: CellKind
        public var layers: Int
        public var hidden: Int
        public var charsPerSecond: Double

        /// Its parameters with a vocabulary of `vocabularyForSize` (the embedding and decoder are a
        /// small part at these sizes).
        public var parameters: Int {
            ModelConfig(cell: cell, layers: layers, hidden: hidden, vocabularySize: RecipeBook.vocabularyForSize)
                .parameterCount
        }
    }

    /// Smallest to largest. GRUs: at equal time the GRU matched or beat the LSTM in every
    /// measurement of docs/results.md (it learns faster per step, 3 gate blocks instead of 4).
    /// 2×384 and 2×512: measured alone on the reference machine; 2×128 and 2×256: their ratio to
    /// 2×384 in results.md's training table (one run, interleaved) applied to it.
    public static let ladder: [Rung] = [
        Rung(cell: .gru, layers: 2, hidden: 128, charsPerSecond: 62_300),
        Rung(cell: .gru, layers: 2, hidden: 256, charsPerSecond: 22_350),
        Rung(cell: .gru, layers: 2, hidden: 384, charsPerSecond: 10_550),
        Rung(cell: .gru, layers: 2, hidden: 512, charsPerSecond: 6_238),
    ]

    /// The rule picks the largest rung that reads at least this many training characters per
    /// parameter in the budget: a larger model would stop before it is trained, a smaller one
    /// stops learning before the budget ends.
    public static let minimumCharsPerParameter = 3.0
    static let vocabularyForSize = 65
    /// The share of a time budget that the validation passes and checkpoints take.
    public static let evaluationShare = 0.03
    /// The step the throughputs were measured with: train's --batch and --seq defaults.
    public static let batch = 50, seq = 50
    /// Each stream starts again from the zero state every 250 characters (5 windows of 50,
    /// staggered over the streams): contexts of 0…250 characters, the span of nanoGPT's
    /// 256-character windows, so the model also learns to predict from an empty context. Measured
    /// (docs/results.md): in tinyshakespeare's 10 minutes the one-stream loss stayed where it was
    /// and nanoGPT's protocol dropped by 0.017.
    public static let resetSpan = 250

    /// The recipe for a budget of `seconds` of wall clock on a corpus of `corpusUnits` units of
    /// which `trainFraction` trains, on a machine `speed` times as fast as the reference one.
    /// A corpus of unknown size (a pipe) gets no dropout.
    public static func choose(
        seconds: Double, corpusUnits: Int?, trainFraction: Double = 0.9,
        speed: Double = 1
    ) -> Recipe {
        let trainSeconds = max(seconds, 0) * (1 - evaluationShare) * max(speed, 1e-6)
        let charsPerStep = Double(batch * seq)
        func steps(_ r: Rung) -> Int { Int(trainSeconds * r.charsPerSecond / charsPerStep) }
        let rung =
            ladder.last(where: {
                Double(steps($0)) * charsPerStep >= minimumCharsPerParameter
                    * Double($0.parameters)
            }) ?? ladder[0]
        let n = steps(rung)
        let epochs = corpusUnits.map { Double(n) * charsPerStep / max(Double($0) * trainFraction, 1) } ?? .nan
        return Recipe(
            cell: rung.cell, layers: rung.layers, hidden: rung.hidden,
            dropout: epochs.isNaN ? 0 : dropout(epochs: epochs),
            learningRate: 2e-3, warmup: min(100, n / 20), resetSpan: resetSpan, evalEvery: evalEvery(steps: n),
            expectedSteps: n, expectedEpochs: epochs)
    }

    /// A third of the expected steps, rounded up to a hundred: two passes during the run and the
    /// final one (which the budget's end triggers, wherever it falls).
    public static func evalEvery(steps: Int) -> Int { max(100, (steps / 3 + 99) / 100 * 100) }

    /// More passes over the same text need more regularization: none for a model that sees its
    /// text less than twice, up to 0.3 from eight passes on.
    public static func dropout(epochs: Double) -> Float {
        switch epochs {
        case ..<2: return 0
        case ..<4: return 0.1
        case ..<8: return 0.2
        default: return 0.3
        }
    }
}

import Models
import NeuralCore
import Tokenization

/// Generates text from a model: primes one or more streams with a text, then samples
/// token by token, handing each piece of text to a callback as soon as it exists.
///
/// Streams are independent samples (`count` of them, batched through one `Predictor`):
/// stream i draws with its own generator, seeded from the seed and i, so the same seed and
/// settings give the same texts, whatever else runs.
public final class Generator: @unchecked Sendable {
    public let model: LanguageModel
    public let vocabulary: Vocabulary
    public var settings: SamplingSettings {
        didSet { for i in samplers.indices { samplers[i].settings = settings } }
    }
    public let count: Int
    let predictor: Predictor
    var samplers: [Sampler]
    /// The next input token of each stream (the last token seen).
    var pending: [Int32]
    /// Whether the streams have seen any text since the last reset.
    public private(set) var hasContext = false

    /// - Parameter precision: weight storage for up to `Predictor.maximumStepBatch` streams (more
    ///   use float weights); see `WeightPrecision`.
    public init(
        model: LanguageModel, vocabulary: Vocabulary, settings: SamplingSettings, seed: UInt64, count: Int = 1,
        precision: WeightPrecision = .float32
    ) {
        precondition(count >= 1, "count must be ≥ 1")
        self.model = model
        self.vocabulary = vocabulary
        self.settings = settings
        self.count = count
        predictor = Predictor(model: model, batch: count, precision: precision)
        samplers = (0..<count).map {
            Sampler(settings: settings, seed: SplitMix64.derived(seed: seed, stream: UInt64($0)).state)
        }
        pending = [Int32](repeating: 0, count: count)
    }

    /// Threads each step runs on.
    public var threadCount: Int { predictor.threadCount }

    /// Re-seeds every stream's generator.
    public func reseed(_ seed: UInt64) {
        for i in samplers.indices {
            samplers[i].rng = SplitMix64(seed: SplitMix64.derived(seed: seed, stream: UInt64(i)).state)
        }
    }

    /// Forgets all context: the streams go back to the zero state.
    public func reset() {
        predictor.reset()
        hasContext = false
    }

    /// Feeds `text` to every stream (appending to the context it already has).
    ///
    /// Characters the vocabulary lacks follow `unknown` (by default skipped and reported), so a
    /// prime with an unseen character never stops generation.
    /// - Returns: the characters that were skipped or replaced.
    @discardableResult
    public func prime(_ text: String, unknown: UnknownPolicy = .skip) throws -> [UnknownCharacter] {
        let (ids, unknowns) = try vocabulary.encode(text, unknown: unknown)
        guard !ids.isEmpty else { return unknowns }
        // All but the last token are consumed now; the last one is the input of the first draw.
        if hasContext { feed(pending) }
        for id in ids.dropLast() { feed([Int32](repeating: id, count: count)) }
        pending = [Int32](repeating: ids.last!, count: count)
        hasContext = true
        return unknowns
    }

    /// The `top` most likely next units of stream 0 under the current settings' temperature,
    /// without advancing the context.
    public func peek(top: Int) -> [(token: String, probability: Double)] {
        if !hasContext { pending = [Int32](repeating: vocabulary.startID, count: count) }
        let saved = ModelState(config: model.config, batch: count)
        saved.copy(from: predictor.state)
        let V = model.config.vocabularySize
        let logits = pending.withUnsafeBufferPointer { predictor.step(tokens: $0.baseAddress!) }
        let row = Array(UnsafeBufferPointer(start: logits, count: V))
        predictor.state.copy(from: saved)
        let t = settings.temperature > 0 ? settings.temperature : 1
        return Sampler.topCandidates(logits: row, temperature: t, count: top).map {
            (vocabulary.token(at: $0.id), $0.probability)
        }
    }

    func feed(_ tokens: [Int32]) {
        tokens.withUnsafeBufferPointer { _ = predictor.step(tokens: $0.baseAddress!) }
    }

    /// One piece of generated text and the unit ids drawn for it: one token, or for the byte unit
    /// the bytes of one character (or of up to 4 bytes that are not UTF-8, shown as U+FFFD).
    public struct Piece: Sendable, Equatable {
        public var text: String
        public var ids: [Int32]

        public init(text: String, ids: [Int32]) {
            self.text = text
            self.ids = ids
        }
    }

    /// Samples up to `length` tokens per stream.
    ///
    /// - Parameters:
    ///   - stop: generation of a stream ends once its output ends with this string (included).
    ///   - onText: receives (stream, text of one token) as soon as it is drawn; return false to stop all streams.
    /// - Returns: the generated text of every stream.
    @discardableResult
    public func generate(length: Int, stop: String? = nil, onText: (Int, String) -> Bool = { _, _ in true }) -> [String]
    {
        generatePieces(length: length, stop: stop) { onText($0, $1.text) }
    }

    /// Samples up to `length` tokens per stream, handing each piece over with the unit ids drawn
    /// for it (a caller that keeps the context appends them, rather than encoding the text again).
    ///
    /// - Parameters:
    ///   - stop: generation of a stream ends once its output ends with this string (included).
    ///   - onPiece: receives (stream, piece) as soon as the piece is drawn; return false to stop all streams.
    /// - Returns: the generated text of every stream.
    @discardableResult
    public func generatePieces(length: Int, stop: String? = nil, onPiece: (Int, Piece) -> Bool) -> [String] {
        if !hasContext {
            // No prime: start as a document would (`Vocabulary.startID`).
            pending = [Int32](repeating: vocabulary.startID, count: count)
            hasContext = true
        }
        var outputs = [String](repeating: "", count: count)
        var bytes = [[UInt8]](repeating: [], count: count)
        // The ids of the bytes in `bytes` (byte unit): the piece's ids once it is shown.
        var drawn = [[Int32]](repeating: [], count: count)
        var done = [Bool](repeating: false, count: count)
        let V = model.config.vocabularySize
        let byteUnit = vocabulary.unit == .byte
        for _ in 0..<length {
            let logits = pending.withUnsafeBufferPointer { predictor.step(tokens: $0.baseAddress!) }
            var keepGoing = true
            for s in 0..<count where !done[s] {
                let id = samplers[s].draw(logits: UnsafeBufferPointer(start: logits + s * V, count: V))
                pending[s] = Int32(id)
                var piece: Piece
                if byteUnit {
                    // Bytes are shown once they form complete UTF-8 characters.
                    bytes[s].append(vocabulary.decodeBytes([id]).first ?? 0)
                    drawn[s].append(Int32(id))
                    let decoded = String(decoding: bytes[s], as: UTF8.self)
                    guard Array(decoded.utf8) == bytes[s] else {
                        if bytes[s].count < 4 { continue }
                        piece = Piece(text: String(decoding: bytes[s], as: UTF8.self), ids: drawn[s])
                        bytes[s].removeAll()
                        drawn[s].removeAll()
                        outputs[s] += piece.text
                        if !onPiece(s, piece) { keepGoing = false }
                        continue
                    }
                    piece = Piece(text: decoded, ids: drawn[s])
                    bytes[s].removeAll()
                    drawn[s].removeAll()
                } else {
                    piece = Piece(text: vocabulary.token(at: id), ids: [Int32(id)])
                }
                outputs[s] += piece.text
                if !onPiece(s, piece) { keepGoing = false }
                if let stop, !stop.isEmpty, outputs[s].hasSuffix(stop) { done[s] = true }
            }
            if !keepGoing || done.allSatisfy({ $0 }) { break }
        }
        return outputs
    }
}

import NeuralCore
import Sampling
import Tokenization

/// How one text is generated: its length, its sampling settings, its seed and when it stops.
///
/// Lengths count the model's units (characters for the default grapheme vocabulary).
public struct GenerationOptions: Sendable, Equatable {
    /// Units to generate at most (0: none, only the prompt is read).
    public var maxTokens: Int
    /// Softmax temperature: 0 draws the most likely unit, 1 the model's distribution.
    public var temperature: Float
    /// Keep only the k most likely units (nil: all).
    public var topK: Int?
    /// Keep the smallest set of units whose probability reaches p (nil: all).
    public var topP: Float?
    /// The seed of the draws (nil: a random one). With a seed, the text does not depend on what
    /// else the model is generating at the same time.
    public var seed: UInt64?
    /// Which of the seed's streams draws: stream i gives the i-th text of
    /// `charnn sample --count N --seed S`, so the n choices of one request differ.
    public var stream: Int
    /// Generation ends before the first occurrence of any of these (which is not returned).
    public var stop: [String]
    /// Alternatives to report with each generated unit (0: only the unit's own log-probability;
    /// nil: none).
    public var logprobs: Int?

    /// The most alternatives `logprobs` may ask for.
    public static let maximumLogprobs = 20
    /// The most stop strings, and the longest one.
    public static let maximumStops = 4
    public static let maximumStopLength = 256

    public init(
        maxTokens: Int = 200, temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, seed: UInt64? = nil,
        stream: Int = 0, stop: [String] = [], logprobs: Int? = nil
    ) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.stream = stream
        self.stop = stop
        self.logprobs = logprobs
    }

    /// The sampling settings, checked (a bad temperature, top-k or top-p throws `SamplingError`).
    func samplingSettings() throws -> SamplingSettings {
        try SamplingSettings(temperature: temperature, topK: topK, topP: topP)
    }

    /// Checks every field; the error names the field.
    func validate() throws(GenerationError) {
        guard maxTokens >= 0 else { throw .invalidOption("max_tokens", "must be ≥ 0, got \(maxTokens)") }
        guard stream >= 0 else { throw .invalidOption("stream", "must be ≥ 0, got \(stream)") }
        if let logprobs, !(0...Self.maximumLogprobs).contains(logprobs) {
            throw .invalidOption("logprobs", "must be in 0...\(Self.maximumLogprobs), got \(logprobs)")
        }
        guard stop.count <= Self.maximumStops else {
            throw .invalidOption("stop", "at most \(Self.maximumStops) strings, got \(stop.count)")
        }
        if let long = stop.first(where: { $0.count > Self.maximumStopLength }) {
            throw .invalidOption("stop", "each string must be ≤ \(Self.maximumStopLength) characters, got \(long.count)")
        }
        do { _ = try samplingSettings() } catch let error as SamplingError {
            let field: String
            switch error {
            case .invalidTemperature: field = "temperature"
            case .invalidTopK: field = "top_k"
            case .invalidTopP: field = "top_p"
            }
            throw .invalidOption(field, error.description)
        } catch { throw .invalidOption("temperature", "\(error)") }
    }
}

/// Why a generation ended.
public enum FinishReason: String, Sendable, Equatable {
    /// `maxTokens` units were generated.
    case length
    /// A stop string appeared.
    case stop
    /// The caller stopped listening, or the model was shut down before the end.
    case cancelled
}

/// A unit and its log-probability (natural log, under the model's own distribution: temperature
/// 1, no top-k or top-p).
public struct Candidate: Sendable, Equatable {
    public var text: String
    public var logprob: Double

    public init(text: String, logprob: Double) {
        self.text = text
        self.logprob = logprob
    }
}

/// One generated piece of text: a unit (for a byte vocabulary, the bytes of one character).
public struct GeneratedPiece: Sendable, Equatable {
    public var text: String
    /// The log-probability of this piece under the model (nil unless `logprobs` was asked).
    public var logprob: Double?
    /// The most likely alternatives at this position, best first (`logprobs` of them).
    public var top: [Candidate]

    public init(text: String, logprob: Double? = nil, top: [Candidate] = []) {
        self.text = text
        self.logprob = logprob
        self.top = top
    }
}

/// What a running generation reports, in order: pieces, then one `finished`.
public enum GenerationEvent: Sendable, Equatable {
    case piece(GeneratedPiece)
    case finished(FinishReason)
}

/// Where a generation's events go (`CharModel.start(prompt:options:deliver:)`): called on the
/// model's scheduler thread, in order, ending with one `.finished`. It must return at once (take
/// a lock, append, signal); it runs between the batched steps of every generation.
package typealias GenerationSink = @Sendable (GenerationEvent) -> Void

/// Why a generation could not start. Facts, not flags: the server turns them into HTTP errors.
public enum GenerationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field of the options is out of range (the field's API name, why).
    case invalidOption(String, String)
    /// Every stream is busy and the waiting line is full.
    case overCapacity(streams: Int, queue: Int)
    /// The model is shutting down and takes no new work.
    case shuttingDown
    /// The text is longer than the model accepts.
    case textTooLong(field: String, length: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidOption(let field, let why): return "\(field) \(why)"
        case .overCapacity(let streams, let queue):
            return "all \(streams) streams are busy and \(queue) requests are already waiting; retry later"
        case .shuttingDown: return "the model is shutting down"
        case .textTooLong(let field, let length, let limit):
            return "\(field) is \(length) characters long; the limit is \(limit)"
        }
    }
}

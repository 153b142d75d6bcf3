import Checkpointing
import Foundation
import Models
import NeuralCore
import Sampling
import Tokenization

/// A trained charnn model, ready to write: the public API an app embeds, and what `charnn serve`
/// is built on.
///
/// ```swift
/// let model = try CharModel(checkpoint: "checkpoints/shakespeare-lstm")
/// for try await piece in model.generate(prompt: "ROMEO:", options: .init(maxTokens: 200, seed: 7)) {
///     print(piece, terminator: "")
/// }
/// ```
///
/// Concurrent generations share one batched step (up to `Settings.streams` at a time; the rest
/// wait in a line of `Settings.queue`), and a seeded generation writes the same text whether it
/// ran alone or beside others. Call `shutdown()` when done with the model (or let it go: its
/// thread ends with it).
public final class CharModel: @unchecked Sendable {
    /// How the model is loaded and shared.
    public struct Settings: Sendable, Equatable {
        /// Generations that advance together (1...16).
        public var streams: Int
        /// Generations that may wait for a stream (beyond them, `overCapacity`).
        public var queue: Int
        /// Threads of a step (nil: 2, as `charnn`'s default `--threads`, or 1 when the model is
        /// too small to gain from a second, or the machine has one core).
        public var threads: Int?
        /// How the weights are stored for generation (f32 exact; f16, int8 smaller).
        public var precision: WeightPrecision

        public init(streams: Int = 16, queue: Int = 64, threads: Int? = nil, precision: WeightPrecision = .float32) {
            self.streams = streams
            self.queue = queue
            self.threads = threads
            self.precision = precision
        }
    }

    /// A name for the model (the checkpoint folder's, unless given).
    public let name: String
    /// The checkpoint directory it was read from.
    public let path: String
    public let config: ModelConfig
    public let vocabulary: Vocabulary
    public let settings: Settings
    let model: LanguageModel
    let scheduler: Scheduler

    /// Loads and checks a checkpoint (a checkpoint directory, or a run directory: then `best/`,
    /// else `latest/`). Throws `CheckpointError` for a missing or damaged checkpoint.
    public init(checkpoint: String, name: String? = nil, settings: Settings = Settings()) throws {
        precondition((1...Predictor.maximumStepBatch).contains(settings.streams), "streams must be in 1...16")
        precondition(settings.queue >= 0, "queue must be ≥ 0")
        let ckpt = try Checkpoint.load(checkpoint, optimizerState: false)
        path = ckpt.path
        config = ckpt.config
        vocabulary = ckpt.vocabulary
        model = ckpt.model
        self.settings = settings
        self.name = name ?? Self.defaultName(for: checkpoint)
        scheduler = Scheduler(
            model: ckpt.model, streams: settings.streams, queue: settings.queue,
            threads: settings.threads
                ?? Predictor.defaultMembers(model: ckpt.model, batch: settings.streams, threads: Self.defaultThreads),
            precision: settings.precision)
    }

    deinit { scheduler.shutdown() }

    /// Threads of a step when `Settings.threads` is nil and the model gains from them.
    public static let defaultThreads = 2

    /// The folder's name; a run's `best/` or `latest/` is named for its run.
    public static func defaultName(for path: String) -> String {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        if ["best", "latest"].contains(url.lastPathComponent) { url = url.deletingLastPathComponent() }
        return url.lastPathComponent
    }

    /// The unit generation starts from when the prompt is empty (a newline, as a document would).
    var startUnit: Int32 { vocabulary.startID }

    /// A prompt as the model reads it, with the characters it never saw (skipped).
    public func encode(_ prompt: String) throws -> (ids: [Int32], unknown: [UnknownCharacter]) {
        let (ids, unknown) = try vocabulary.encode(prompt, unknown: .skip)
        return (ids.map { Int32($0) }, unknown)
    }

    /// A generation that has started (or is waiting for a stream).
    public struct Generation: Sendable {
        /// The prompt's characters the model never saw; they were skipped.
        public let unknown: [UnknownCharacter]
        /// Units of the prompt the model reads.
        public let promptUnits: Int
        /// Pieces as they are drawn, then `.finished`. Dropping the stream cancels the generation.
        public let events: AsyncThrowingStream<GenerationEvent, Error>
    }

    /// Starts generating after `prompt`. Throws `GenerationError` for bad options, or when every
    /// stream is busy and the line is full (`overCapacity`), or after `shutdown`.
    public func start(prompt: String, options: GenerationOptions = GenerationOptions()) throws -> Generation {
        let (events, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        let started = try start(prompt: prompt, options: options) { event in
            continuation.yield(event)
            if case .finished = event { continuation.finish() }
        }
        continuation.onTermination = { _ in started.cancel() }
        return Generation(unknown: started.unknown, promptUnits: started.promptUnits, events: events)
    }

    /// A generation whose events go to a sink (the server's way: one buffer for all the choices
    /// of a request, read in batches, instead of a task wake-up per character).
    package struct Started: Sendable {
        package let unknown: [UnknownCharacter]
        package let promptUnits: Int
        let slot: StreamSlot?

        /// Ends the generation at the next step (`.finished(.cancelled)` goes to the sink).
        package func cancel() { slot?.cancelled.store(true, ordering: .relaxed) }
    }

    /// Starts generating after `prompt`, handing each event to `deliver` (see `GenerationSink`).
    package func start(
        prompt: String, options: GenerationOptions, deliver: @escaping GenerationSink
    ) throws -> Started {
        try options.validate()
        let settings = try options.samplingSettings()
        let (ids, unknown) = try encode(prompt)
        guard options.maxTokens > 0 else {
            deliver(.finished(.length))
            return Started(unknown: unknown, promptUnits: ids.count, slot: nil)
        }
        let slot = StreamSlot(
            inputs: ids.isEmpty ? [startUnit] : ids, options: options, vocabulary: vocabulary, settings: settings,
            seed: options.seed ?? UInt64.random(in: .min ... .max), deliver: deliver)
        try scheduler.submit([slot])
        return Started(unknown: unknown, promptUnits: ids.count, slot: slot)
    }

    /// The generated text after `prompt`, piece by piece (a piece is one character of the model's
    /// unit). Characters of the prompt the model never saw are skipped.
    public func generate(prompt: String, options: GenerationOptions = GenerationOptions())
        -> AsyncThrowingStream<String, Error>
    {
        let (stream, continuation) = AsyncThrowingStream<String, Error>.makeStream()
        let generation: Generation
        do { generation = try start(prompt: prompt, options: options) } catch {
            continuation.finish(throwing: error)
            return stream
        }
        let task = Task {
            do {
                for try await event in generation.events {
                    if case .piece(let p) = event { continuation.yield(p.text) }
                }
                continuation.finish()
            } catch { continuation.finish(throwing: error) }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Batched steps run since the model was loaded (one advances every running generation).
    public var stepsRun: Int { scheduler.stepsRun.steps }

    /// The generations those steps advanced, summed over the steps: divided by `stepsRun`, how
    /// full the batch ran.
    public var streamStepsRun: Int { scheduler.stepsRun.streams }

    /// Generations running and waiting now.
    public var load: (active: Int, waiting: Int) { scheduler.load }

    /// Stops taking generations; those running or waiting go on. Then `waitUntilIdle`.
    public func stopAccepting() { scheduler.stopAccepting() }

    /// Waits (blocking) until nothing runs or waits, at most until `deadline`; true when idle.
    public func waitUntilIdle(deadline: ContinuousClock.Instant) -> Bool { scheduler.waitUntilIdle(deadline: deadline) }

    /// Ends every generation (`.cancelled`) and the model's thread. Further `start`s fail.
    public func shutdown() { scheduler.shutdown() }
}

import Foundation
import Models
import NeuralCore

/// Continuous batching: every generation in progress advances by one unit per step of one
/// `Predictor`, whose few-streams path reads each weight row once for all of them.
///
/// Streams occupy the predictor's first rows. A new one joins at the next step (from the zero
/// state, reading its prompt one unit per step alongside the others' draws); one that finishes
/// or whose listener went away leaves at once, and the last row moves into its place. Requests
/// beyond the streams wait in a bounded line, first come first served; beyond it, submission
/// fails. Each stream's arithmetic does not depend on the others (see `Predictor.step(tokens:count:)`),
/// so a seeded stream's text is the same alone or batched.
///
/// The steps run on a thread of the scheduler's own (a step is tens of microseconds to
/// milliseconds of CPU work, with a spinning team under it: not work for Swift's cooperative
/// pool).
final class Scheduler: @unchecked Sendable {
    let predictor: Predictor
    let capacity: Int
    let queueLimit: Int
    private let condition = NSCondition()
    private var waiting: [StreamSlot] = []
    private var waitingHead = 0
    /// The streams in the predictor's rows, in row order (touched by the scheduler thread only,
    /// except `count` read under the lock).
    private var active: [StreamSlot] = []
    private var activeCount = 0
    private var accepting = true
    private var stopping = false
    private var thread: Thread?
    private let idle = NSCondition()
    private var steps = 0
    private var streamSteps = 0

    init(model: LanguageModel, streams: Int, queue: Int, threads: Int?, precision: WeightPrecision) {
        precondition((1...Predictor.maximumStepBatch).contains(streams), "1...\(Predictor.maximumStepBatch) streams")
        precondition(queue >= 0, "queue ≥ 0")
        predictor = Predictor(model: model, batch: streams, threads: threads, precision: precision)
        capacity = streams
        queueLimit = queue
        let t = Thread { [unowned self] in self.loop() }
        t.name = "charnn-scheduler"
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    /// Streams generating now and requests waiting for one.
    var load: (active: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (activeCount, waiting.count - waitingHead)
    }

    /// Steps run since the start, and the streams they advanced (summed over the steps).
    var stepsRun: (steps: Int, streams: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (steps, streamSteps)
    }

    /// Hands a stream to the scheduler; it starts at the next step if a row is free.
    func submit(_ slots: [StreamSlot]) throws(GenerationError) {
        condition.lock()
        defer { condition.unlock() }
        guard accepting else { throw .shuttingDown }
        let queued = waiting.count - waitingHead
        // Rows free now, plus room in the line.
        guard activeCount + queued + slots.count <= capacity + queueLimit else {
            throw .overCapacity(streams: capacity, queue: queueLimit)
        }
        waiting.append(contentsOf: slots)
        condition.signal()
    }

    /// Takes no new streams; those running and waiting go on.
    func stopAccepting() {
        condition.lock()
        accepting = false
        condition.unlock()
    }

    /// Waits until no stream runs or waits, or until `deadline`. Returns whether it is idle.
    func waitUntilIdle(deadline: ContinuousClock.Instant) -> Bool {
        while ContinuousClock.now < deadline {
            let (a, w) = load
            if a == 0 && w == 0 { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        let (a, w) = load
        return a == 0 && w == 0
    }

    /// Ends every stream (`cancelled`) and the thread. Idempotent.
    func shutdown() {
        condition.lock()
        accepting = false
        stopping = true
        condition.signal()
        condition.unlock()
        while thread?.isFinished == false { Thread.sleep(forTimeInterval: 0.001) }
        thread = nil
    }

    private func loop() {
        let V = predictor.model.config.vocabularySize
        var tokens = [Int32](repeating: 0, count: capacity)
        var done = [Bool](repeating: false, count: capacity)
        while true {
            condition.lock()
            while activeCount == 0 && waiting.count == waitingHead && !stopping { condition.wait() }
            if stopping {
                let rest = active + waiting[waitingHead...]
                active.removeAll()
                waiting.removeAll()
                waitingHead = 0
                activeCount = 0
                condition.unlock()
                for s in rest { s.finish(.cancelled) }
                return
            }
            // Join: free rows take the oldest waiting streams, each from the zero state.
            while active.count < capacity && waitingHead < waiting.count {
                let s = waiting[waitingHead]
                waitingHead += 1
                if s.cancelled.load(ordering: .relaxed) {
                    s.finish(.cancelled)
                    continue
                }
                predictor.state.reset(stream: active.count)
                active.append(s)
            }
            if waitingHead > 64 && waitingHead * 2 > waiting.count {
                waiting.removeFirst(waitingHead)
                waitingHead = 0
            }
            activeCount = active.count
            condition.unlock()
            guard !active.isEmpty else { continue }

            for (row, s) in active.enumerated() { tokens[row] = s.input }
            let logits = tokens.withUnsafeBufferPointer {
                predictor.step(tokens: $0.baseAddress!, count: active.count)
            }
            for (row, s) in active.enumerated() {
                if s.cancelled.load(ordering: .relaxed) {
                    s.finish(.cancelled)
                    done[row] = true
                } else {
                    done[row] = s.advance(logits: UnsafeBufferPointer(start: logits + row * V, count: V))
                }
            }
            let advanced = active.count
            // Leave: from the last row down, the last active row moves into each freed one.
            for row in stride(from: active.count - 1, through: 0, by: -1) where done[row] {
                let last = active.count - 1
                if row != last {
                    predictor.moveStream(from: last, to: row)
                    active[row] = active[last]
                }
                active.removeLast()
            }
            condition.lock()
            activeCount = active.count
            steps += 1
            streamSteps += advanced
            condition.unlock()
        }
    }
}

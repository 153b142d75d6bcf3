import CharNNKit
import Foundation

/// The events of one completion's choices, as the model's scheduler delivers them (on its own
/// thread, between steps), taken by the response in batches: the response wakes once for
/// whatever is ready, not once per character per choice. At 16 streams the scheduler draws
/// thousands of characters a second; a wake-up, a JSON chunk and a socket write for each of them
/// cost more CPU than the batched step that drew them.
///
/// The buffer also times the characters as they are drawn (time to the first one, and between
/// one choice's characters) for `/metrics`.
final class EventBuffer: @unchecked Sendable {
    typealias Entry = (choice: Int, event: GenerationEvent)
    private let lock = NSLock()
    private var events: [Entry] = []
    private var waiter: CheckedContinuation<Void, Never>?
    private let metrics: ServerMetrics
    private let arrived: ContinuousClock.Instant
    private var firstDrawn = false
    private var lastDrawn: [Int: ContinuousClock.Instant] = [:]

    init(metrics: ServerMetrics, arrived: ContinuousClock.Instant) {
        self.metrics = metrics
        self.arrived = arrived
    }

    /// Where choice `index`'s events go.
    func sink(_ index: Int) -> GenerationSink {
        { [self] event in
            let now = ContinuousClock.now
            lock.lock()
            if case .piece = event {
                if let before = lastDrawn[index] {
                    metrics.perCharacter.record(before.duration(to: now))
                } else if !firstDrawn {
                    metrics.firstCharacter.record(arrived.duration(to: now))
                    firstDrawn = true
                }
                lastDrawn[index] = now
            }
            events.append((index, event))
            let w = waiter
            waiter = nil
            lock.unlock()
            w?.resume()
        }
    }

    /// Everything delivered since the last call, in order; waits while there is nothing.
    func take() async -> [Entry] {
        while true {
            let taken = lock.withLock {
                defer { events = [] }
                return events
            }
            if !taken.isEmpty { return taken }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if events.isEmpty {
                    waiter = c
                    lock.unlock()
                } else {
                    lock.unlock()
                    c.resume()
                }
            }
        }
    }
}

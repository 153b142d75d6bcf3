import CharNNKit
import Foundation

/// The events of one completion's choices, as the model's scheduler delivers them (on its own
/// thread, between steps), taken by the response in batches: the response wakes once for
/// whatever is ready, not once per character per choice (and a plain answer only when a choice
/// finishes). At 16 streams the scheduler draws
/// thousands of characters a second; a wake-up, a JSON chunk and a socket write for each of them
/// cost more CPU than the batched step that drew them.
///
/// The buffer also times the characters as they are drawn (time to the first one, and between
/// one choice's characters) for `/metrics`.
final class EventBuffer: @unchecked Sendable {
    typealias Entry = (choice: Int, event: GenerationEvent)
    private let lock = NSLock()
    private var events: [Entry] = []
    private var finishes = 0
    private var waiter: CheckedContinuation<Void, Never>?
    /// The waiting reader wants pieces drawn from this instant on (nil: only a finish wakes it).
    private var wakeForPieces: ContinuousClock.Instant?
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
            var wake = false
            switch event {
            case .piece:
                if let before = lastDrawn[index] {
                    metrics.perCharacter.record(before.duration(to: now))
                } else if !firstDrawn {
                    metrics.firstCharacter.record(arrived.duration(to: now))
                    firstDrawn = true
                }
                lastDrawn[index] = now
                if let from = wakeForPieces, now >= from { wake = true }
            case .finished:
                finishes += 1
                wake = true
            }
            events.append((index, event))
            let w = wake ? waiter : nil
            if wake { waiter = nil }
            lock.unlock()
            w?.resume()
        }
    }

    /// Everything delivered so far, in order, once there is something worth the wake-up: a
    /// finish, or (with `piecesFrom`) a piece drawn at or after that instant. Pieces drawn before
    /// it wait in the buffer; the scheduler delivers one every step while a choice runs, so the
    /// reader wakes at most a step after `piecesFrom`, and never on a timer of its own.
    func take(piecesFrom: ContinuousClock.Instant?) async -> [Entry] {
        while true {
            let taken: [Entry]? = lock.withLock {
                guard isReady(piecesFrom: piecesFrom) else { return nil }
                defer {
                    events = []
                    finishes = 0
                }
                return events
            }
            if let taken { return taken }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if isReady(piecesFrom: piecesFrom) {
                    lock.unlock()
                    c.resume()
                } else {
                    waiter = c
                    wakeForPieces = piecesFrom
                    lock.unlock()
                }
            }
        }
    }

    /// Whether `take` has something worth returning (call with the lock held).
    private func isReady(piecesFrom: ContinuousClock.Instant?) -> Bool {
        finishes > 0 || (piecesFrom.map { ContinuousClock.now >= $0 } ?? false) && !events.isEmpty
    }
}

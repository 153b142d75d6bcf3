import Communication
import Foundation

/// N ranks in one process, for testing data-parallel training without MPI: each rank runs on its own
/// thread, and the collectives meet in a shared hub.
///
/// Only one rank computes at a time: a rank holds the hub's lock all along and releases it only while
/// it waits in a collective. So the ranks take turns like MPI processes that wait for each other, and
/// the process-wide thread team and BLAS are never used by two ranks at once. Sums run in rank order,
/// so results do not depend on which thread arrived first.
final class LoopbackHub: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var generation = 0, arrived = 0
    private var slots: [[UInt8]], results: [[UInt8]] = []
    /// Set when a rank left (with an error, or done while others still call collectives): the others
    /// fail their next collective instead of waiting forever.
    private var broken = false
    /// Collective calls per rank (a test's check that ranks made the same calls).
    private(set) var calls: [Int]

    init(size: Int) {
        self.size = size
        slots = Array(repeating: [], count: size)
        calls = Array(repeating: 0, count: size)
    }

    struct Broken: Error {}

    /// Every rank's bytes, in rank order, on every rank (all other collectives are built on it).
    /// Called with the lock held (from inside `run`).
    func exchange(rank: Int, _ bytes: [UInt8]) throws -> [[UInt8]] {
        if broken { throw Broken() }
        calls[rank] += 1
        let mine = generation
        slots[rank] = bytes
        arrived += 1
        if arrived == size {
            results = slots
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine && !broken { condition.wait() }
            if generation == mine { throw Broken() }
        }
        return results
    }

    /// Runs `body` once per rank, each on its own thread, and returns their results in rank order.
    func run<T>(_ body: @escaping @Sendable (LoopbackCommunicator) throws -> T) -> [Result<T, any Error>] {
        let done = DispatchGroup()
        let box = ResultBox<T>(count: size)
        for rank in 0..<size {
            done.enter()
            let thread = Thread { [self] in
                condition.lock()
                let result = Result { try body(LoopbackCommunicator(hub: self, rank: rank)) }
                broken = true
                condition.broadcast()
                box.values[rank] = result
                condition.unlock()
                done.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        done.wait()
        return box.values.map { $0! }
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var values: [Result<T, any Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
}

/// One rank's view of a `LoopbackHub`.
struct LoopbackCommunicator: Communicator {
    let hub: LoopbackHub
    let rank: Int
    var size: Int { hub.size }

    func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ reduction: Reduction) throws {
        let all = try hub.exchange(rank: rank, Array(UnsafeRawBufferPointer(buffer)))
        for i in 0..<buffer.count {
            var value = Self.element(Float.self, all[0], i)
            for part in all.dropFirst() { value = Self.combine(value, Self.element(Float.self, part, i), reduction) }
            buffer[i] = value
        }
    }

    func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, _ reduction: Reduction) throws {
        let all = try hub.exchange(rank: rank, Array(UnsafeRawBufferPointer(buffer)))
        for i in 0..<buffer.count {
            var value = Self.element(Double.self, all[0], i)
            for part in all.dropFirst() { value = Self.combine(value, Self.element(Double.self, part, i), reduction) }
            buffer[i] = value
        }
    }

    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws {
        guard (0..<size).contains(root) else { throw CommunicationError.invalidRoot(root, size: size) }
        let all = try hub.exchange(rank: rank, Array(UnsafeRawBufferPointer(buffer)))
        all[root].withUnsafeBytes { buffer.copyMemory(from: $0) }
    }

    func gather(_ bytes: UnsafeRawBufferPointer, to root: Int) throws -> [[UInt8]]? {
        guard (0..<size).contains(root) else { throw CommunicationError.invalidRoot(root, size: size) }
        let all = try hub.exchange(rank: rank, Array(bytes))
        return rank == root ? all : nil
    }

    func barrier() throws { _ = try hub.exchange(rank: rank, []) }

    func abort(code: Int32) -> Never { fatalError("rank \(rank) aborted the loopback job with code \(code)") }

    static func element<T>(_: T.Type, _ bytes: [UInt8], _ i: Int) -> T {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self) }
    }

    static func combine<T: FloatingPoint>(_ a: T, _ b: T, _ reduction: Reduction) -> T {
        switch reduction {
        case .sum: return a + b
        case .max: return a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .min: return a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        }
    }
}

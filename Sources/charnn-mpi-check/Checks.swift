import Communication
import Foundation

/// The multi-rank checks: each collective against values every rank can predict exactly (small integers
/// in Float, halves in Double), so an answer is right or wrong, never "close".
struct Checks {
    let world: any Communicator
    private(set) var failures: [String] = []
    private(set) var count = 0

    init(world: any Communicator) { self.world = world }

    mutating func expect(_ condition: Bool, _ what: @autoclosure () -> String) {
        count += 1
        if !condition { failures.append(what()) }
    }

    /// Each rank appears once, in rank order, and the launcher's numbering agrees with MPI's.
    mutating func identity() throws {
        let ranks = try world.gather(withUnsafeBytes(of: UInt32(world.rank)) { Array($0) }, to: 0)
        if let ranks {
            let seen = ranks.map { $0.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
            expect(seen == (0..<UInt32(world.size)).map { $0 }, "gather of ranks gave \(seen)")
        } else {
            expect(!world.isRoot, "rank 0 got no gather result")
        }
    }

    /// Sums, maxima and minima of Float and Double buffers, empty and odd-sized ones included.
    mutating func allReduce(on comm: any Communicator, label: String) throws {
        let n = comm.size
        let r = comm.rank
        for count in [0, 1, 1000, 100_003] {
            var floats = (0..<count).map { Float(($0 % 251) * (r + 1)) }
            try comm.allReduce(&floats, .sum)
            let ranksSum = n * (n + 1) / 2
            expect(
                floats.indices.allSatisfy { floats[$0] == Float(($0 % 251) * ranksSum) },
                "\(label): Float sum of \(count) elements")
            var highs = (0..<count).map { Float($0 % 7 + r) }
            try comm.allReduce(&highs, .max)
            expect(highs.indices.allSatisfy { highs[$0] == Float($0 % 7 + n - 1) }, "\(label): Float max")
            try comm.allReduce(&highs, .min)
            expect(highs.indices.allSatisfy { highs[$0] == Float($0 % 7 + n - 1) }, "\(label): Float min of equal")
        }
        var doubles = [Double](repeating: Double(r) + 0.5, count: 2_501)
        try comm.allReduce(&doubles, .sum)
        let expected = Double(n * (n - 1) / 2) + 0.5 * Double(n)
        expect(doubles.allSatisfy { $0 == expected }, "\(label): Double sum \(doubles.first ?? .nan) ≠ \(expected)")
        expect(try comm.allReduce(Double(r), .max) == Double(n - 1), "\(label): Double max")
        expect(try comm.allReduce(Double(r) - 7, .min) == -7, "\(label): Double min")
        expect(try comm.anyRank(r == n - 1), "\(label): anyRank(true on the last rank)")
        expect(try !comm.anyRank(false), "\(label): anyRank(false everywhere)")
    }

    /// Fixed-size broadcasts from every root, variable-size bytes, and a root that does not exist.
    mutating func broadcast(on comm: any Communicator, label: String) throws {
        for root in 0..<comm.size {
            let truth = (0..<10_001).map { Float(root * 20_000 + $0) }
            var floats = comm.rank == root ? truth : [Float](repeating: -1, count: truth.count)
            try comm.broadcast(&floats, from: root)
            expect(floats == truth, "\(label): Float broadcast from rank \(root)")

            let message = (0..<37 * (root + 1) + 2_000).map { UInt8(truncatingIfNeeded: $0 * 7 + root) }
            let got = try comm.broadcast(bytes: comm.rank == root ? message : [], from: root)
            expect(got == message, "\(label): \(message.count)-byte broadcast from rank \(root)")
        }
        do {
            var floats: [Float] = [1]
            try comm.broadcast(&floats, from: comm.size)
            expect(false, "\(label): broadcast from rank \(comm.size) did not throw")
        } catch let error as CommunicationError {
            expect(error == .invalidRoot(comm.size, size: comm.size), "\(label): wrong error \(error)")
        }
    }

    /// Variable-size gathers (rank 0 sends nothing) to the first and the last rank.
    mutating func gather() throws {
        let n = world.size
        let r = world.rank
        for root in Set([0, n - 1]).sorted() {
            let mine = [UInt8](repeating: UInt8(r), count: 3 * r)
            let parts = try world.gather(mine, to: root)
            if r == root {
                let want = (0..<n).map { [UInt8](repeating: UInt8($0), count: 3 * $0) }
                expect(parts == want, "byte gather to rank \(root): \(parts.map { $0.map(\.count) } ?? [])")
            } else {
                expect(parts == nil, "byte gather to rank \(root) returned data on rank \(r)")
            }
            let floats = try world.gather((0...r).map { Float(r * 1000 + $0) }, to: root)
            if r == root {
                let want = (0..<n).map { k in (0...k).map { Float(k * 1000 + $0) } }
                expect(floats == want, "Float gather to rank \(root)")
            }
        }
    }

    /// Rank 0 arrives late; every other rank must wait for it.
    mutating func barrier() throws {
        let clock = ContinuousClock()
        if world.rank == 0 { Thread.sleep(forTimeInterval: 0.3) }
        let start = clock.now
        try world.barrier()
        let waited = clock.now - start
        let rank = world.rank
        if rank != 0 {
            expect(waited >= .milliseconds(200), "rank \(rank) left the barrier after \(waited), before rank 0")
        }
        try world.barrier()
    }
}

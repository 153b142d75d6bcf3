import XCTest
import Foundation
@testable import NeuralCore
import CHalf

/// `rowDots` (the batch-1 matrix–vector product) and `SpinTeam` (the threads it runs on).
final class RowDotsTests: XCTestCase {
    func testMatchesNaiveProductForEveryShapeAndBase() {
        forEachKernelLevel { _ in matchesNaiveProduct() }
    }

    func matchesNaiveProduct() {
        var rng = SplitMix64(seed: 11)
        for rows in [0, 1, 3, 4, 5, 9] {
            for cols in [1, 7, 15, 16, 17, 33, 64, 100] {
                let ld = cols + 3   // rows are not packed
                let w = (0..<max(rows * ld, 1)).map { _ in rng.nextFloat(in: -1, 1) }
                let x = (0..<cols).map { _ in rng.nextFloat(in: -1, 1) }
                let b = (0..<max(rows, 1)).map { _ in rng.nextFloat(in: -1, 1) }
                let expected = (0..<rows).map { i in (0..<cols).reduce(0.0) { $0 + Double(w[i * ld + $1]) * Double(x[$1]) } }
                var y = [Float](repeating: .nan, count: max(rows, 1))
                rowDots(w, ld: ld, rows: rows, cols: cols, x: x, base: nil, into: &y)
                for i in 0..<rows { XCTAssertEqual(Double(y[i]), expected[i], accuracy: 1e-5, "\(rows)×\(cols) row \(i)") }
                rowDots(w, ld: ld, rows: rows, cols: cols, x: x, base: b, into: &y)
                for i in 0..<rows { XCTAssertEqual(Double(y[i]), expected[i] + Double(b[i]), accuracy: 1e-5) }
                // base == y: accumulate in place
                var acc = b
                acc.withUnsafeMutableBufferPointer { p in
                    rowDots(w, ld: ld, rows: rows, cols: cols, x: x, base: p.baseAddress!, into: p.baseAddress!)
                }
                for i in 0..<rows { XCTAssertEqual(Double(acc[i]), expected[i] + Double(b[i]), accuracy: 1e-5) }
            }
        }
    }
}

/// `rowDots` over several streams: strides, a shared bias (stride 0), accumulation in place.
final class MultiStreamRowDotsTests: XCTestCase {
    func testMatchesNaiveProductsForEveryStream() {
        forEachKernelLevel { _ in matchesNaiveProducts() }
    }

    func matchesNaiveProducts() {
        var rng = SplitMix64(seed: 12)
        for vectors in [1, 2, 5] {
            for (rows, cols) in [(1, 7), (4, 16), (9, 33), (6, 100)] {
                let ld = cols + 2, xStride = cols + 3, yStride = rows + 5
                let w = (0..<(rows * ld)).map { _ in rng.nextFloat(in: -1, 1) }
                let x = (0..<(vectors * xStride)).map { _ in rng.nextFloat(in: -1, 1) }
                let bias = (0..<rows).map { _ in rng.nextFloat(in: -1, 1) }
                func dot(_ b: Int, _ i: Int) -> Double {
                    (0..<cols).reduce(0.0) { $0 + Double(w[i * ld + $1]) * Double(x[b * xStride + $1]) }
                }
                // A shared bias for every stream.
                var y = [Float](repeating: .nan, count: vectors * yStride)
                rowDots(w, ld: ld, rows: rows, cols: cols, vectors: vectors, x: x, xStride: xStride, base: bias,
                        baseStride: 0, into: &y, yStride: yStride)
                for b in 0..<vectors {
                    for i in 0..<rows {
                        XCTAssertEqual(Double(y[b * yStride + i]), dot(b, i) + Double(bias[i]), accuracy: 1e-5)
                    }
                }
                // In place: y += W x_b, per stream.
                let before = y
                y.withUnsafeMutableBufferPointer { p in
                    rowDots(w, ld: ld, rows: rows, cols: cols, vectors: vectors, x: x, xStride: xStride,
                            base: p.baseAddress!, baseStride: yStride, into: p.baseAddress!, yStride: yStride)
                }
                for b in 0..<vectors {
                    for i in 0..<rows {
                        XCTAssertEqual(Double(y[b * yStride + i]), Double(before[b * yStride + i]) + dot(b, i), accuracy: 1e-5)
                    }
                }
            }
        }
    }
}

/// A job that checks the barrier: in each phase every member writes the phase number into
/// its slot; after the barrier every member must see all slots at that phase.
final class PhaseJob: TeamJob, @unchecked Sendable {
    let team: SpinTeam
    let phases: Int
    let slots: UnsafeMutablePointer<Int>
    let errors: UnsafeMutablePointer<Int>   // one counter per member
    var round = 0

    init(team: SpinTeam, phases: Int) {
        self.team = team
        self.phases = phases
        slots = .allocate(capacity: team.size); slots.initialize(repeating: -1, count: team.size)
        errors = .allocate(capacity: team.size); errors.initialize(repeating: 0, count: team.size)
    }
    deinit { slots.deallocate(); errors.deallocate() }

    func run(rank: Int) {
        for p in 0..<phases {
            let value = round * phases + p
            slots[rank] = value
            team.barrier()
            for r in 0..<team.size where slots[r] != value { errors[rank] += 1 }
            team.barrier()
        }
    }
    var errorCount: Int { (0..<team.size).reduce(0) { $0 + errors[$1] } }
}

final class SpinTeamTests: XCTestCase {
    func testBarriersOrderEveryPhaseOnEveryTeamSize() {
        for size in [1, 2, 3, 4] {
            let team = SpinTeam(size: size)
            let job = PhaseJob(team: team, phases: 5)
            // More members than cores only progress by yielding: fewer rounds there.
            let rounds = size <= ProcessInfo.processInfo.activeProcessorCount ? 400 : 40
            for round in 0..<rounds {
                job.round = round
                team.run(job)
            }
            XCTAssertEqual(job.errorCount, 0, "team of \(size)")
            for r in 0..<size { XCTAssertEqual(job.slots[r], (rounds - 1) * 5 + 4) }
            team.shutdown()
        }
    }

    /// Members that have gone to sleep (past the spin time) wake up for the next job,
    /// whether the job comes just before, during or long after they park.
    func testMembersWakeFromSleep() {
        let team = SpinTeam(size: 3, spin: .microseconds(20))
        let job = PhaseJob(team: team, phases: 2)
        for round in 0..<200 {
            job.round = round
            team.run(job)
            usleep(UInt32(round % 7 == 0 ? 2_000 : round % 4 * 10))
        }
        XCTAssertEqual(job.errorCount, 0)
        team.shutdown()
        team.shutdown()   // idempotent
    }

    /// Every member runs the job exactly once per `run`.
    func testEveryMemberRunsOncePerJob() {
        final class Count: TeamJob, @unchecked Sendable {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 4)
            init() { counts.initialize(repeating: 0, count: 4) }
            func run(rank: Int) { counts[rank] += 1 }
        }
        let team = SpinTeam(size: 4, spin: .microseconds(5))
        let job = Count()
        for i in 0..<300 {
            team.run(job)
            if i % 50 == 0 { usleep(500) }
        }
        XCTAssertEqual((0..<4).map { job.counts[$0] }, [300, 300, 300, 300])
        team.shutdown()
        job.counts.deallocate()
    }
}

/// Half-precision weight copies: conversion (against Swift's own Float16 where it exists)
/// and the half-weight row dots.
final class HalfWeightsTests: XCTestCase {
    func testConversionRoundsToNearestEvenAndSaturates() {
        let specials: [Float] = [0, -0, 1, -1, 0.1, 1e-3, 6.1e-5, 6.0e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-9,
                                 65504, 65519, -65519, 1.0009765625, 1.00048828125, 1.00146484375, 3.14159]
        var rng = SplitMix64(seed: 3)
        var values = specials
        for _ in 0..<20_000 {
            let exponent = Float(rng.next() % 40) - 28          // 2^-28 … 2^11
            values.append(rng.nextFloat(in: -1, 1) * Float(pow(2.0, Double(exponent))))
        }
        let half = values.withUnsafeBufferPointer { HalfBuffer(from: $0.baseAddress!, count: values.count) }
        let back = half.floats
        #if !(os(macOS) && arch(x86_64))
        for (i, v) in values.enumerated() {
            XCTAssertEqual(half.pointer[i], Float16(v).bitPattern, "\(v)")
            XCTAssertEqual(back[i], Float(Float16(v)), "\(v)")
        }
        #endif
        for (v, b) in zip(values, back) where abs(v) >= 6.104e-5 && abs(v) <= 65504 {
            XCTAssertLessThanOrEqual(abs(b - v), abs(v) * 0x1p-11, "\(v) → \(b)")   // half an ulp
        }
        // Past the largest half: saturated, not infinite.
        let big: [Float] = [1e5, -1e9, .infinity]
        let hb = big.withUnsafeBufferPointer { HalfBuffer(from: $0.baseAddress!, count: 3) }
        XCTAssertEqual(hb.floats, [65504, -65504, 65504])
        let nan: [Float] = [.nan]
        XCTAssertTrue(nan.withUnsafeBufferPointer { HalfBuffer(from: $0.baseAddress!, count: 1) }.floats[0].isNaN)
    }

    func testHalfRowDotsMatchTheConvertedWeights() {
        var rng = SplitMix64(seed: 5)
        for rows in [1, 4, 7] {
            for cols in [1, 8, 15, 16, 17, 31, 32, 33, 40, 256] {
                let ld = cols + 1
                let w = (0..<(rows * ld)).map { _ in rng.nextFloat(in: -1, 1) }
                let x = (0..<cols).map { _ in rng.nextFloat(in: -1, 1) }
                let b = (0..<rows).map { _ in rng.nextFloat(in: -1, 1) }
                let half = w.withUnsafeBufferPointer { HalfBuffer(from: $0.baseAddress!, count: w.count) }
                let wf = half.floats
                var y = [Float](repeating: .nan, count: rows)
                rowDots(half: half.pointer, ld: ld, rows: rows, cols: cols, x: x, base: b, into: &y)
                for i in 0..<rows {
                    let exact = (0..<cols).reduce(Double(b[i])) { $0 + Double(wf[i * ld + $1]) * Double(x[$1]) }
                    XCTAssertEqual(Double(y[i]), exact, accuracy: 1e-5, "\(rows)×\(cols)")
                }
                // Every kernel this CPU can run: the portable loop, F16C/AVX2, AVX-512.
                for level in 0...Int(chalf_is_vectorized()) {
                    var z = [Float](repeating: .nan, count: rows)
                    chalf_row_dots_at(Int32(level), half.pointer, ld, rows, cols, x, b, &z)
                    for i in 0..<rows { XCTAssertEqual(z[i], y[i], accuracy: 1e-5, "level \(level) \(rows)×\(cols)") }
                }
            }
        }
    }
}

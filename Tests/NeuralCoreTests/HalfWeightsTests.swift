import Foundation
import XCTest

@testable import NeuralCore

/// Half-precision weight copies: conversion (against Swift's own Float16 where it exists)
/// and the half-weight row dots.
final class HalfWeightsTests: XCTestCase {
    func testConversionRoundsToNearestEvenAndSaturates() {
        let specials: [Float] = [
            0, -0, 1, -1, 0.1, 1e-3, 6.1e-5, 6.0e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-9,
            65504, 65519, -65519, 1.0009765625, 1.00048828125, 1.00146484375, 3.14159,
        ]
        var rng = SplitMix64(seed: 3)
        var values = specials
        for _ in 0..<20_000 {
            let exponent = Float(rng.next() % 40) - 28  // 2^-28 … 2^11
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
            XCTAssertLessThanOrEqual(abs(b - v), abs(v) * 0x1p-11, "\(v) → \(b)")  // half an ulp
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
                // Every kernel level this CPU has: the portable loop, F16C/AVX2.
                forEachKernelLevel { level in
                    var z = [Float](repeating: .nan, count: rows)
                    rowDots(half: half.pointer, ld: ld, rows: rows, cols: cols, x: x, base: b, into: &z)
                    for i in 0..<rows { XCTAssertEqual(z[i], y[i], accuracy: 1e-5, "\(level) \(rows)×\(cols)") }
                }
            }
        }
    }
}

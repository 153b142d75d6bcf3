// Fused element-wise kernels written with SIMD types.
//
// They take raw pointers (no bounds checks, no copies) and process 8 floats at
// a time, with a scalar loop for the tail. `exp` is computed with a
// Cody–Waite range reduction and a degree-6 polynomial (relative error about
// 2e-7 over the whole Float range), which is all the accuracy a sigmoid,
// tanh or softmax in single precision can use.

import Foundation

public typealias Vec = SIMD8<Float>

@inlinable @inline(__always)
func load(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inlinable @inline(__always)
func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

/// e^x for 8 lanes at once; inputs are clamped to [-87.3, 88.7] (no overflow, no denormals).
@inlinable @inline(__always)
public func vexp(_ x: Vec) -> Vec {
    let lo = Vec(repeating: -87.3), hi = Vec(repeating: 88.7)
    var xc = x.replacing(with: lo, where: x .< lo)
    xc = xc.replacing(with: hi, where: xc .> hi)
    // Round x·log2(e) to an integer n with the 1.5·2^23 trick: after the addition the low
    // mantissa bits of `t` hold n, so no float → int conversion is needed.
    let magic: Float = 12_582_912
    let t = xc * 1.442_695_040_888_963_4 + magic
    let n = t - magic
    // Cody–Waite: ln 2 split in a part exact in Float and a correction.
    var r = xc - n * 0.693_145_751_953_125
    r = r - n * 1.428_606_765_330_187_0e-6
    // e^r on [-ln2/2, ln2/2], Taylor to degree 6 in Horner form.
    var p = Vec(repeating: 1.0 / 720.0)
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    // 2^n by building the exponent bits.
    let bits = (unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return p * unsafeBitCast(bits, to: Vec.self)
}

/// Logistic sigmoid 1 / (1 + e^-x), 8 lanes.
@inlinable @inline(__always)
public func vsigmoid(_ x: Vec) -> Vec {
    1 / (1 + vexp(-x))
}

/// tanh x, 8 lanes, as sign(x) · (1 − e^{−2|x|}) / (1 + e^{−2|x|}) (absolute error < 2e-7).
@inlinable @inline(__always)
public func vtanh(_ x: Vec) -> Vec {
    let a = x.replacing(with: -x, where: x .< 0)
    let e = vexp(-2 * a)
    let t = (1 - e) / (1 + e)
    return t.replacing(with: -t, where: x .< 0)
}

@inlinable @inline(__always)
public func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }

@inlinable @inline(__always)
public func stanh(_ x: Float) -> Float { Foundation.tanh(x) }

/// Element-wise kernels over raw buffers.
public enum Kernels {
    /// y[i] = sigmoid(y[i]) for i in 0..<n.
    @inlinable
    public static func sigmoidInPlace(_ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n { store(vsigmoid(load(y + i)), y + i); i += 8 }
        while i < n { y[i] = sigmoid(y[i]); i += 1 }
    }

    /// y[i] = tanh(y[i]) for i in 0..<n.
    @inlinable
    public static func tanhInPlace(_ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n { store(vtanh(load(y + i)), y + i); i += 8 }
        while i < n { y[i] = stanh(y[i]); i += 1 }
    }

    /// Adds `bias` (length n) to each of the `rows` rows of `y` (row stride n).
    @inlinable
    public static func addRowBias(_ y: UnsafeMutablePointer<Float>, rows: Int, _ bias: UnsafePointer<Float>, _ n: Int) {
        for r in 0..<rows {
            let row = y + r * n
            var i = 0
            while i + 8 <= n { store(load(row + i) + load(bias + i), row + i); i += 8 }
            while i < n { row[i] += bias[i]; i += 1 }
        }
    }

    /// y[i] += x[i].
    @inlinable
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n { store(load(y + i) + load(x + i), y + i); i += 8 }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// z[i] = x[i] * y[i].
    @inlinable
    public static func multiply(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n { store(load(x + i) * load(y + i), z + i); i += 8 }
        while i < n { z[i] = x[i] * y[i]; i += 1 }
    }

    /// Sum of squares, accumulated in Double.
    @inlinable
    public static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var acc = SIMD8<Float>.zero
        var total = 0.0
        var i = 0
        var blocks = 0
        while i + 8 <= n {
            let v = load(x + i)
            acc += v * v
            i += 8
            blocks += 1
            if blocks == 512 { total += Double(acc.sum()); acc = .zero; blocks = 0 }
        }
        total += Double(acc.sum())
        while i < n { total += Double(x[i] * x[i]); i += 1 }
        return total
    }

    /// x[i] *= s.
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, _ n: Int, by s: Float) {
        var i = 0
        while i + 8 <= n { store(load(x + i) * s, x + i); i += 8 }
        while i < n { x[i] *= s; i += 1 }
    }

    /// Fused softmax + cross-entropy over `rows` rows of `v` logits.
    ///
    /// Overwrites `logits` with `scale · (softmax − onehot(target))` — the gradient
    /// of `scale · Σ loss` — and returns the summed loss in nats. Rows whose target
    /// is negative are ignored (zero gradient, no loss).
    @inlinable
    public static func softmaxCrossEntropy(
        _ logits: UnsafeMutablePointer<Float>, rows: Int, v: Int,
        targets: UnsafePointer<Int32>, scale: Float, gradient: Bool = true
    ) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let row = logits + r * v
            let t = Int(targets[r])
            let targetLogit = t >= 0 ? row[t] : 0
            var m = -Float.infinity
            for j in 0..<v where row[j] > m { m = row[j] }
            var i = 0
            var accv = Vec.zero
            if gradient {
                while i + 8 <= v { let e = vexp(load(row + i) - m); store(e, row + i); accv += e; i += 8 }
                var s = accv.sum()
                while i < v { let e = Foundation.exp(row[i] - m); row[i] = e; s += e; i += 1 }
                if t >= 0 { total += Double(Foundation.log(s)) + Double(m) - Double(targetLogit) }
                let k = scale / s
                Kernels.scale(row, v, by: k)
                if t >= 0 { row[t] -= scale } else { Kernels.scale(row, v, by: 0) }
            } else {
                if t < 0 { continue }
                while i + 8 <= v { accv += vexp(load(row + i) - m); i += 8 }
                var s = accv.sum()
                while i < v { s += Foundation.exp(row[i] - m); i += 1 }
                total += Double(Foundation.log(s)) + Double(m) - Double(targetLogit)
            }
        }
        return total
    }
}

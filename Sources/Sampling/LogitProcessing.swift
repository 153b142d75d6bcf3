import Foundation

// The allocation-free kernels behind `Sampler`: argmax, temperature softmax,
// top-k / top-p selection and the inverse-CDF walk. They work on raw
// pointers into scratch memory the caller owns, so a draw touches the heap
// only when the vocabulary grows.
//
// Ranking convention used everywhere: token a ranks before token b when
// logit(a) > logit(b), or the logits are equal and a < b. For a temperature
// T > 0 this is the order of probabilities (exp is monotone; the Double
// arithmetic cannot reorder two distinct Float logits), with ties broken by
// the lower id.

/// Scratch memory reused across draws: one `Double` weight and one `Int`
/// slot per vocabulary entry. Grows, never shrinks.
///
/// A `Sampler` is a value type holding a reference to one of these; it
/// replaces a shared box by a fresh one before writing (copy on write), which
/// is what makes the `@unchecked Sendable` sound.
final class SamplerScratch: @unchecked Sendable {
    private(set) var capacity = 0
    private(set) var weights = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private(set) var order = UnsafeMutablePointer<Int>.allocate(capacity: 1)

    /// Makes room for `count` entries (allocates only when `count` exceeds every earlier request).
    func reserve(_ count: Int) {
        guard count > capacity else { return }
        weights.deallocate()
        order.deallocate()
        weights = .allocate(capacity: count)
        order = .allocate(capacity: count)
        capacity = count
    }

    deinit {
        weights.deallocate()
        order.deallocate()
    }
}

enum LogitKernels {
    /// The id of the largest logit; NaN counts as −∞, ties go to the lowest id,
    /// and a vector with no logit above −∞ gives 0.
    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for i in logits.indices where logits[i] > bestValue {  // NaN > x is false
            best = i
            bestValue = logits[i]
        }
        return best
    }

    /// Writes the unnormalized final distribution into `weights[0..<V]` and
    /// returns its total (always > 0): temperature softmax, then top-k, then
    /// top-p; tokens that do not survive get weight 0.
    ///
    /// - Parameters:
    ///   - logits: V logits (NaN counts as −∞); V ≥ 1.
    ///   - temperature: T > 0 (possibly +∞: uniform over the finite logits).
    ///   - topK: keep the K best-ranked tokens; 0 = off.
    ///   - topP: nucleus mass in (0, 1); any value ≥ 1 (or NaN) = off, ≤ 0 keeps one token.
    ///   - weights: scratch of at least V entries (the result).
    ///   - order: scratch of at least V entries.
    static func finalWeights(
        logits: UnsafeBufferPointer<Float>, temperature: Float, topK: Int, topP: Double,
        weights w: UnsafeMutablePointer<Double>, order: UnsafeMutablePointer<Int>
    ) -> Double {
        let n = logits.count
        var maxLogit = -Float.infinity
        for x in logits where x > maxLogit { maxLogit = x }
        if maxLogit == -.infinity {
            // Nothing is possible: fall back to the argmax rule (id 0).
            w.update(repeating: 0, count: n)
            w[0] = 1
            return 1
        }

        // 1. Temperature softmax (unnormalized), max-subtracted, in Double.
        //    `order[0..<candidates]` collects the ids with a positive weight.
        var total = 0.0
        var candidates = 0
        if maxLogit == .infinity {
            // +∞ logits share all the mass equally.
            for i in 0..<n {
                let hit = logits[i] == .infinity
                w[i] = hit ? 1 : 0
                if hit { order[candidates] = i; candidates += 1 }
            }
            total = Double(candidates)
        } else {
            let m = Double(maxLogit)
            let t = Double(temperature)
            for i in 0..<n {
                let x = logits[i]
                // −∞ and NaN get weight 0 (also avoids −∞/∞ = NaN when T = ∞).
                let wi = x > -.infinity ? exp((Double(x) - m) / t) : 0
                w[i] = wi
                if wi > 0 { order[candidates] = i; candidates += 1 }
                total += wi
            }
        }

        let k = topK > 0 && topK < candidates ? topK : candidates
        let nucleus = topP < 1
        if k == candidates && !nucleus { return total }

        // 2. Selection on a max-heap of the candidates (O(V) to build); only
        //    the tokens that can be kept are popped, in rank order. A kept
        //    token is marked by negating its (positive) weight.
        let heap = RankHeap(keys: logits.baseAddress!, ids: order)
        heap.build(count: candidates)
        var end = candidates
        if !nucleus {
            for _ in 0..<k {
                end = heap.pop(end: end)
                w[order[end]].negate()
            }
        } else if k < candidates {
            // top-k, then top-p over the renormalized K survivors.
            for _ in 0..<k { end = heap.pop(end: end) }
            // order[candidates - 1] is the best, order[candidates - k] the K-th.
            var massK = 0.0
            for j in 1...k { massK += w[order[candidates - j]] }
            let threshold = topP * massK
            var cum = 0.0
            for j in 1...k {
                let id = order[candidates - j]
                cum += w[id]
                w[id].negate()
                if cum >= threshold { break }
            }
        } else {
            // top-p alone: pop until the nucleus holds mass ≥ P (at least one token).
            let threshold = topP * total
            var cum = 0.0
            while end > 0 {
                end = heap.pop(end: end)
                let id = order[end]
                cum += w[id]
                w[id].negate()
                if cum >= threshold { break }
            }
        }

        // 3. Keep the marked tokens, zero the rest; total in id order.
        var kept = 0.0
        for i in 0..<n {
            let wi = w[i]
            let e = wi < 0 ? -wi : 0
            w[i] = e
            kept += e
        }
        return kept
    }

    /// Inverse CDF over `weights[0..<count]` in ascending id order: the first
    /// id whose cumulative weight exceeds `u · total`. Zero-weight ids are never
    /// returned; rounding past the end gives the last id with positive weight.
    ///
    /// - Parameters:
    ///   - total: the sum of the weights, accumulated in id order (as `finalWeights` returns it).
    ///   - u: a uniform number in [0, 1).
    static func inverseCDF(weights w: UnsafePointer<Double>, count: Int, total: Double, u: Double) -> Int {
        let target = u * total
        var cum = 0.0
        var last = 0
        for i in 0..<count {
            let wi = w[i]
            guard wi > 0 else { continue }
            cum += wi
            last = i
            if cum > target { return i }
        }
        return last
    }
}

/// A binary max-heap of ids stored in `ids[0..<end]`, ranked by
/// (key descending, id ascending). Keys must not be NaN.
struct RankHeap {
    let keys: UnsafePointer<Float>
    let ids: UnsafeMutablePointer<Int>

    @inline(__always)
    func ranksBefore(_ a: Int, _ b: Int) -> Bool {
        let ka = keys[a], kb = keys[b]
        return ka > kb || (ka == kb && a < b)
    }

    /// Heapifies `ids[0..<count]` in O(count).
    func build(count: Int) {
        var i = count / 2
        while i > 0 {
            i -= 1
            siftDown(from: i, end: count)
        }
    }

    /// Moves the best id of `ids[0..<end]` to `ids[end - 1]` and returns `end - 1`.
    func pop(end: Int) -> Int {
        let last = end - 1
        ids.swapAt(0, last)
        siftDown(from: 0, end: last)
        return last
    }

    private func siftDown(from start: Int, end: Int) {
        var parent = start
        let item = ids[parent]
        while true {
            var child = 2 * parent + 1
            if child >= end { break }
            if child + 1 < end && ranksBefore(ids[child + 1], ids[child]) { child += 1 }
            if !ranksBefore(ids[child], item) { break }
            ids[parent] = ids[child]
            parent = child
        }
        ids[parent] = item
    }
}

private extension UnsafeMutablePointer where Pointee == Int {
    @inline(__always)
    func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}

import Foundation
import NeuralCore

/// The per-step inference path used by sampling: B streams advance one token at a time.
///
/// Layer 0's input projection is a row lookup in T = E · W_ihᵀ + b_ih (+ b_hh) [V, G·H],
/// computed once. Up to `maximumStepBatch` streams run `StreamStep`: hidden units shared in
/// chunks by a spinning `SpinTeam`, each weight row read once for all streams.
/// More streams use one GEMM per product. Nothing is allocated per step.
public final class Predictor: @unchecked Sendable {
    public let model: LanguageModel
    public let batch: Int
    /// The streams' hidden state (reset to zero at creation).
    public let state: ModelState
    let table: FloatBuffer  // [V, G]
    let pre: FloatBuffer  // [B, G]
    let hp: FloatBuffer  // [B, G] (GRU)
    let hNew: FloatBuffer, cNew: FloatBuffer  // [B, H]
    let scratch: FloatBuffer  // [B, H]: the GRU's W_hn h + b_hn, which only backward would need
    let biases: [FloatBuffer]  // per layer: b_ih + b_hh (b_ih only for the GRU)
    /// Logits of the last step, [B, V].
    public let logits: FloatBuffer
    /// The few-streams path (nil above `maximumStepBatch` streams).
    let fewStreams: StreamStep?

    /// Below this many multiply-adds per step, the streams run on one thread.
    public static let minimumTeamWork = 1 << 16
    /// Up to this many streams run `StreamStep`; more use GEMMs (which pack the weights once
    /// per product, worth it only for many rows).
    public static let maximumStepBatch = 16

    /// The threads a step of `batch` streams gets when the caller names none: `threads`, never
    /// more than the machine's cores (spinning members need a core each), when the step is large
    /// enough to gain from them (`minimumTeamWork`), else 1.
    public static func defaultMembers(model: LanguageModel, batch: Int, threads: Int) -> Int {
        let c = model.config, G = c.cell.gateCount * c.hidden
        let perStep = batch * (G * c.hidden * (2 * c.layers - 1) + c.vocabularySize * c.hidden)
        return perStep >= minimumTeamWork ? max(1, min(threads, ProcessInfo.processInfo.activeProcessorCount)) : 1
    }

    /// - Parameters:
    ///   - threads: threads for up to `maximumStepBatch` streams; nil: `defaultMembers` with
    ///     `Parallelism.count`.
    ///   - precision: how the weights are stored for up to `maximumStepBatch` streams (more: float).
    public init(model: LanguageModel, batch: Int = 1, threads: Int? = nil, precision: WeightPrecision = .float32) {
        precondition(batch >= 1, "batch must be ≥ 1")
        precondition((threads ?? 1) >= 1, "threads must be ≥ 1")
        self.model = model
        self.batch = batch
        let c = model.config, H = c.hidden, G = c.cell.gateCount * H
        state = ModelState(config: c, batch: batch)
        table = FloatBuffer(count: c.vocabularySize * G)
        // Scratch of the GEMM path (many streams); `StreamStep` has its own.
        let rows = batch > Self.maximumStepBatch ? batch : 0
        pre = FloatBuffer(count: rows * G)
        hp = FloatBuffer(count: c.cell == .gru ? rows * G : 0)
        hNew = FloatBuffer(count: rows * H)
        cNew = FloatBuffer(count: rows * H)
        scratch = FloatBuffer(count: c.cell == .gru ? rows * H : 0)
        biases = (0..<c.layers).map { _ in FloatBuffer(count: G) }
        logits = FloatBuffer(count: batch * c.vocabularySize)
        if batch <= Self.maximumStepBatch {
            let members = threads ?? Self.defaultMembers(model: model, batch: batch, threads: Parallelism.count)
            fewStreams = StreamStep(
                model: model, batch: batch, state: state, table: table, biases: biases, logits: logits,
                members: members, precision: precision)
        } else {
            fewStreams = nil
        }
        refresh()
    }

    deinit { fewStreams?.shutdown() }

    /// The weights' storage precision (float above `maximumStepBatch` streams).
    public var precision: WeightPrecision { fewStreams?.precision ?? .float32 }

    /// Threads a step runs on (1 above `maximumStepBatch` streams, whose GEMMs split themselves).
    public var threadCount: Int { fewStreams?.team?.size ?? 1 }

    /// Recomputes the cached products after the model's weights changed.
    public func refresh() {
        let c = model.config, G = c.cell.gateCount * c.hidden, V = c.vocabularySize
        for (l, layer) in model.layers.enumerated() {
            let b = biases[l].pointer
            b.update(from: layer.biasIH.value.pointer, count: G)
            if c.cell != .gru { Kernels.add(layer.biasHH.value.pointer, into: b, G) }
        }
        let l0 = model.layers[0]
        gemm(
            transA: false, transB: true, m: V, n: G, k: c.embedding, a: model.encoder.value.pointer, lda: c.embedding,
            b: l0.weightIH.value.pointer, ldb: c.embedding, c: table.pointer, ldc: G)
        Kernels.addRowBias(table.pointer, rows: V, biases[0].pointer, G)
        fewStreams?.refresh()
    }

    /// Resets every stream to the zero state.
    public func reset() { state.reset() }

    /// Feeds one token per stream and returns the logits of the next token, [B, V]
    /// (valid until the next call).
    @discardableResult
    public func step(tokens: UnsafePointer<Int32>) -> UnsafeMutablePointer<Float> {
        let c = model.config, B = batch, H = c.hidden, G = c.cell.gateCount * H, V = c.vocabularySize
        if let fewStreams {
            for b in 0..<B {
                let t = Int(tokens[b])
                precondition(t >= 0 && t < V, "token id \(t) outside the vocabulary 0..<\(V)")
            }
            fewStreams.step(tokens: tokens, count: B)
            return logits.pointer
        }
        let pre = pre.pointer
        for (l, layer) in model.layers.enumerated() {
            if l == 0 {
                for b in 0..<B {
                    let t = Int(tokens[b])
                    precondition(t >= 0 && t < V, "token id \(t) outside the vocabulary 0..<\(V)")
                    (pre + b * G).update(from: table.pointer + t * G, count: G)
                }
            } else {
                product(state.h[l - 1].pointer, layer.weightIH.value.pointer, cols: H, rows: G, into: pre, beta: 0)
                Kernels.addRowBias(pre, rows: B, biases[l].pointer, G)
            }
            let h = state.h[l].pointer
            let whh = layer.weightHH.value.pointer
            switch c.cell {
            case .rnn:
                product(h, whh, cols: H, rows: G, into: pre, beta: 1)
                StepKernels.rnnForward(pre: pre, h: h, B: B, H: H)
            case .lstm, .peephole:
                product(h, whh, cols: H, rows: G, into: pre, beta: 1)
                let peep = layer.peepholeValues
                let cs = state.c[l].pointer
                StepKernels.lstmForward(
                    gates: pre, cPrev: cs, c: cNew.pointer, h: h,
                    B: B, H: H, peep: peep)
                cs.update(from: cNew.pointer, count: B * H)
            case .gru:
                product(h, whh, cols: H, rows: G, into: hp.pointer, beta: 0)
                Kernels.addRowBias(hp.pointer, rows: B, layer.biasHH.value.pointer, G)
                StepKernels.gruForward(
                    xp: pre, hp: hp.pointer, hPrev: h, hn: scratch.pointer, h: hNew.pointer, B: B, H: H)
                h.update(from: hNew.pointer, count: B * H)
            }
        }
        let top = state.h[c.layers - 1].pointer
        product(top, model.decoderWeight.value.pointer, cols: H, rows: V, into: logits.pointer, beta: 0)
        Kernels.addRowBias(logits.pointer, rows: B, model.decoderBias.value.pointer, V)
        return logits.pointer
    }

    /// Feeds one token to each of the first `count` streams only (the others keep their state) and
    /// returns the logits, [B, V], of which the first `count` rows are this step's: the path of
    /// a server whose streams join and leave (`moveStream`). Up to `maximumStepBatch` streams.
    ///
    /// A stream's results do not depend on `count`, on which other streams share the step, or on
    /// the thread count: the same tokens give the same bits alone or batched.
    @discardableResult
    public func step(tokens: UnsafePointer<Int32>, count: Int) -> UnsafeMutablePointer<Float> {
        guard let fewStreams else { preconditionFailure("step(tokens:count:) needs ≤ \(Self.maximumStepBatch) streams") }
        precondition(count >= 1 && count <= batch, "count \(count) outside 1...\(batch)")
        let V = model.config.vocabularySize
        for b in 0..<count {
            let t = Int(tokens[b])
            precondition(t >= 0 && t < V, "token id \(t) outside the vocabulary 0..<\(V)")
        }
        fewStreams.step(tokens: tokens, count: count)
        return logits.pointer
    }

    /// Copies stream `source`'s state over stream `destination`'s (compacting the active streams
    /// when one leaves).
    public func moveStream(from source: Int, to destination: Int) {
        precondition(source >= 0 && source < batch && destination >= 0 && destination < batch)
        guard source != destination else { return }
        let H = model.config.hidden
        for buf in state.buffers {
            (buf.pointer + destination * H).update(from: buf.pointer + source * H, count: H)
        }
    }

    /// out[B, rows] = x[B, cols] · Wᵀ (+ beta · out), W being [rows, cols] (many streams).
    @inline(__always)
    func product(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, cols: Int, rows: Int,
        into out: UnsafeMutablePointer<Float>, beta: Float
    ) {
        gemm(
            transA: false, transB: true, m: batch, n: rows, k: cols, a: x, lda: cols, b: w, ldb: cols,
            beta: beta, c: out, ldc: rows)
    }
}

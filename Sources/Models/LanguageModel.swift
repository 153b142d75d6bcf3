import Foundation
import NeuralCore

/// The parameters of one recurrent layer (PyTorch names `rnn.*_l{k}`).
public struct LayerParameters: Sendable {
    public let weightIH: Parameter  // [G·H, I]
    public let weightHH: Parameter  // [G·H, H]
    public let biasIH: Parameter  // [G·H]
    public let biasHH: Parameter  // [G·H]
    /// Peephole weights (p_i, p_f, p_o), each [H]; only for `CellKind.peephole`.
    public let peepholes: [Parameter]
    public let inputSize: Int

    /// The peephole weights (p_i, p_f, p_o) as the step kernels take them; nil without peepholes.
    var peepholeValues: (CP, CP, CP)? {
        peepholes.isEmpty
            ? nil : (CP(peepholes[0].value.pointer), CP(peepholes[1].value.pointer), CP(peepholes[2].value.pointer))
    }

    /// Their gradients, in the same order; nil without peepholes.
    var peepholeGradients: (P, P, P)? {
        peepholes.isEmpty ? nil : (peepholes[0].grad.pointer, peepholes[1].grad.pointer, peepholes[2].grad.pointer)
    }
}

/// How dropout masks are chosen in a forward pass.
public enum DropoutMode {
    /// No dropout (evaluation, sampling).
    case off
    /// Fresh inverted-dropout masks from this generator (training).
    case sample(UnsafeMutablePointer<SplitMix64>)
    /// Reuse the masks already in the workspace (gradient checks).
    case reuse
}

/// The hidden state of every layer for B parallel streams: h (and c for LSTMs), [B, H] each.
public final class ModelState: @unchecked Sendable {
    public let batch: Int
    public let hidden: Int
    public let h: [FloatBuffer]
    public let c: [FloatBuffer]

    public init(config: ModelConfig, batch: Int) {
        self.batch = batch
        hidden = config.hidden
        h = (0..<config.layers).map { _ in FloatBuffer(count: batch * config.hidden) }
        c = config.cell.hasCellState ? (0..<config.layers).map { _ in FloatBuffer(count: batch * config.hidden) } : []
    }

    /// Resets every stream to the zero state.
    public func reset() {
        h.forEach { $0.zero() }
        c.forEach { $0.zero() }
    }

    /// Resets one stream `b` to the zero state.
    public func reset(stream b: Int) {
        for buf in h + c { (buf.pointer + b * hidden).update(repeating: 0, count: hidden) }
    }

    /// Copies all values from `other` (same shape).
    public func copy(from other: ModelState) {
        for (a, b) in zip(h, other.h) { a.copy(from: b) }
        for (a, b) in zip(c, other.c) { a.copy(from: b) }
    }

    /// All state buffers in a fixed order (h of every layer, then c), for saving.
    public var buffers: [FloatBuffer] { h + c }
}

/// A stacked character-level recurrent language model:
/// embedding → L recurrent layers (dropout between them) → dropout → linear decoder → softmax.
///
/// Parameters carry the names of PyTorch's word_language_model (`encoder.weight`,
/// `rnn.weight_ih_l0`, …, `decoder.weight`, `decoder.bias`) and its row-major layouts,
/// so `model.safetensors` loads into `torch.nn.LSTM` / `GRU` / `RNN` unchanged.
public final class LanguageModel: @unchecked Sendable {
    public let config: ModelConfig
    /// Every parameter, in PyTorch's `state_dict` order.
    public let parameters: [Parameter]
    public let encoder: Parameter  // [V, E]
    public let layers: [LayerParameters]
    public let decoderWeight: Parameter  // [V, H]
    public let decoderBias: Parameter  // [V]

    /// Builds a model with PyTorch's default initialization: embedding N(0, 1);
    /// recurrent weights, biases and peepholes U(−1/√H, 1/√H); decoder U(−1/√H, 1/√H).
    ///
    /// - Parameters:
    ///   - forgetBias: if set, LSTM forget-gate biases start at this value (`bias_ih` = value, `bias_hh` = 0).
    public init(config: ModelConfig, seed: UInt64 = 0, forgetBias: Float? = nil) throws {
        try config.validate()
        self.config = config
        let V = config.vocabularySize, E = config.embedding, H = config.hidden
        let G = config.cell.gateCount * H
        encoder = Parameter(name: "encoder.weight", shape: [V, E])
        var all = [encoder]
        var layers: [LayerParameters] = []
        for l in 0..<config.layers {
            let I = l == 0 ? E : H
            let wih = Parameter(name: "rnn.weight_ih_l\(l)", shape: [G, I])
            let whh = Parameter(name: "rnn.weight_hh_l\(l)", shape: [G, H])
            let bih = Parameter(name: "rnn.bias_ih_l\(l)", shape: [G])
            let bhh = Parameter(name: "rnn.bias_hh_l\(l)", shape: [G])
            var peep: [Parameter] = []
            if config.cell == .peephole {
                peep = ["i", "f", "o"].map { Parameter(name: "rnn.weight_peephole_\($0)_l\(l)", shape: [H]) }
            }
            layers.append(
                LayerParameters(weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, peepholes: peep, inputSize: I))
            all += [wih, whh, bih, bhh] + peep
        }
        self.layers = layers
        decoderWeight = Parameter(name: "decoder.weight", shape: [V, H])
        decoderBias = Parameter(name: "decoder.bias", shape: [V])
        all += [decoderWeight, decoderBias]
        parameters = all

        var rng = SplitMix64.derived(seed: seed, stream: 0x1417)
        let k = 1 / Float(H).squareRoot()
        for i in 0..<encoder.count { encoder.value.pointer[i] = Self.normal(&rng) }
        for layer in layers {
            for p in [layer.weightIH, layer.weightHH, layer.biasIH, layer.biasHH] + layer.peepholes {
                for i in 0..<p.count { p.value.pointer[i] = rng.nextFloat(in: -k, k) }
            }
            if let fb = forgetBias, config.cell.hasCellState {
                for j in H..<(2 * H) { layer.biasIH.value.pointer[j] = fb; layer.biasHH.value.pointer[j] = 0 }
            }
        }
        for p in [decoderWeight, decoderBias] {
            for i in 0..<p.count { p.value.pointer[i] = rng.nextFloat(in: -k, k) }
        }
    }

    static func normal(_ rng: inout SplitMix64) -> Float {
        // Box–Muller.
        let u1 = max(rng.nextUnitDouble(), 1e-300), u2 = rng.nextUnitDouble()
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// Looks a parameter up by its PyTorch name.
    public func parameter(named name: String) -> Parameter? { parameters.first { $0.name == name } }

    /// Sets every gradient to zero.
    public func zeroGradients() { parameters.forEach { $0.grad.zero() } }

    // MARK: - Forward

    /// Runs the model over `S` steps of `B` streams and returns the summed cross-entropy (nats).
    ///
    /// - Parameters:
    ///   - inputs: token ids, time-major [S, B] (`inputs[t·B + b]`).
    ///   - targets: next-token ids, [S, B]; a negative id is not scored. `nil` computes logits only.
    ///   - state: hidden state in (the streams' state before step 0) and out (after step S−1).
    ///   - workspace: buffers sized for (B, S); after the call it holds what `backward` needs
    ///     and the logits (or, when `keepGradient`, their gradient).
    ///   - keepGradient: overwrite the logits with ∂(mean loss)/∂logits, ready for `backward`.
    /// - Returns: summed loss over the scored positions.
    @discardableResult
    public func forward(
        inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>?, state: ModelState,
        workspace ws: Workspace, dropout: DropoutMode, keepGradient: Bool = false
    ) -> Double {
        let B = ws.batch, S = ws.steps, N = B * S
        let H = config.hidden, E = config.embedding, V = config.vocabularySize
        precondition(state.batch == B, "state batch \(state.batch) ≠ workspace batch \(B)")
        let useDropout: Bool
        switch dropout {
        case .off: useDropout = false
        case .sample, .reuse: useDropout = config.dropout > 0 && !ws.masks.isEmpty
        }
        if case .sample(let rng) = dropout, useDropout {
            let p = config.dropout, keep = 1 / (1 - p)
            for m in ws.masks {
                for i in 0..<m.count { m.pointer[i] = rng.pointee.nextUnitFloat() < p ? 0 : keep }
            }
        }
        ws.dropoutActive = useDropout

        ws.lastInputs.update(from: inputs, count: N)
        for pos in 0..<N {
            precondition(
                inputs[pos] >= 0 && Int(inputs[pos]) < V, "token id \(inputs[pos]) outside the vocabulary 0..<\(V)")
        }
        let emb = ws.embedded.pointer
        if !ws.usesInputTable {
            // Embedding gather.
            for pos in 0..<N {
                (emb + pos * E).update(from: encoder.value.pointer + Int(inputs[pos]) * E, count: E)
            }
        }

        for (l, layer) in layers.enumerated() {
            let input: UnsafePointer<Float> = l == 0 ? UnsafePointer(emb) : ws.layerInput(l)
            forwardLayer(l, layer, input: input, state: state, ws: ws)
            if useDropout {
                Kernels.multiply(ws.hidden[l].pointer + B * H, ws.masks[l].pointer, into: ws.dropped[l].pointer, N * H)
            }
        }

        // Decoder.
        let top = ws.layerOutput(layers.count - 1)
        let logits = ws.logits.pointer
        gemm(
            transA: false, transB: true, m: N, n: V, k: H, a: top, lda: H,
            b: decoderWeight.value.pointer, ldb: H, c: logits, ldc: V)
        Kernels.addRowBias(logits, rows: N, decoderBias.value.pointer, V)
        guard let targets else { return 0 }
        var scored = 0
        for i in 0..<N where targets[i] >= 0 { scored += 1 }
        ws.scored = scored
        return Kernels.softmaxCrossEntropy(
            logits, rows: N, v: V, targets: targets,
            scale: scored > 0 ? 1 / Float(scored) : 0, gradient: keepGradient)
    }

    func forwardLayer(_ l: Int, _ p: LayerParameters, input: UnsafePointer<Float>, state: ModelState, ws: Workspace) {
        let B = ws.batch, S = ws.steps, N = B * S, H = config.hidden, I = p.inputSize
        let G = config.cell.gateCount * H
        let gates = ws.gates[l].pointer
        let hall = ws.hidden[l].pointer
        if l == 0 && ws.usesInputTable {
            // Layer 0's input is an embedding row, so its projection is a row of
            // T = E · W_ihᵀ [V, G]: one small product instead of one over all N positions.
            let table = ws.inputTable.pointer, V = config.vocabularySize
            gemm(
                transA: false, transB: true, m: V, n: G, k: I, a: encoder.value.pointer, lda: I,
                b: p.weightIH.value.pointer, ldb: I, c: table, ldc: G)
            for pos in 0..<N { (gates + pos * G).update(from: table + Int(ws.lastInputs[pos]) * G, count: G) }
        } else {
            // All input projections at once: [N, G] = X [N, I] · W_ihᵀ.
            gemm(
                transA: false, transB: true, m: N, n: G, k: I, a: input, lda: I,
                b: p.weightIH.value.pointer, ldb: I, c: gates, ldc: G)
        }
        let bias = ws.biasScratch.pointer
        bias.update(from: p.biasIH.value.pointer, count: G)
        if config.cell != .gru { Kernels.add(p.biasHH.value.pointer, into: bias, G) }
        Kernels.addRowBias(gates, rows: N, bias, G)

        hall.update(from: state.h[l].pointer, count: B * H)
        let call = config.cell.hasCellState ? ws.cells[l].pointer : nil
        if let call { call.update(from: state.c[l].pointer, count: B * H) }
        let whh = p.weightHH.value.pointer
        let peep = p.peepholeValues

        for t in 0..<S {
            let hPrev = hall + t * B * H, hOut = hall + (t + 1) * B * H
            let g = gates + t * B * G
            switch config.cell {
            // The cell kernels run over blocks of streams on the threads (rows are independent).
            case .rnn:
                gemm(
                    transA: false, transB: true, m: B, n: G, k: H, a: hPrev, lda: H, b: whh, ldb: H, beta: 1, c: g,
                    ldc: G)
                Parallelism.forRowBlocks(B, width: G) { r in
                    StepKernels.rnnForward(pre: g + r.lowerBound * G, h: hOut + r.lowerBound * H, B: r.count, H: H)
                }
            case .lstm, .peephole:
                gemm(
                    transA: false, transB: true, m: B, n: G, k: H, a: hPrev, lda: H, b: whh, ldb: H, beta: 1, c: g,
                    ldc: G)
                let call = call!
                Parallelism.forRowBlocks(B, width: G) { r in
                    let o = r.lowerBound * H
                    StepKernels.lstmForward(
                        gates: g + r.lowerBound * G, cPrev: call + t * B * H + o,
                        c: call + (t + 1) * B * H + o, h: hOut + o, B: r.count, H: H, peep: peep)
                }
            case .gru:
                let hp = ws.hiddenProjection.pointer, hn = ws.gruHn[l].pointer + t * B * H
                gemm(transA: false, transB: true, m: B, n: G, k: H, a: hPrev, lda: H, b: whh, ldb: H, c: hp, ldc: G)
                Parallelism.forRowBlocks(B, width: G) { r in
                    let og = r.lowerBound * G, o = r.lowerBound * H
                    Kernels.addRowBias(hp + og, rows: r.count, p.biasHH.value.pointer, G)
                    StepKernels.gruForward(
                        xp: g + og, hp: hp + og, hPrev: hPrev + o, hn: hn + o, h: hOut + o,
                        B: r.count, H: H)
                }
            }
        }
        state.h[l].pointer.update(from: hall + S * B * H, count: B * H)
        if let call { state.c[l].pointer.update(from: call + S * B * H, count: B * H) }
    }

    // MARK: - Backward

    /// Backpropagation through time over the last `forward` (which must have been called with
    /// `keepGradient: true` and targets). Accumulates into every parameter's `grad`.
    /// Truncated BPTT: no gradient flows into the incoming state.
    public func backward(workspace ws: Workspace) {
        let B = ws.batch, S = ws.steps, N = B * S, H = config.hidden, V = config.vocabularySize, E = config.embedding
        let dlogits = ws.logits.pointer
        let top = ws.layerOutput(layers.count - 1)
        // Decoder gradients.
        gemm(
            transA: true, transB: false, m: V, n: H, k: N, a: dlogits, lda: V, b: top, ldb: H,
            beta: 1, c: decoderWeight.grad.pointer, ldc: H)
        gemv(
            trans: true, rows: N, cols: V, a: dlogits, lda: V, x: ws.ones.pointer, beta: 1, y: decoderBias.grad.pointer)
        let dOut = ws.dOut.pointer
        gemm(
            transA: false, transB: false, m: N, n: H, k: V, a: dlogits, lda: V, b: decoderWeight.value.pointer, ldb: H,
            c: dOut, ldc: H)
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            if ws.dropoutActive { Kernels.multiply(dOut, ws.masks[l].pointer, into: dOut, N * H) }
            let input: UnsafePointer<Float> = l == 0 ? UnsafePointer(ws.embedded.pointer) : ws.layerInput(l)
            // ∂L/∂(input of layer l) replaces ∂L/∂(its output) in the same buffer: for l > 0 it is
            // ∂L/∂(output of layer l−1), what the next iteration reads.
            backwardLayer(l, layers[l], input: input, dOut: dOut, dX: dOut, ws: ws)
            if l == 0 && !ws.usesInputTable {
                // (With the input table, backwardLayer already accumulated the embedding gradient.)
                let demb = encoder.grad.pointer
                for pos in 0..<N {
                    Kernels.add(dOut + pos * E, into: demb + Int(ws.lastInputs[pos]) * E, E)
                }
            }
        }
    }

    /// BPTT through layer `l`: reads `dOut` (∂L/∂ its outputs, [N, H]) during the time loop and
    /// only then writes ∂L/∂ its inputs to `dX`, which may therefore be the same memory.
    func backwardLayer(
        _ l: Int, _ p: LayerParameters, input: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
        dX: UnsafeMutablePointer<Float>, ws: Workspace
    ) {
        let B = ws.batch, S = ws.steps, N = B * S, H = config.hidden, I = p.inputSize
        let G = config.cell.gateCount * H
        let gates = ws.gates[l].pointer, hall = ws.hidden[l].pointer
        // Step t's gradients overwrite step t's gates, which nothing reads after it.
        let dPreX = gates
        let dh = ws.dh.pointer, dhNext = ws.dhNext.pointer, dc = ws.dc.pointer
        dhNext.update(repeating: 0, count: B * H)
        dc.update(repeating: 0, count: B * H)
        let whh = p.weightHH.value.pointer
        let peep = p.peepholeValues
        let peepGrad = p.peepholeGradients

        for t in stride(from: S - 1, through: 0, by: -1) {
            let g = gates + t * B * G
            let dx = dPreX + t * B * G
            // Over blocks of streams on the threads: dh = ∂L/∂h_t from above + from step t+1,
            // then the cell's kernel. (The peephole gradients sum over all streams: one block.)
            let rowBlocks = { (body: (Range<Int>) -> Void) in
                if peepGrad == nil { Parallelism.forRowBlocks(B, width: G, body) } else { body(0..<B) }
            }
            rowBlocks { r in
                let o = r.lowerBound * H, n = r.count * H
                (dh + o).update(from: dOut + t * B * H + o, count: n)
                Kernels.add(dhNext + o, into: dh + o, n)
            }
            switch config.cell {
            case .rnn:
                rowBlocks { r in
                    let o = r.lowerBound * H
                    StepKernels.rnnBackward(
                        dh: dh + o, h: hall + (t + 1) * B * H + o, dPre: dx + r.lowerBound * G,
                        B: r.count, H: H)
                }
                if t > 0 {
                    gemm(
                        transA: false, transB: false, m: B, n: H, k: G, a: dx, lda: G, b: whh, ldb: H, c: dhNext, ldc: H
                    )
                }
            case .lstm, .peephole:
                let call = ws.cells[l].pointer
                rowBlocks { r in
                    let o = r.lowerBound * H
                    StepKernels.lstmBackward(
                        dh: dh + o, dc: dc + o, gates: g + r.lowerBound * G, c: call + (t + 1) * B * H + o,
                        cPrev: call + t * B * H + o, dPre: dx + r.lowerBound * G,
                        B: r.count, H: H, peep: peep, peepGrad: peepGrad)
                }
                if t > 0 {
                    gemm(
                        transA: false, transB: false, m: B, n: H, k: G, a: dx, lda: G, b: whh, ldb: H, c: dhNext, ldc: H
                    )
                }
            case .gru:
                // ∂L/∂(W_hh h + b_hh) is dPre's r and z blocks and, for n, dPre_n ⊙ r, which
                // replaces W_hn h + b_hn (read first) in the same buffer.
                let hn = ws.gruHn[l].pointer + t * B * H
                rowBlocks { r in
                    let o = r.lowerBound * H, og = r.lowerBound * G
                    StepKernels.gruBackward(
                        dh: dh + o, gates: g + og, hn: hn + o, hPrev: hall + t * B * H + o,
                        dX: dx + og, dHn: hn + o, dhPrev: dhNext + o, B: r.count, H: H)
                }
                if t > 0 {
                    gemm(
                        transA: false, transB: false, m: B, n: H, k: 2 * H, a: dx, lda: G, b: whh, ldb: H, beta: 1,
                        c: dhNext, ldc: H)
                    gemm(
                        transA: false, transB: false, m: B, n: H, k: H, a: hn, lda: H, b: whh + 2 * H * H, ldb: H,
                        beta: 1, c: dhNext, ldc: H)
                }
            }
        }
        // Weight gradients with large GEMMs over all N positions.
        if l == 0 && ws.usesInputTable {
            // X = onehot · E, so ∂W_ih = (onehotᵀ · dPre)ᵀ · E and ∂E = (onehotᵀ · dPre) · W_ih:
            // sum dPre rows per token first (T [V, G]), then two small products.
            let V = config.vocabularySize
            let t = ws.inputTable.pointer
            t.update(repeating: 0, count: V * G)
            for pos in 0..<N { Kernels.add(dPreX + pos * G, into: t + Int(ws.lastInputs[pos]) * G, G) }
            gemm(
                transA: true, transB: false, m: G, n: I, k: V, a: t, lda: G, b: encoder.value.pointer, ldb: I,
                beta: 1, c: p.weightIH.grad.pointer, ldc: I)
            gemm(
                transA: false, transB: false, m: V, n: I, k: G, a: t, lda: G, b: p.weightIH.value.pointer, ldb: I,
                beta: 1, c: encoder.grad.pointer, ldc: I)
        } else {
            gemm(
                transA: true, transB: false, m: G, n: I, k: N, a: dPreX, lda: G, b: input, ldb: I,
                beta: 1, c: p.weightIH.grad.pointer, ldc: I)
        }
        gemv(trans: true, rows: N, cols: G, a: dPreX, lda: G, x: ws.ones.pointer, beta: 1, y: p.biasIH.grad.pointer)
        // The hidden side's pre-activation gradients: dPreX itself, except the GRU's n block
        // (in gruHn, [N, H]).
        let hiddenRows = config.cell == .gru ? 2 * H : G
        gemm(
            transA: true, transB: false, m: hiddenRows, n: H, k: N, a: dPreX, lda: G, b: hall, ldb: H,
            beta: 1, c: p.weightHH.grad.pointer, ldc: H)
        gemv(
            trans: true, rows: N, cols: hiddenRows, a: dPreX, lda: G, x: ws.ones.pointer, beta: 1,
            y: p.biasHH.grad.pointer)
        if config.cell == .gru {
            let dn = ws.gruHn[l].pointer
            gemm(
                transA: true, transB: false, m: H, n: H, k: N, a: dn, lda: H, b: hall, ldb: H,
                beta: 1, c: p.weightHH.grad.pointer + 2 * H * H, ldc: H)
            gemv(
                trans: true, rows: N, cols: H, a: dn, lda: H, x: ws.ones.pointer, beta: 1,
                y: p.biasHH.grad.pointer + 2 * H)
        }
        // Gradient into the layer's input.
        if l == 0 && ws.usesInputTable { return }
        gemm(
            transA: false, transB: false, m: N, n: I, k: G, a: dPreX, lda: G, b: p.weightIH.value.pointer, ldb: I,
            c: dX, ldc: I)
    }
}

import NeuralCore

extension LanguageModel {
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
        let N = ws.batch * ws.steps, I = p.inputSize, G = config.cell.gateCount * config.hidden
        backwardThroughTime(l, p, dOut: dOut, ws: ws)
        accumulateWeightGradients(l, p, input: input, ws: ws)
        // Gradient into the layer's input (with the input table, already in the embedding's).
        if l == 0 && ws.usesInputTable { return }
        gemm(
            transA: false, transB: false, m: N, n: I, k: G, a: ws.gates[l].pointer, lda: G,
            b: p.weightIH.value.pointer, ldb: I, c: dX, ldc: I)
    }

    /// The sweep back over time: step t's pre-activation gradients [B, G] overwrite step t's
    /// gates (which nothing reads after it), and ∂L/∂h_{t−1} flows back through W_hh.
    func backwardThroughTime(_ l: Int, _ p: LayerParameters, dOut: UnsafePointer<Float>, ws: Workspace) {
        let B = ws.batch, S = ws.steps, H = config.hidden
        let G = config.cell.gateCount * H
        let gates = ws.gates[l].pointer, hall = ws.hidden[l].pointer
        let dh = ws.dh.pointer, dhNext = ws.dhNext.pointer, dc = ws.dc.pointer
        dhNext.update(repeating: 0, count: B * H)
        dc.update(repeating: 0, count: B * H)
        let whh = p.weightHH.value.pointer
        let peep = p.peepholeValues
        let peepGrad = p.peepholeGradients

        for t in stride(from: S - 1, through: 0, by: -1) {
            let g = gates + t * B * G
            let dx = g  // the step's gradients replace its gates
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
            case .lstm, .peephole:
                let call = ws.cells[l].pointer
                rowBlocks { r in
                    let o = r.lowerBound * H
                    StepKernels.lstmBackward(
                        dh: dh + o, dc: dc + o, gates: g + r.lowerBound * G, c: call + (t + 1) * B * H + o,
                        cPrev: call + t * B * H + o, dPre: dx + r.lowerBound * G,
                        B: r.count, H: H, peep: peep, peepGrad: peepGrad)
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
            }
            guard t > 0 else { continue }
            // ∂L/∂h_{t−1} = dPre · W_hh (the same product for every cell but the GRU, whose kernel
            // wrote the z ⊙ dh path into dhNext: it adds dPre_{r,z} · W_h{r,z} and, from the
            // buffer hn now holds, (dPre_n ⊙ r) · W_hn).
            if config.cell == .gru {
                let hn = ws.gruHn[l].pointer + t * B * H
                gemm(
                    transA: false, transB: false, m: B, n: H, k: 2 * H, a: dx, lda: G, b: whh, ldb: H, beta: 1,
                    c: dhNext, ldc: H)
                gemm(
                    transA: false, transB: false, m: B, n: H, k: H, a: hn, lda: H, b: whh + 2 * H * H, ldb: H,
                    beta: 1, c: dhNext, ldc: H)
            } else {
                gemm(transA: false, transB: false, m: B, n: H, k: G, a: dx, lda: G, b: whh, ldb: H, c: dhNext, ldc: H)
            }
        }
    }

    /// Weight gradients with large GEMMs over all N positions, after the sweep: the input side
    /// (through the input table for layer 0 when there is one), then the hidden side.
    func accumulateWeightGradients(_ l: Int, _ p: LayerParameters, input: UnsafePointer<Float>, ws: Workspace) {
        let N = ws.batch * ws.steps, H = config.hidden, I = p.inputSize
        let G = config.cell.gateCount * H
        let dPreX = ws.gates[l].pointer, hall = ws.hidden[l].pointer
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
    }
}

import NeuralCore

/// How dropout masks are chosen in a forward pass.
public enum DropoutMode {
    /// No dropout (evaluation, sampling).
    case off
    /// Fresh inverted-dropout masks from this generator (training).
    case sample(UnsafeMutablePointer<SplitMix64>)
    /// Reuse the masks already in the workspace (gradient checks).
    case reuse
}

extension LanguageModel {
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
}

import NeuralCore

/// One step of the stacked model for a single stream (batch 1), the path of interactive
/// generation. Each member of a `SpinTeam` owns a slice of the hidden units: it computes the
/// gate rows of its units (input and recurrent products by `rowDots`) and their new state,
/// so a layer needs one barrier, and the decoder's rows are split the same way. Members
/// read the previous hidden state from a snapshot, since others overwrite it meanwhile.
/// With `.float16`, the matrices are read from half-precision copies (half the bytes).
final class SingleStreamStep: TeamJob {
    let model: LanguageModel
    let state: ModelState
    let table: FloatBuffer            // [V, G]: E·W_ihᵀ + biases of layer 0
    let biases: [FloatBuffer]         // per layer [G]: b_ih + b_hh (b_ih for the GRU)
    let logits: FloatBuffer           // [V]
    let team: SpinTeam?
    let units: [Range<Int>]           // per member: hidden units
    let rows: [Range<Int>]            // per member: decoder rows
    let hOld: [FloatBuffer]           // per layer [H]: h before this step
    let pre: FloatBuffer              // [G]
    let hp: FloatBuffer               // [G]: W_hh h + b_hh (GRU)
    let scratch: FloatBuffer          // [H]
    let precision: WeightPrecision
    let recurrent: [StepMatrix]       // per layer: W_hh
    let input: [StepMatrix?]          // per layer: W_ih (nil for layer 0: the table)
    let decoder: StepMatrix
    var token = 0

    init(model: LanguageModel, state: ModelState, table: FloatBuffer, biases: [FloatBuffer], logits: FloatBuffer,
         members: Int, precision: WeightPrecision) {
        let c = model.config, H = c.hidden, G = c.cell.gateCount * H, V = c.vocabularySize
        self.model = model
        self.state = state
        self.table = table
        self.biases = biases
        self.logits = logits
        team = members > 1 ? SpinTeam(size: members) : nil
        units = Self.split(H, into: members, multipleOf: 8)
        rows = Self.split(V, into: members, multipleOf: 4)
        hOld = (0..<c.layers).map { _ in FloatBuffer(count: H) }
        pre = FloatBuffer(count: G)
        hp = FloatBuffer(count: c.cell == .gru ? G : 0)
        scratch = FloatBuffer(count: H)
        self.precision = precision
        recurrent = model.layers.map { StepMatrix($0.weightHH, precision) }
        input = model.layers.enumerated().map { l, p in l == 0 ? nil : StepMatrix(p.weightIH, precision) }
        decoder = StepMatrix(model.decoderWeight, precision)
    }

    /// Copies the weights again after the model's weights changed (half precision).
    func refresh() {
        for m in recurrent + input.compactMap({ $0 }) + [decoder] { m.refresh() }
    }

    /// `0..<n` cut into `parts` consecutive ranges whose bounds are multiples of `multiple`
    /// (the last ones may be empty).
    static func split(_ n: Int, into parts: Int, multipleOf multiple: Int) -> [Range<Int>] {
        let chunk = ((n + parts - 1) / parts + multiple - 1) / multiple * multiple
        return (0..<parts).map { min(n, $0 * chunk)..<min(n, ($0 + 1) * chunk) }
    }

    func shutdown() { team?.shutdown() }

    func step(token: Int) {
        self.token = token
        for (old, h) in zip(hOld, state.h) { old.copy(from: h) }
        if let team { team.run(self) } else { run(rank: 0) }
    }

    func run(rank: Int) {
        let c = model.config
        let mine = units[rank]
        for l in 0..<c.layers {
            if l > 0 { team?.barrier() }     // layer l − 1's new h is complete
            if !mine.isEmpty { layer(l, units: mine) }
        }
        team?.barrier()
        let r = rows[rank]
        if !r.isEmpty {
            decoder.dots(rows: r, x: state.h[c.layers - 1].pointer, base: model.decoderBias.value.pointer + r.lowerBound,
                         into: logits.pointer + r.lowerBound)
        }
    }

    /// Gate pre-activations and new state of `units` in layer `l`.
    func layer(_ l: Int, units u: Range<Int>) {
        let c = model.config, H = c.hidden, G = c.cell.gateCount * H, n = u.count
        let p = model.layers[l]
        let whh = recurrent[l], old = hOld[l].pointer
        for q in 0..<c.cell.gateCount {
            let r0 = q * H + u.lowerBound, rows = r0..<(r0 + n)
            let out = pre.pointer + r0
            if let wih = input[l] {
                wih.dots(rows: rows, x: state.h[l - 1].pointer, base: biases[l].pointer + r0, into: out)
            } else {
                out.update(from: table.pointer + token * G + r0, count: n)
            }
            if c.cell == .gru {
                whh.dots(rows: rows, x: old, base: p.biasHH.value.pointer + r0, into: hp.pointer + r0)
            } else {
                whh.dots(rows: rows, x: old, base: out, into: out)
            }
        }
        let h = state.h[l].pointer
        switch c.cell {
        case .rnn:
            StepKernels.rnnForward(pre: pre.pointer, h: h, B: 1, H: H, units: u)
        case .lstm, .peephole:
            let peep: (CP, CP, CP)? = p.peepholes.isEmpty ? nil :
                (CP(p.peepholes[0].value.pointer), CP(p.peepholes[1].value.pointer), CP(p.peepholes[2].value.pointer))
            let cs = state.c[l].pointer
            StepKernels.lstmForward(gates: pre.pointer, cPrev: cs, c: cs, tanhC: scratch.pointer, h: h, B: 1, H: H,
                                    peep: peep, units: u)
        case .gru:
            StepKernels.gruForward(xp: pre.pointer, hp: hp.pointer, hPrev: old, hn: scratch.pointer, h: h, B: 1, H: H,
                                   units: u)
        }
    }
}

/// A weight matrix [rows, cols] as the single-stream step reads it: the float parameter
/// itself, or a half-precision copy of it.
struct StepMatrix {
    let parameter: Parameter
    let half: HalfBuffer?

    init(_ parameter: Parameter, _ precision: WeightPrecision) {
        self.parameter = parameter
        half = precision == .float16 ? HalfBuffer(from: parameter.value.pointer, count: parameter.value.count) : nil
    }

    var cols: Int { parameter.shape[1] }

    func refresh() { half?.update(from: parameter.value.pointer) }

    /// y[i] = base[i] + row `rows.lowerBound + i` · x, for each row in `rows`.
    @inline(__always)
    func dots(rows: Range<Int>, x: UnsafePointer<Float>, base: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
        let n = cols
        if let half {
            rowDots(half: half.pointer + rows.lowerBound * n, ld: n, rows: rows.count, cols: n, x: x, base: base, into: y)
        } else {
            rowDots(parameter.value.pointer + rows.lowerBound * n, ld: n, rows: rows.count, cols: n, x: x, base: base,
                    into: y)
        }
    }
}

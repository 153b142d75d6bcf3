import Atomics
import Dispatch
import NeuralCore

/// One step of the stacked model for a few streams (1 to `Predictor.maximumStepBatch`), the
/// path of interactive generation, `sample --count` and beam search. A step is a phase per layer
/// and one for the decoder, each cut into chunks of hidden units (of decoder rows): a chunk is
/// the gate rows of its units for every stream (input and recurrent products on `PanelMatrix`
/// copies of the weights, each panel of rows read once for all streams) and their new state.
/// Each member of a `SpinTeam` owns a consecutive share of each phase's chunks and takes its own
/// first (the same rows every step, as a fixed split would), then whatever of another's share
/// that member has not started. With `.float16` or `.int8`, the matrices are read from
/// half-precision or 8-bit copies (half or a quarter of the bytes): f16 one stream after the
/// other, int8 in panels as the floats are.
///
/// No member waits for another that the OS has preempted in its work (a server's network
/// threads and its clients share the cores). A member computes a chunk into buffers of its own
/// and then publishes it: it marks the chunk done for this step (one compare-and-swap) and
/// copies its rows into the shared state. A member that finds a phase still missing a chunk
/// after 1.25 times what one takes it computes that chunk itself; whoever publishes first wins,
/// and the other stops or drops its result. Both read the same inputs (the state before the
/// step is a snapshot, and a chunk's c is read only by that chunk), so they compute the same
/// bits, and a member that computed on inputs a later step had already overwritten always
/// loses: the chunk is done by then (its reads race with the writes of later steps, and only
/// its dropped result sees them). The caller returns once every chunk is published. One wait
/// remains: a member preempted after winning a chunk and before its rows are copied (a few
/// hundred floats) holds the phase until it runs again.
///
/// A step may advance only the first `active` streams (a server's streams come and go): the
/// others keep their state. A stream's arithmetic never depends on how many streams share the
/// step, nor on the team's size or which member took a chunk: every row dot of one stream is one
/// fixed sequence of operations (`ck_panel_dots` keeps it per vector), so a seeded stream writes
/// the same text alone or batched.
final class StreamStep: TeamJob {
    let model: LanguageModel
    let batch: Int
    /// Streams the current step advances (the first ones; ≤ `batch`).
    var active: Int
    let state: ModelState  // [B, H] per layer
    let table: FloatBuffer  // [V, G]: E·W_ihᵀ + biases of layer 0
    let biases: [FloatBuffer]  // per layer [G]: b_ih + b_hh (b_ih for the GRU)
    let logits: FloatBuffer  // [B, V]
    let team: SpinTeam?
    let members: Int
    let unitChunk: Int  // hidden units per chunk of a layer (a multiple of 8)
    let rowChunk: Int  // decoder rows per chunk (a multiple of 8)
    /// Chunks per phase: each layer, then the decoder.
    let chunks: [Int]
    /// Per phase and member: the next chunk of that member's share, as `tag << tagShift | index`
    /// (a member of an earlier step sees another tag and stops).
    let claims: [ManagedAtomic<Int>]
    /// Per phase: chunks published, tagged the same way.
    let completed: [ManagedAtomic<Int>]
    /// Per phase and chunk (from `firstChunk[phase]`): the tag of the last step that published it.
    let published: [ManagedAtomic<Int>]
    let firstChunk: [Int]
    /// Per member and phase: nanoseconds that member's last chunk of the phase took (written by
    /// that member only): how long it waits for a missing chunk before computing it itself.
    let chunkNanos: UnsafeMutablePointer<UInt64>
    /// The current step's tag.
    let stepTag = ManagedAtomic<Int>(0)
    static let tagShift = 24
    /// Tests only: called by each member other than the caller after it has read the step's
    /// tag, before it takes a chunk (to hold a member up as the OS might).
    var memberStarts: ((Int) -> Void)? = nil
    /// Tests only: called by each member other than the caller before it computes a chunk
    /// (`computed` false) and before it publishes it (true), to hold a member up inside a step.
    var chunkHook: ((_ rank: Int, _ phase: Int, _ computed: Bool) -> Void)? = nil
    let hOld: [FloatBuffer]  // per layer [B, H]: h before this step
    /// Per member: what it computes a chunk into before publishing it.
    let own: [Scratch]
    let precision: WeightPrecision
    let recurrent: [StepMatrix]  // per layer: W_hh
    let input: [StepMatrix?]  // per layer: W_ih (nil for layer 0: the table)
    let decoder: StepMatrix
    /// This step's tokens [batch] (raw: a member late from an earlier step may still read them).
    let tokens: UnsafeMutablePointer<Int>
    // Raw pointers of the buffers above, taken once: the step reads them without reference
    // counting (every buffer lives as long as this object or the model).
    let h: [P], c: [P], old: [P], bias: [CP], biasHH: [CP], peep: [(CP, CP, CP)?]
    let decoderBias: CP

    init(
        model: LanguageModel, batch: Int, state: ModelState, table: FloatBuffer, biases: [FloatBuffer],
        logits: FloatBuffer, members: Int, precision: WeightPrecision
    ) {
        let c = model.config, H = c.hidden, V = c.vocabularySize
        self.model = model
        self.batch = batch
        active = batch
        self.state = state
        self.table = table
        self.biases = biases
        self.logits = logits
        team = members > 1 ? SpinTeam(size: members) : nil
        self.members = members
        // About 4 chunks per member of a layer and 2 of the decoder: small enough for another to
        // take over, large enough to keep the panel kernel's tiles. 8-bit weights take 2: their
        // kernel rounds the streams' x to 16 bits once per call, about 3/rows of the call's work.
        unitChunk = Self.roundedUp(H, over: (precision == .int8 ? 2 : 4) * members)
        rowChunk = Self.roundedUp(V, over: 2 * members)
        let chunks = Array(repeating: (H + unitChunk - 1) / unitChunk, count: c.layers) + [(V + rowChunk - 1) / rowChunk]
        self.chunks = chunks
        claims = (0..<(chunks.count * members)).map { _ in ManagedAtomic(0) }
        completed = chunks.map { _ in ManagedAtomic(0) }
        firstChunk = chunks.indices.map { p in chunks[..<p].reduce(0, +) }
        published = (0..<chunks.reduce(0, +)).map { _ in ManagedAtomic(0) }
        chunkNanos = .allocate(capacity: members * chunks.count)
        chunkNanos.initialize(repeating: 0, count: members * chunks.count)
        hOld = (0..<c.layers).map { _ in FloatBuffer(count: batch * H) }
        own = (0..<members).map { _ in Scratch(config: c, batch: batch) }
        self.precision = precision
        recurrent = model.layers.map { StepMatrix($0.weightHH, precision, segment: H) }
        input = model.layers.enumerated().map { l, p in l == 0 ? nil : StepMatrix(p.weightIH, precision, segment: H) }
        decoder = StepMatrix(model.decoderWeight, precision, segment: V)
        tokens = .allocate(capacity: batch)
        tokens.initialize(repeating: 0, count: batch)
        h = state.h.map(\.pointer)
        self.c = state.c.map(\.pointer)
        old = hOld.map(\.pointer)
        bias = biases.map { CP($0.pointer) }
        biasHH = model.layers.map { CP($0.biasHH.value.pointer) }
        peep = model.layers.map(\.peepholeValues)
        decoderBias = CP(model.decoderBias.value.pointer)
    }

    deinit {
        chunkNanos.deallocate()
        tokens.deallocate()
    }

    /// A member's own buffers for one chunk: the gates, and the new h, c and logits of its rows.
    final class Scratch {
        let pre: FloatBuffer  // [B, G]
        let hp: FloatBuffer  // [B, G]: W_hh h + b_hh (GRU)
        let hn: FloatBuffer  // [B, H]: the GRU's W_hn h + b_hn, which only backward would need
        let h: FloatBuffer, c: FloatBuffer  // [B, H]
        let logits: FloatBuffer  // [B, V]

        init(config: ModelConfig, batch: Int) {
            let H = config.hidden, G = config.cell.gateCount * H
            pre = FloatBuffer(count: batch * G)
            hp = FloatBuffer(count: config.cell == .gru ? batch * G : 0)
            hn = FloatBuffer(count: config.cell == .gru ? batch * H : 0)
            h = FloatBuffer(count: batch * H)
            c = FloatBuffer(count: config.cell.hasCellState ? batch * H : 0)
            logits = FloatBuffer(count: batch * config.vocabularySize)
        }
    }

    /// Copies the weights again after the model's weights changed (f16, int8).
    func refresh() {
        for m in recurrent + input.compactMap({ $0 }) + [decoder] { m.refresh() }
    }

    /// ⌈n / parts⌉ rounded up to a multiple of 8 (a panel of rows).
    static func roundedUp(_ n: Int, over parts: Int) -> Int { ((n + parts - 1) / parts + 7) / 8 * 8 }

    /// Member `member`'s share of a phase of `count` chunks.
    func share(of count: Int, member: Int) -> Range<Int> {
        (count * member / members)..<(count * (member + 1) / members)
    }

    func shutdown() { team?.shutdown() }

    /// Advances the first `count` streams by their tokens (ids already checked); the others keep
    /// their state.
    func step(tokens next: UnsafePointer<Int32>, count: Int) {
        precondition(count >= 1 && count <= batch, "a step advances 1...\(batch) streams, not \(count)")
        active = count
        for b in 0..<count { tokens[b] = Int(next[b]) }
        let H = model.config.hidden
        for (old, h) in zip(hOld, state.h) { old.pointer.update(from: h.pointer, count: count * H) }
        // The counters of this step, published (release) after the inputs above; then the tag.
        let tag = stepTag.load(ordering: .relaxed) &+ 1
        for p in chunks.indices {
            for m in 0..<members { claims[p * members + m].store(tag << Self.tagShift, ordering: .releasing) }
            completed[p].store(tag << Self.tagShift, ordering: .releasing)
        }
        stepTag.store(tag, ordering: .releasing)
        if let team { team.start(self) } else { run(rank: 0) }
    }

    /// A member's part of the current step: each phase's chunks, its own share first, after the
    /// phase before is complete. Rank 0 (the caller) returns when the last phase is complete;
    /// the others as soon as nothing is left to take, or when they find a later step begun.
    func run(rank: Int) {
        let tag = stepTag.load(ordering: .acquiring)
        if rank > 0, let memberStarts { memberStarts(rank) }
        for p in chunks.indices {
            if p > 0 && !awaitPhase(p - 1, tag: tag, rank: rank) { return }
            for j in 0..<members {
                let owner = (rank + j) % members
                while true {
                    guard let k = claim(phase: p, owner: owner, tag: tag) else { break }
                    if k < 0 { return }
                    compute(phase: p, chunk: k, rank: rank, tag: tag)
                }
            }
        }
        if rank == 0 { _ = awaitPhase(chunks.count - 1, tag: tag, rank: rank) }
    }

    /// Computes chunk `k` of phase `p` into this member's own buffers, then publishes it unless
    /// another member already has (or a later step has begun); stops early once another has.
    func compute(phase p: Int, chunk k: Int, rank: Int, tag: Int) {
        let layers = model.config.layers, H = model.config.hidden, V = model.config.vocabularySize
        let mine = own[rank], flag = published[firstChunk[p] + k]
        if rank > 0, let chunkHook { chunkHook(rank, p, false) }
        let start = DispatchTime.now().uptimeNanoseconds
        let rows: Range<Int>
        if p < layers {
            rows = (k * unitChunk)..<min(H, (k + 1) * unitChunk)
            guard layer(p, units: rows, into: mine, unless: flag, tag: tag) else { return }
        } else {
            rows = (k * rowChunk)..<min(V, (k + 1) * rowChunk)
            decoder.dots(
                rows: rows, vectors: active, x: h[layers - 1], xStride: H, base: decoderBias + rows.lowerBound,
                baseStride: 0, into: mine.logits.pointer + rows.lowerBound, yStride: V)
        }
        // A chunk that took long (this member was preempted) raises the next patience at most 2×.
        let took = DispatchTime.now().uptimeNanoseconds &- start, i = rank * chunks.count + p
        chunkNanos[i] = chunkNanos[i] == 0 ? took : min(took, 2 * chunkNanos[i])
        if rank > 0, let chunkHook { chunkHook(rank, p, true) }
        // Publish: mark the chunk done for this step (only if nobody has), then copy its rows.
        var seen = flag.load(ordering: .relaxed)
        while seen < tag {
            let (won, now) = flag.weakCompareExchange(
                expected: seen, desired: tag, successOrdering: .acquiring, failureOrdering: .relaxed)
            if won {
                let n = rows.count, B = active
                if p < layers {
                    for b in 0..<B {
                        let o = b * H + rows.lowerBound
                        (h[p] + o).update(from: mine.h.pointer + o, count: n)
                        if model.config.cell.hasCellState { (c[p] + o).update(from: mine.c.pointer + o, count: n) }
                    }
                } else {
                    for b in 0..<B {
                        let o = b * V + rows.lowerBound
                        (logits.pointer + o).update(from: mine.logits.pointer + o, count: n)
                    }
                }
                completed[p].wrappingIncrement(ordering: .releasing)
                return
            }
            seen = now
        }
    }

    /// The next chunk of `owner`'s share of phase `p`, taken for this member: its index; nil when
    /// the share is all taken; −1 when a later step has begun.
    @inline(__always)
    func claim(phase p: Int, owner: Int, tag: Int) -> Int? {
        let counter = claims[p * members + owner], range = share(of: chunks[p], member: owner)
        var v = counter.load(ordering: .acquiring)
        while true {
            if v >> Self.tagShift != tag { return -1 }
            let k = range.lowerBound + (v & ((1 << Self.tagShift) - 1))
            if k >= range.upperBound { return nil }
            let (done, original) = counter.weakCompareExchange(
                expected: v, desired: v + 1, successOrdering: .acquiring, failureOrdering: .acquiring)
            if done { return k }
            v = original
        }
    }

    /// Spins until every chunk of phase `p` is published; false when a later step has begun.
    /// Every chunk is claimed by then; one still missing after 1.25 times what this member's own
    /// last chunk of the phase took (its holder may be preempted) is computed here too.
    func awaitPhase(_ p: Int, tag: Int, rank: Int) -> Bool {
        let goal = tag << Self.tagShift | chunks[p], counter = completed[p]
        let patience = chunkNanos[rank * chunks.count + p] * 5 / 4 + 2_000
        var spins = 0
        var since: UInt64 = 0
        while true {
            let v = counter.load(ordering: .acquiring)
            if v == goal { return true }
            if v >> Self.tagShift != tag { return false }
            SpinTeam.relax(&spins)
            guard spins & 63 == 0 else { continue }
            let now = DispatchTime.now().uptimeNanoseconds
            if since == 0 {
                since = now
            } else if now &- since > patience {
                let first = firstChunk[p]
                if let k = (0..<chunks[p]).first(where: { published[first + $0].load(ordering: .relaxed) < tag }) {
                    compute(phase: p, chunk: k, rank: rank, tag: tag)
                }
                since = 0
            }
        }
    }

    /// Gate pre-activations and new state of `units` in layer `l`, for every stream, into a
    /// member's own buffers (c(t−1) is read from the shared state: only this chunk writes there).
    /// Returns false, unfinished, once `flag` shows the chunk published for step `tag` or later.
    func layer(_ l: Int, units u: Range<Int>, into mine: Scratch, unless flag: ManagedAtomic<Int>, tag: Int) -> Bool {
        let cell = model.config.cell, H = model.config.hidden, G = cell.gateCount * H, n = u.count, B = active
        let whh = recurrent[l], hPrev = old[l], pre = mine.pre.pointer
        for q in 0..<cell.gateCount {
            if flag.load(ordering: .relaxed) >= tag { return false }
            let r0 = q * H + u.lowerBound, rows = r0..<(r0 + n)
            let out = pre + r0
            if let wih = input[l] {
                wih.dots(
                    rows: rows, vectors: B, x: h[l - 1], xStride: H, base: bias[l] + r0, baseStride: 0,
                    into: out, yStride: G)
            } else {
                for b in 0..<B { (out + b * G).update(from: table.pointer + tokens[b] * G + r0, count: n) }
            }
            if cell == .gru {
                whh.dots(
                    rows: rows, vectors: B, x: hPrev, xStride: H, base: biasHH[l] + r0, baseStride: 0,
                    into: mine.hp.pointer + r0, yStride: G)
            } else {
                whh.dots(rows: rows, vectors: B, x: hPrev, xStride: H, base: out, baseStride: G, into: out, yStride: G)
            }
        }
        switch cell {
        case .rnn:
            StepKernels.rnnForward(pre: pre, h: mine.h.pointer, B: B, H: H, units: u)
        case .lstm, .peephole:
            StepKernels.lstmForward(
                gates: pre, cPrev: c[l], c: mine.c.pointer, h: mine.h.pointer, B: B, H: H,
                peep: peep[l], units: u)
        case .gru:
            StepKernels.gruForward(
                xp: pre, hp: mine.hp.pointer, hPrev: hPrev, hn: mine.hn.pointer, h: mine.h.pointer, B: B, H: H,
                units: u)
        }
        return true
    }
}

/// A weight matrix [rows, cols] as the step reads it: a copy of the float parameter in panels
/// of 8 rows or an 8-bit copy in panels (each gate's rows, `segment` of them, starting a panel),
/// or a half-precision copy.
struct StepMatrix {
    let values: UnsafePointer<Float>  // the parameter's (it lives as long as the model)
    let cols: Int
    let panels: PanelMatrix?
    let half: HalfBuffer?
    let int8: Int8Matrix?

    init(_ parameter: Parameter, _ precision: WeightPrecision, segment: Int) {
        values = UnsafePointer(parameter.value.pointer)
        let rows = parameter.shape[0]
        cols = parameter.shape[1]
        panels = precision == .float32 ? PanelMatrix(from: values, rows: rows, cols: cols, segment: segment) : nil
        half = precision == .float16 ? HalfBuffer(from: values, count: parameter.value.count) : nil
        int8 = precision == .int8 ? Int8Matrix(from: values, rows: rows, cols: cols, segment: segment) : nil
    }

    func refresh() {
        panels?.update(from: values)
        half?.update(from: values)
        int8?.update(from: values)
    }

    /// y[b·yStride + i] = base[b·baseStride + i] + row `rows.lowerBound + i` · x_b, for each
    /// row in `rows` and each of `vectors` streams.
    @inline(__always)
    func dots(
        rows: Range<Int>, vectors: Int, x: UnsafePointer<Float>, xStride: Int, base: UnsafePointer<Float>?,
        baseStride: Int, into y: UnsafeMutablePointer<Float>, yStride: Int
    ) {
        let n = cols
        if let half {
            // The one-vector kernel, stream after stream (the rows stay in cache between them).
            for b in 0..<vectors {
                rowDots(
                    half: half.pointer + rows.lowerBound * n, ld: n, rows: rows.count, cols: n, x: x + b * xStride,
                    base: base.map { $0 + b * baseStride }, into: y + b * yStride)
            }
        } else if let int8 {
            // Each panel's columns widened once for a group of streams; exact sums.
            int8.dots(
                rows: rows, vectors: vectors, x: x, xStride: xStride, base: base, baseStride: baseStride, into: y,
                yStride: yStride)
        } else if let panels {
            panels.dots(
                rows: rows, vectors: vectors, x: x, xStride: xStride, base: base, baseStride: baseStride, into: y,
                yStride: yStride)
        }
    }
}

import NeuralCore

/// Every buffer one forward + backward pass over [S, B] needs, allocated once and
/// reused for every batch (no allocation inside the training loop).
public final class Workspace: @unchecked Sendable {
    public let batch: Int
    public let steps: Int
    let config: ModelConfig

    let embedded: FloatBuffer  // [N, E]; empty when layer 0 uses the input table
    /// Per layer [N, G·H]: the activated gates after forward; `backward` overwrites them, step
    /// by step, with the gradients of the pre-activations (∂L/∂(W_ih x + b), "dPreX").
    let gates: [FloatBuffer]
    let hidden: [FloatBuffer]  // per layer [(S+1)·B, H]; block 0 = incoming state
    let cells: [FloatBuffer]  // per layer [(S+1)·B, H] (LSTMs)
    /// Per layer [N, H] (GRU): W_hn h + b_hn after forward; `backward` overwrites step t's with
    /// ∂L/∂ of it (the n block of the hidden side's pre-activation gradients).
    let gruHn: [FloatBuffer]
    let masks: [FloatBuffer]  // per layer [N, H]: inverted-dropout mask of its output
    let dropped: [FloatBuffer]  // per layer [N, H]: output ⊙ mask
    let hiddenProjection: FloatBuffer  // [B, 3H] (GRU)
    let biasScratch: FloatBuffer  // [G·H]
    /// Logits [N, V] after `forward`; their gradient after `forward(keepGradient: true)`.
    public let logits: FloatBuffer
    /// [N, H], or [N, max(E, H)] when layer 0 gathers embeddings: ∂L/∂(a layer's output) on
    /// the way in, then ∂L/∂(its input), which is the next layer down's ∂L/∂output.
    let dOut: FloatBuffer
    let dh: FloatBuffer, dhNext: FloatBuffer, dc: FloatBuffer  // [B, H]
    let ones: FloatBuffer  // [N] of 1
    let lastInputs: UnsafeMutablePointer<Int32>
    /// Whether layer 0 projects its input through T = E · W_ihᵀ (when V is small next to N).
    public let usesInputTable: Bool
    let inputTable: FloatBuffer  // [V, G·H]
    var dropoutActive = false
    /// Number of positions scored by the last `forward`.
    public internal(set) var scored = 0

    /// Buffers for `batch` streams of `steps` time steps.
    /// - Parameters:
    ///   - training: also allocate what `backward` and dropout need.
    ///   - forceInputTable: override the choice of the layer-0 lookup table (tests).
    public init(config: ModelConfig, batch: Int, steps: Int, training: Bool = true, forceInputTable: Bool? = nil) {
        precondition(batch >= 1 && steps >= 1, "batch and steps must be ≥ 1")
        self.batch = batch
        self.steps = steps
        self.config = config
        let N = batch * steps, H = config.hidden, G = config.cell.gateCount * H, L = config.layers
        let lstm = config.cell.hasCellState, gru = config.cell == .gru
        let drop = training && config.dropout > 0
        let table = forceInputTable ?? (config.vocabularySize * 2 <= N)
        usesInputTable = table
        embedded = FloatBuffer(count: table ? 0 : N * config.embedding)
        gates = (0..<L).map { _ in FloatBuffer(count: N * G) }
        hidden = (0..<L).map { _ in FloatBuffer(count: (steps + 1) * batch * H) }
        cells = lstm ? (0..<L).map { _ in FloatBuffer(count: (steps + 1) * batch * H) } : []
        gruHn = gru ? (0..<L).map { _ in FloatBuffer(count: N * H) } : []
        masks = drop ? (0..<L).map { _ in FloatBuffer(count: N * H) } : []
        dropped = drop ? (0..<L).map { _ in FloatBuffer(count: N * H) } : []
        hiddenProjection = FloatBuffer(count: gru ? batch * G : 0)
        biasScratch = FloatBuffer(count: G)
        logits = FloatBuffer(count: N * config.vocabularySize)
        dOut = FloatBuffer(count: training ? N * (table ? H : max(config.embedding, H)) : 0)
        dh = FloatBuffer(count: batch * H)
        dhNext = FloatBuffer(count: batch * H)
        dc = FloatBuffer(count: batch * H)
        ones = FloatBuffer([Float](repeating: 1, count: N))
        inputTable = FloatBuffer(count: table ? config.vocabularySize * G : 0)
        lastInputs = .allocate(capacity: N)
        lastInputs.initialize(repeating: 0, count: N)
    }

    deinit { lastInputs.deallocate() }

    /// Output of layer `l` for steps 1...S ([N, H]), after dropout when it is active.
    func layerOutput(_ l: Int) -> UnsafePointer<Float> {
        dropoutActive ? UnsafePointer(dropped[l].pointer) : UnsafePointer(hidden[l].pointer + batch * config.hidden)
    }

    /// Input of layer `l` ≥ 1: the output of layer l−1.
    func layerInput(_ l: Int) -> UnsafePointer<Float> { layerOutput(l - 1) }

    /// The dropout mask of layer `l`'s output (for tests that fix masks), [N, H].
    public func dropoutMask(layer l: Int) -> FloatBuffer? { l < masks.count ? masks[l] : nil }

    // MARK: - Read access for inspection (valid after `forward`, until the next call)

    /// Layer `l`'s hidden state after each of the S steps, [S·B, H] (row t·B + b), before dropout.
    public func hiddenStates(layer l: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: hidden[l].pointer + batch * config.hidden, count: steps * batch * config.hidden)
    }

    /// Layer `l`'s memory cell c after each step, [S·B, H]; nil for cells without one.
    public func cellStates(layer l: Int) -> UnsafeBufferPointer<Float>? {
        guard l < cells.count else { return nil }
        return UnsafeBufferPointer(
            start: cells[l].pointer + batch * config.hidden, count: steps * batch * config.hidden)
    }

    /// Layer `l`'s activated gates at each step, [S·B, G·H], blocks in PyTorch's order:
    /// LSTM/peephole (i, f, g, o), GRU (r, z, n), RNN the new h. The forward pass keeps them for BPTT,
    /// and `backward` replaces them with its gradients.
    public func gateActivations(layer l: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: gates[l].pointer, count: steps * batch * config.cell.gateCount * config.hidden)
    }
}

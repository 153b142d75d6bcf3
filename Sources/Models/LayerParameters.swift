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

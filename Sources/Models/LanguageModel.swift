import Foundation
import NeuralCore

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
}

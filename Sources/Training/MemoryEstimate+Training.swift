import Checkpointing
import Models
import Optimization

extension MemoryEstimate {
    /// Bytes to train `config` with `batch` × `steps` windows: weights and gradients, the
    /// optimizer's moments, the roll-back snapshot of both (counted, though it lives in a temporary
    /// file where one can be made: `RollbackSnapshot`), and the training workspace (per layer
    /// B×S×gates, which backward reuses for their gradients, and up to four B×S×H buffers; the
    /// GRU's second B×S×gates of gradients; logits B×S×V and their gradients). An upper bound:
    /// it counts the embedding buffers that layer 0's input table makes unnecessary.
    public static func training(config: ModelConfig, batch: Int, steps: Int, optimizer: OptimizerKind) -> Int? {
        guard let P = parameterCount(config), let N = product(batch, steps),
            let G = product(config.cell.gateCount, config.hidden)
        else { return nil }
        let H = config.hidden, L = config.layers, V = config.vocabularySize
        let moments = optimizer == .adam ? 2 : 1
        let floats = sum([
            product(P, 2 + 2 * moments + 1), product(N, config.embedding),
            product(L, N, G), product(N, G), product(L, N + batch, H, 4),
            product(N, V), product(N, max(config.embedding, H)), product(V, G),
        ])
        return sum([floats.flatMap { product($0, 4) }, product(N, 8)])
    }
}

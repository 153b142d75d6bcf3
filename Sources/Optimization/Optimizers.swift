import Foundation
import Models
import NeuralCore

/// Which update rule trains the model.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// Adam (Kingma & Ba 2015) with PyTorch's defaults β = (0.9, 0.999), ε = 1e-8. The default, lr 2e-3.
    case adam
    /// RMSprop as char-rnn ran it: α (decay) 0.95, ε = 1e-8, PyTorch's update rule.
    case rmsprop
    /// SGD with (PyTorch-style) momentum 0.9.
    case sgd
}

/// Hyper-parameters of an optimizer.
public struct OptimizerSettings: Codable, Equatable, Sendable {
    public var kind: OptimizerKind
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// RMSprop's smoothing constant (char-rnn's `decay_rate`).
    public var alpha: Float = 0.95
    public var momentum: Float = 0.9

    public init(kind: OptimizerKind = .adam, learningRate: Float? = nil) {
        self.kind = kind
        self.learningRate = learningRate ?? OptimizerSettings.defaultLearningRate(kind)
    }

    /// 2e-3 for Adam and RMSprop (the char-rnn / torch-rnn default), 0.1 for SGD with momentum 0.9.
    public static func defaultLearningRate(_ kind: OptimizerKind) -> Float {
        switch kind {
        case .adam, .rmsprop: return 2e-3
        case .sgd: return 0.1
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind, learningRate = "lr", beta1, beta2, epsilon = "eps", alpha, momentum
    }
}

/// An optimizer with its per-parameter state (moments), which a checkpoint saves so that a
/// resumed run continues exactly where it stopped.
public final class Optimizer: @unchecked Sendable {
    public let settings: OptimizerSettings
    /// Number of updates applied so far (Adam's bias correction uses it).
    public var step: Int = 0
    let parameters: [Parameter]
    /// State buffers per parameter: Adam [m, v], RMSprop [v], SGD [momentum buffer].
    let slots: [[FloatBuffer]]

    public init(settings: OptimizerSettings, parameters: [Parameter]) {
        self.settings = settings
        self.parameters = parameters
        let n: Int
        switch settings.kind {
        case .adam: n = 2
        case .rmsprop, .sgd: n = 1
        }
        slots = parameters.map { p in (0..<n).map { _ in FloatBuffer(count: p.count) } }
    }

    /// Names of the state tensors, following PyTorch's optimizer state keys.
    var slotNames: [String] {
        switch settings.kind {
        case .adam: return ["exp_avg", "exp_avg_sq"]
        case .rmsprop: return ["square_avg"]
        case .sgd: return ["momentum_buffer"]
        }
    }

    /// Every state tensor as (name, shape, buffer), e.g. `exp_avg.rnn.weight_ih_l0`.
    public var stateTensors: [(name: String, shape: [Int], buffer: FloatBuffer)] {
        var out: [(String, [Int], FloatBuffer)] = []
        for (p, bufs) in zip(parameters, slots) {
            for (slot, b) in zip(slotNames, bufs) { out.append(("\(slot).\(p.name)", p.shape, b)) }
        }
        return out
    }

    /// Applies one update with learning rate `lr` using the gradients in `parameters`.
    public func update(learningRate lr: Float) {
        step += 1
        let s = settings
        switch s.kind {
        case .adam:
            let bc1 = 1 - Foundation.pow(Double(s.beta1), Double(step))
            let bc2 = 1 - Foundation.pow(Double(s.beta2), Double(step))
            let stepSize = Float(Double(lr) / bc1)
            let invSqrtBc2 = Float(1 / bc2.squareRoot())
            for (p, bufs) in zip(parameters, slots) {
                let w = p.value.pointer, g = p.grad.pointer, m = bufs[0].pointer, v = bufs[1].pointer
                let b1 = s.beta1, b2 = s.beta2, eps = s.epsilon
                for i in 0..<p.count {
                    let gi = g[i]
                    let mi = b1 * m[i] + (1 - b1) * gi
                    let vi = b2 * v[i] + (1 - b2) * gi * gi
                    m[i] = mi; v[i] = vi
                    w[i] -= stepSize * mi / (vi.squareRoot() * invSqrtBc2 + eps)
                }
            }
        case .rmsprop:
            for (p, bufs) in zip(parameters, slots) {
                let w = p.value.pointer, g = p.grad.pointer, v = bufs[0].pointer
                let a = s.alpha, eps = s.epsilon
                for i in 0..<p.count {
                    let gi = g[i]
                    let vi = a * v[i] + (1 - a) * gi * gi
                    v[i] = vi
                    w[i] -= lr * gi / (vi.squareRoot() + eps)
                }
            }
        case .sgd:
            for (p, bufs) in zip(parameters, slots) {
                let w = p.value.pointer, g = p.grad.pointer, buf = bufs[0].pointer
                let mu = s.momentum
                let first = step == 1
                for i in 0..<p.count {
                    let b = first ? g[i] : mu * buf[i] + g[i]
                    buf[i] = b
                    w[i] -= lr * b
                }
            }
        }
    }
}

/// Scales all gradients so that their global L2 norm is at most `maxNorm` (as
/// `torch.nn.utils.clip_grad_norm_`). Returns the norm before clipping (NaN/inf if a
/// gradient is not finite, in which case nothing is scaled).
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Double {
    var total = 0.0
    for p in parameters { total += Kernels.sumOfSquares(p.grad.pointer, p.count) }
    let norm = total.squareRoot()
    guard norm.isFinite else { return norm }
    if maxNorm > 0 && norm > Double(maxNorm) {
        let s = Float(Double(maxNorm) / (norm + 1e-6))
        for p in parameters { Kernels.scale(p.grad.pointer, p.count, by: s) }
    }
    return norm
}

/// A learning-rate schedule: the factor the base learning rate is multiplied by.
///
/// Spelled on the command line as `constant`, `step:EVERY:FACTOR` (multiply by FACTOR
/// every EVERY steps, e.g. `step:2000:0.5`), or `cosine[:WARMUP]` (linear warm-up over
/// WARMUP steps, default 0, then cosine decay to 0 over the run's budget in steps or time).
public enum LRSchedule: Equatable, Sendable, CustomStringConvertible, Codable {
    case constant
    case step(every: Int, factor: Float)
    case cosine(warmup: Int)

    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: ":").map(String.init)
        switch parts.first {
        case "constant" where parts.count == 1: self = .constant
        case "step" where parts.count == 3:
            guard let every = Int(parts[1]), every > 0, let f = Float(parts[2]), f > 0, f <= 1 else {
                throw ModelError.invalidConfig(
                    "schedule 'step:EVERY:FACTOR' needs EVERY > 0 and 0 < FACTOR ≤ 1, got '\(text)'")
            }
            self = .step(every: every, factor: f)
        case "cosine" where parts.count <= 2:
            let w = parts.count == 2 ? Int(parts[1]) : 0
            guard let w, w >= 0 else {
                throw ModelError.invalidConfig("schedule 'cosine:WARMUP' needs WARMUP ≥ 0, got '\(text)'")
            }
            self = .cosine(warmup: w)
        default:
            throw ModelError.invalidConfig(
                "unknown schedule '\(text)' (use constant, step:EVERY:FACTOR or cosine[:WARMUP])")
        }
    }

    public var description: String {
        switch self {
        case .constant: return "constant"
        case .step(let e, let f): return "step:\(e):\(f)"
        case .cosine(let w): return "cosine:\(w)"
        }
    }

    public init(from decoder: Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(description) }

    /// The multiplier at update number `step` (0-based); `progress` ∈ [0, 1] is the fraction
    /// of the budget used (steps or time), needed by `cosine`.
    public func factor(step: Int, progress: Double) -> Float {
        switch self {
        case .constant: return 1
        case .step(let every, let f): return Foundation.pow(f, Float(step / every))
        case .cosine(let warmup):
            if step < warmup { return Float(step + 1) / Float(warmup) }
            let p = min(max(progress, 0), 1)
            return Float(0.5 * (1 + Foundation.cos(Double.pi * p)))
        }
    }
}

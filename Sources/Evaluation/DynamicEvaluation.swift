import Models
import NeuralCore

/// Settings of dynamic evaluation (Krause et al. 2018, "Dynamic Evaluation of Neural Sequence
/// Models"): the model keeps learning from the text it has just scored.
public struct DynamicEvaluationSettings: Codable, Equatable, Sendable {
    /// Characters per segment: the unit scored, then trained on (BPTT over it).
    public var segment: Int
    /// SGD step size on the segment's mean loss (nats/char). 0 gives the static figure.
    public var learningRate: Float
    /// Pull toward the checkpoint's weights after every step, θ += λ·(θ₀ − θ) (0 = none).
    public var decay: Float

    public init(segment: Int = 50, learningRate: Float = 0.1, decay: Float = 0) {
        self.segment = segment
        self.learningRate = learningRate
        self.decay = decay
    }

    enum CodingKeys: String, CodingKey {
        case segment = "dynamic_window", learningRate = "dynamic_lr", decay = "dynamic_decay"
    }

    /// Why the settings cannot run (the first setting out of range), or nil.
    public var problem: DynamicEvaluationError? {
        if segment < 1 { return DynamicEvaluationError(setting: .segment, value: "\(segment)", requirement: "≥ 1") }
        if !learningRate.isFinite || learningRate < 0 {
            return DynamicEvaluationError(
                setting: .learningRate, value: "\(learningRate)",
                requirement: "a finite number ≥ 0")
        }
        if !decay.isFinite || decay < 0 || decay > 1 {
            return DynamicEvaluationError(setting: .decay, value: "\(decay)", requirement: "in [0, 1]")
        }
        return nil
    }
}

/// Scores `data` as one stream from a zero state (as `evaluate(…batch: 1…)`), adapting the
/// weights as it goes: segment k, `data[k·W ..< k·W + W]` → its next characters, is scored with
/// the current weights (no dropout), then one gradient step is taken on that segment's mean loss
/// (truncated BPTT over it, the state carried in from the previous segment as in training), and
/// the state moves on. Every prediction is scored before the model has trained on its target,
/// so the figure is an honest one-pass compression figure, but not a static one: report it
/// apart. The same N − 1 positions as the one-stream figure are scored; with a learning rate of
/// 0 the two agree.
///
/// The update is plain SGD, θ ← θ − η·∇ + λ·(θ₀ − θ), the base form of Krause et al.'s method
/// with their optional decay toward the trained weights θ₀ (their "global prior"). Their
/// RMS-normalised variant divides each step by gradient statistics gathered on the *training*
/// data beforehand; `eval` is given only a checkpoint (without optimizer state) and a text, so
/// SGD is the variant it can run faithfully, with one or two numbers to choose.
///
/// The model's weights are restored before returning: the caller's model (and any checkpoint
/// it came from) ends exactly as it started.
///
/// - Parameter progress: called after every segment with the positions scored so far.
/// - Returns: the mean loss over the scored positions.
public func evaluateDynamic<S: TokenSource>(
    model: LanguageModel, data: S, settings: DynamicEvaluationSettings,
    shouldStop: () -> Bool = { false },
    progress: (Int) -> Void = { _ in }
) -> LossReport {
    precondition(settings.problem == nil, settings.problem.map { "\($0)" } ?? "")
    let targets = data.count - 1
    guard targets > 0 else { return LossReport(lossNats: .nan, chars: 0) }
    let W = min(settings.segment, targets)
    let original = model.parameters.map { $0.value.array }
    defer {
        for (p, values) in zip(model.parameters, original) {
            values.withUnsafeBufferPointer { p.value.pointer.update(from: $0.baseAddress!, count: p.count) }
        }
        model.zeroGradients()
    }
    let ws = Workspace(config: model.config, batch: 1, steps: W, training: true)
    // The last segment is shorter: its own workspace, so that no padded step runs the cells.
    let rest = targets % W
    let lastWorkspace = rest > 0 ? Workspace(config: model.config, batch: 1, steps: rest, training: true) : nil
    let state = ModelState(config: model.config, batch: 1)
    var inputs = [Int32](repeating: 0, count: W), segmentTargets = inputs
    var total = 0.0, count = 0
    var p0 = 0
    while p0 < targets {
        if shouldStop() { break }
        let n = min(W, targets - p0)
        let w = n == W ? ws : lastWorkspace!
        for t in 0..<n {
            inputs[t] = data[p0 + t]
            segmentTargets[t] = data[p0 + t + 1]
        }
        model.zeroGradients()
        let sum = model.forward(
            inputs: inputs, targets: segmentTargets, state: state, workspace: w,
            dropout: .off, keepGradient: true)
        total += sum
        count += n
        p0 += n
        progress(count)
        // The last segment's step would train on nothing left to score.
        if p0 < targets && settings.learningRate > 0 && sum.isFinite {
            model.backward(workspace: w)
            step(model.parameters, original: original, settings: settings)
        }
    }
    return LossReport(lossNats: count > 0 ? total / Double(count) : .nan, chars: count)
}

/// θ ← θ − η·g, then θ += λ·(θ₀ − θ).
private func step(_ parameters: [Parameter], original: [[Float]], settings: DynamicEvaluationSettings) {
    let lr = settings.learningRate, decay = settings.decay
    for (p, theta0) in zip(parameters, original) {
        let w = p.value.pointer, g = p.grad.pointer
        theta0.withUnsafeBufferPointer { w0 in
            for i in 0..<p.count {
                var v = w[i] - lr * g[i]
                if decay > 0 { v += decay * (w0[i] - v) }
                w[i] = v
            }
        }
    }
}

import Models
import NeuralCore

/// Scores `data` with nanoGPT's protocol: windows of `window` characters, each from a zero
/// state, every position of a window scored.
///
/// nanoGPT (block_size 256) draws x = data[i : i+256], y = data[i+1 : i+257]: a window reads 256
/// inputs and scores 256 targets, the k-th of them (k = 1…256) with a context of k characters.
/// Here the windows are laid end to end instead of drawn at random, so that every one of the
/// N − 1 next-character predictions of the text is scored exactly once: window j reads
/// `data[j·W ..< j·W + W]` and scores `data[j·W + 1 ... j·W + W]`. Consecutive windows share one
/// character (the last target of one is the first input of the next, read from a zero state),
/// and the mean over them is the expectation of nanoGPT's randomly placed windows, without its
/// sampling noise. The last window is shorter when W does not divide N − 1: it scores the
/// remaining (N − 1) mod W targets with contexts 1…that many (nanoGPT never scores a partial
/// window; on 111,540 characters with W = 256 this is 179 of 111,539 positions). With W ≥ N − 1
/// there is one window, and the figure is the one-stream figure of `evaluate(…batch: 1…)`;
/// with W = 1 every target is predicted from its previous character alone, from a zero state.
///
/// Windows go through the sequence forward pass many at a time (one stream each), so the cost
/// is that of a batched evaluation, not of N − 1 single steps.
///
/// - Parameters:
///   - window: characters of context at most (W ≥ 1): the number of targets per window.
///   - positionsPerPass: about how many positions one forward pass holds (windows × steps);
///     bounds the workspace (≈ 4·layers·hidden floats per position for an LSTM).
/// - Returns: the mean loss over the scored positions (`chars` = N − 1 unless stopped early).
public func evaluateWindows<S: TokenSource>(
    model: LanguageModel, data: S, window: Int, positionsPerPass: Int = 8192,
    shouldStop: () -> Bool = { false }
) -> LossReport {
    precondition(window >= 1, "window must be ≥ 1, got \(window)")
    let targets = data.count - 1
    guard targets > 0 else { return LossReport(lossNats: .nan, chars: 0) }
    let windows = (targets + window - 1) / window
    // B windows side by side (one stream each), their time steps in chunks of S carrying the
    // state, so that a window longer than the budget (W ≥ N − 1) still fits.
    let B = min(windows, max(1, positionsPerPass / window))
    let S = min(window, max(1, positionsPerPass / B))
    let ws = Workspace(config: model.config, batch: B, steps: S, training: false)
    let state = ModelState(config: model.config, batch: B)
    var inputs = [Int32](repeating: 0, count: B * S), scoredTargets = inputs
    var total = 0.0, count = 0
    var first = 0
    while first < windows {
        state.reset()
        // Targets window `first + b` scores (0 for a padding stream past the last window).
        let lengths = (0..<B).map { b in max(0, min(window, targets - (first + b) * window)) }
        let longest = lengths.max() ?? 0
        var t0 = 0
        while t0 < longest {
            if shouldStop() { return LossReport(lossNats: count > 0 ? total / Double(count) : .nan, chars: count) }
            for b in 0..<B {
                let start = (first + b) * window + t0
                for t in 0..<S {
                    if t0 + t < lengths[b] {
                        inputs[t * B + b] = data[start + t]
                        scoredTargets[t * B + b] = data[start + t + 1]
                    } else {
                        // Padding after a window's end: later than anything scored, so it changes nothing.
                        inputs[t * B + b] = 0
                        scoredTargets[t * B + b] = -1
                    }
                }
            }
            total += model.forward(inputs: inputs, targets: scoredTargets, state: state, workspace: ws, dropout: .off)
            count += ws.scored
            t0 += S
        }
        first += B
    }
    return LossReport(lossNats: total / Double(count), chars: count)
}

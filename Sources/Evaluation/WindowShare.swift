// nanoGPT's windowed scoring split over several processes (`mpirun -np N charnn eval --window W`).
import Models

/// The tokens part `part` of `parts` reads to score its share of the windows of `evaluateWindows`
/// (window size `window`, a text of `count` tokens): windows `[a, b)` with `a = part·n/parts`, `b =
/// (part+1)·n/parts` of the n windows, i.e. tokens `a·W ..< min(b·W + 1, count)`. The windows of the
/// parts tile the text's windows in order, so the sum of the parts' loss sums and counts is the
/// figure of one process (to the rounding of a different summation order).
public func windowShare(count: Int, window: Int, part: Int, parts: Int) -> Range<Int> {
    precondition(window >= 1 && parts >= 1 && (0..<parts).contains(part), "part \(part) of \(parts), window \(window)")
    let targets = max(count - 1, 0)
    let windows = (targets + window - 1) / window
    let a = part * windows / parts, b = (part + 1) * windows / parts
    guard a < b else { return 0..<0 }
    return (a * window)..<min(b * window + 1, count)
}

/// The loss sum and the number of scored positions of part `part` of `parts` of the windowed
/// figure (`windowShare`): `(0, 0)` for a part without a window.
public func evaluateWindowShare<S: TokenSource>(
    model: LanguageModel, data: S, window: Int, part: Int, parts: Int,
    shouldStop: () -> Bool = { false }
) -> (lossSum: Double, count: Int) {
    let range = windowShare(count: data.count, window: window, part: part, parts: parts)
    guard range.count >= 2 else { return (0, 0) }
    let report = evaluateWindows(model: model, data: TokenSlice(data, range), window: window, shouldStop: shouldStop)
    return (report.lossNats * Double(report.chars), report.chars)
}

import Foundation
import Plotting

/// The curves of a training run, drawn as `DIR/loss.svg` at every evaluation: training and
/// validation loss against the step, and the learning rate (its schedule and any back-off).
public enum LossPlot {
    /// The SVG document for `history` (evaluations in order, over all resumed invocations).
    public static func svg(history: [EvaluationRecord], title: String) -> String {
        let train = history.filter { $0.trainLoss.isFinite }
        let validation = history.compactMap { r -> (x: Double, y: Double)? in
            guard let v = r.validation?.lossNats, v.isFinite else { return nil }
            return (Double(r.step), v)
        }
        let losses = LineChart(
            title: "Loss by training step", xLabel: "training step", yLabel: "loss (nats/char)",
            series: [
                Series(
                    label: "training (mean since the previous evaluation)",
                    x: train.map { Double($0.step) }, y: train.map(\.trainLoss)),
                Series(label: "validation", points: validation),
            ])
        let rates = LineChart(
            title: "Learning rate", xLabel: "training step", yLabel: "learning rate",
            series: [
                Series(
                    label: "learning rate", x: history.map { Double($0.step) },
                    y: history.map { Double($0.learningRate) })
            ])
        return SVGRenderer.render([losses, rates], columns: 2, title: title)
    }
}

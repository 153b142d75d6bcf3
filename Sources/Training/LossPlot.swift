import Foundation
import Plotting

/// The curves of a training run, drawn as `DIR/loss.svg` at every evaluation: the training loss
/// (what metrics.jsonl logs every 10 steps, smoothed), the validation loss, and the learning rate
/// (its schedule and any back-off).
public enum LossPlot {
    /// A training loss logged at a step (metrics.jsonl's `"type": "train"` lines).
    public struct TrainingPoint: Equatable, Sendable {
        public var step: Int
        public var loss: Double

        public init(step: Int, loss: Double) {
            self.step = step
            self.loss = loss
        }
    }

    /// Points of the smoothed training curve at most (longer logs are averaged in buckets first).
    public static let maximumPoints = 1000

    /// The SVG document for `history` (evaluations in order, over all resumed invocations) and the
    /// training loss logged between them (`training`; empty: the training loss at each evaluation).
    public static func svg(history: [EvaluationRecord], training: [TrainingPoint] = [], title: String) -> String {
        let validation = history.compactMap { r -> (x: Double, y: Double)? in
            guard let v = r.validation?.lossNats, v.isFinite else { return nil }
            return (Double(r.step), v)
        }
        let trainingSeries: Series
        if training.contains(where: { $0.loss.isFinite }) {
            trainingSeries = Series(label: "training (smoothed)", points: smoothed(training))
        } else {
            let train = history.filter { $0.trainLoss.isFinite }
            trainingSeries = Series(
                label: "training (mean since the previous evaluation)",
                x: train.map { Double($0.step) }, y: train.map(\.trainLoss))
        }
        let losses = LineChart(
            title: "Loss by training step", xLabel: "training step", yLabel: "loss (nats/char)",
            series: [trainingSeries, Series(label: "validation", points: validation)])
        let rates = LineChart(
            title: "Learning rate", xLabel: "training step", yLabel: "learning rate",
            series: [
                Series(
                    label: "learning rate", x: history.map { Double($0.step) },
                    y: history.map { Double($0.learningRate) })
            ])
        return SVGRenderer.render([losses, rates], columns: 2, title: title)
    }

    /// The training curve as drawn: finite points in step order, averaged in buckets down to
    /// `maximumPoints`, then an exponential moving average over the last ~10 points (debiased, so
    /// that the curve starts at the first loss rather than at 0).
    public static func smoothed(_ points: [TrainingPoint]) -> [(x: Double, y: Double)] {
        let finite = points.filter { $0.loss.isFinite }.sorted { $0.step < $1.step }
        guard !finite.isEmpty else { return [] }
        let per = (finite.count + maximumPoints - 1) / maximumPoints
        var buckets: [(x: Double, y: Double)] = []
        var start = 0
        while start < finite.count {
            let slice = finite[start..<min(start + per, finite.count)]
            buckets.append(
                (Double(slice.last!.step), slice.map(\.loss).reduce(0, +) / Double(slice.count)))
            start += per
        }
        let decay = 0.9
        var average = 0.0, weight = 0.0
        return buckets.map { p in
            average = decay * average + (1 - decay) * p.y
            weight = decay * weight + (1 - decay)
            return (p.x, average / weight)
        }
    }

    /// The training losses a metrics file logged up to `step` (`"type": "train"` lines; a line
    /// that is not one is skipped): what a resumed run's plot starts from. Empty when the file
    /// cannot be read or is larger than `limit` bytes.
    public static func trainingPoints(metrics path: String, upTo step: Int, limit: Int = 1 << 26) -> [TrainingPoint] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            attributes[.type] as? FileAttributeType == .typeRegular,
            let size = (attributes[.size] as? NSNumber)?.intValue, size <= limit,
            let data = FileManager.default.contents(atPath: path)
        else { return [] }
        var points: [TrainingPoint] = []
        for line in data.split(separator: 0x0a) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                object["type"] as? String == "train",
                let s = (object["step"] as? NSNumber)?.intValue, s <= step,
                let loss = (object["train_loss"] as? NSNumber)?.doubleValue
            else { continue }
            points.append(TrainingPoint(step: s, loss: loss))
        }
        return points
    }
}

import Foundation
import Prometheus

/// The server's Prometheus metrics (`GET /metrics`, text format 0.0.4).
final class ServerMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    let generated: Counter
    let promptUnits: Counter
    let firstCharacter: DurationHistogram
    let perCharacter: DurationHistogram
    let requestSeconds: DurationHistogram
    let activeStreams: Gauge
    let queueLength: Gauge
    let rejected: Counter
    let steps: Counter
    let streamSteps: Counter
    /// The models' step counts at the last scrape (the counters advance by the difference).
    private let lock = NSLock()
    private var counted = (steps: 0, streams: 0)

    init() {
        generated = registry.makeCounter(descriptor: .init(namespace: "charnn", metricName: "generated_characters", unitName: "total", helpText: "Characters (units) generated, all models"))
        promptUnits = registry.makeCounter(descriptor: .init(namespace: "charnn", metricName: "prompt_characters", unitName: "total", helpText: "Prompt characters read"))
        firstCharacter = registry.makeDurationHistogram(
            descriptor: .init(namespace: "charnn", metricName: "time_to_first_character", unitName: "seconds", helpText: "From a completion request's arrival to its first generated character"),
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .seconds(2.5), .seconds(5), .seconds(10)])
        perCharacter = registry.makeDurationHistogram(
            descriptor: .init(namespace: "charnn", metricName: "character_latency", unitName: "seconds", helpText: "Time between two generated characters of one stream"),
            buckets: [.microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(100)])
        requestSeconds = registry.makeDurationHistogram(
            descriptor: .init(namespace: "charnn", metricName: "request_duration", unitName: "seconds", helpText: "Time to answer a request (a stream: until its headers)"),
            buckets: [.milliseconds(1), .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60)])
        activeStreams = registry.makeGauge(descriptor: .init(namespace: "charnn", metricName: "active", unitName: "streams", helpText: "Generations advancing now"))
        queueLength = registry.makeGauge(descriptor: .init(namespace: "charnn", metricName: "queue", unitName: "length", helpText: "Generations waiting for a stream"))
        rejected = registry.makeCounter(descriptor: .init(namespace: "charnn", metricName: "rejected", unitName: "total", helpText: "Completions refused because every stream and the queue were full"))
        steps = registry.makeCounter(descriptor: .init(namespace: "charnn", metricName: "steps", unitName: "total", helpText: "Batched steps run, all models"))
        streamSteps = registry.makeCounter(descriptor: .init(namespace: "charnn", metricName: "stream_steps", unitName: "total", helpText: "Generations advanced by those steps, summed (÷ steps: how full the batch ran)"))
    }

    /// Brings the step counters up to the models' totals.
    func countSteps(steps total: Int, streams: Int) {
        lock.withLock {
            if total > counted.steps { steps.increment(by: Int64(total - counted.steps)) }
            if streams > counted.streams { streamSteps.increment(by: Int64(streams - counted.streams)) }
            counted = (max(counted.steps, total), max(counted.streams, streams))
        }
    }

    /// Counts one answered request by endpoint and status.
    func request(path: String, status: Int, seconds: Duration) {
        let endpoint: String
        switch path {
        case "/", "/health", "/metrics", "/v1/models", "/v1/completions", "/v1/score", "/v1/trace": endpoint = path
        default: endpoint = "other"
        }
        registry.makeCounter(
            descriptor: .init(namespace: "charnn", metricName: "requests", unitName: "total", helpText: "HTTP requests answered"),
            labels: [("endpoint", endpoint), ("status", String(status))]
        ).increment()
        if endpoint == "/v1/completions" || endpoint == "/v1/score" || endpoint == "/v1/trace" {
            requestSeconds.record(seconds)
        }
    }

    func text() -> [UInt8] { registry.emitToBuffer() }
}

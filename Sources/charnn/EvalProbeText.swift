import Evaluation
import Foundation

// `eval --memory-probe`'s text: one small table per probe, one row per distance bucket.
extension EvalCommand {
    static func probeText(_ probe: MemoryProbeResult) -> String {
        let parts: [(String, [DistanceBucket])] = [
            ("loss by distance since the last ( [ { < \" or newline", probe.sinceAnchor),
            ("loss at closing brackets by distance to the opener", probe.closerLoss),
            ("closer choice −log p(right closer | a closer) by distance to the opener", probe.closerChoice),
        ]
        var out = ""
        for (title, buckets) in parts {
            out += "memory probe: \(title)\n"
            if buckets.isEmpty {
                out += "  (no such positions in the text)\n"
                continue
            }
            out += "  distance    positions  mean loss (nats)\n"
            for b in buckets {
                let range = b.from == b.to ? "\(b.from)" : "\(b.from)-\(b.to)"
                out += "  " + range.padding(toLength: 10, withPad: " ", startingAt: 0)
                out += String(format: " %11d  %.4f\n", b.count, b.meanLoss)
            }
        }
        return out
    }
}

import Communication
import Foundation

/// Allreduce timing: the in-place Float sum the training loop runs once a step over its fused gradients.
///
/// Each iteration is timed on every rank; the slowest rank's time counts (a step waits for it). Reports the
/// median, the 10th percentile and the fastest iteration (on a loaded machine the low percentiles are the
/// transport's own cost; the median also holds waits for a descheduled rank), and the bus bandwidth
/// 2(N−1)/N · bytes / time (NCCL's convention: what each rank's link carries in a ring allreduce, comparable
/// across N).
struct Bench {
    let world: any Communicator

    func run(sizes: [Int], iterations: Int) throws -> [String] {
        var lines = [
            "allreduce (Float sum, in place), \(world.size) ranks, \(iterations) iterations after 5 warm-up:",
            "    floats      MB    median ms   p10 ms   min ms   bus GB/s (median)",
        ]
        let clock = ContinuousClock()
        for count in sizes {
            var buffer = [Float](repeating: 0, count: count)
            var times = [Double](repeating: 0, count: iterations)
            try buffer.withUnsafeMutableBufferPointer { data in
                for _ in 0..<5 { try world.allReduce(data, .sum) }
                try world.barrier()
                for i in 0..<iterations {
                    let start = clock.now
                    try world.allReduce(data, .sum)
                    let elapsed = clock.now - start
                    times[i] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                }
            }
            try world.allReduce(&times, .max)
            let sorted = times.sorted()
            let median = sorted[sorted.count / 2]
            let bytes = Double(count * MemoryLayout<Float>.size)
            let n = Double(world.size)
            let bus = n > 1 ? 2 * (n - 1) / n * bytes / median / 1e9 : 0
            lines.append(
                String(
                    format: "  %8d %7.1f %12.3f %8.3f %8.3f %10.2f", count, bytes / 1e6, median * 1e3,
                    sorted[sorted.count / 10] * 1e3, sorted[0] * 1e3, bus))
        }
        return lines
    }
}

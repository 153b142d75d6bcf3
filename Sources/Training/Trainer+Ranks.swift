import Communication
import Evaluation
import Foundation
import Models
import NeuralCore

// Data parallelism (docs/distributed.md): N ranks with a global batch of B streams compute what one
// process with B streams computes, up to the order of float sums. Rank r owns streams
// `share(of: B)`; every step each rank runs forward and backward over its streams, the loss sum and
// count go through one small Double allreduce, the gradients through ONE Float allreduce over a
// fused buffer, and then clipping and the optimizer run identically on every rank (no broadcast of
// parameters per step: the same summed gradient and the same elementwise updates keep them equal).

extension Trainer {
    /// Refuses a batch with fewer streams than ranks: a rank without a stream has nothing to compute.
    static func requireStreams(batch: Int, ranks: Int) throws {
        guard batch >= ranks else {
            throw TrainingError.fewerStreamsThanRanks(batch: batch, ranks: ranks)
        }
    }

    /// Fills the workspace's dropout masks with this rank's rows of the masks one process would draw for
    /// the whole batch: the same generator, the same order (layer by layer, row t·B + b, unit by unit).
    func drawDropoutMasks(_ rng: UnsafeMutablePointer<SplitMix64>) {
        let p = model.config.dropout
        guard p > 0 else { return }
        let keep = 1 / (1 - p), H = model.config.hidden, B = settings.batch, width = streams.count
        for l in 0..<model.config.layers {
            guard let mask = workspace.dropoutMask(layer: l) else { return }
            let m = mask.pointer
            for t in 0..<settings.steps {
                for b in 0..<B {
                    let row = streams.contains(b) ? m + (t * width + b - streams.lowerBound) * H : nil
                    for k in 0..<H {
                        let value: Float = rng.pointee.nextUnitFloat() < p ? 0 : keep
                        row?[k] = value
                    }
                }
            }
        }
    }

    /// The whole batch's loss sum and scored count, from every rank's.
    func sumOverRanks(_ sum: Double, _ scored: Int) throws -> (Double, Int) {
        var cell = [sum, Double(scored)]
        try communicator.allReduce(&cell, .sum)
        return (cell[0], Int(cell[1].rounded()))
    }

    /// Sums the parameters' gradients over the ranks with one allreduce of a fused buffer. Each rank's
    /// backward pass scaled its loss by its own scored count; scaling by local/global on the way in
    /// makes the sum the gradient of the whole batch's mean loss, as one process computes it.
    func reduceGradients(localScored: Int, globalScored: Int) throws {
        let scale = Float(localScored) / Float(max(globalScored, 1))
        try fusedGradients.withUnsafeMutableBufferPointer { fused in
            var offset = 0
            for p in model.parameters {
                let g = p.grad.pointer
                for i in 0..<p.count { fused[offset + i] = g[i] * scale }
                offset += p.count
            }
            let start = DispatchTime.now().uptimeNanoseconds
            try communicator.allReduce(fused, .sum)
            allReduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            allReduceCount += 1
            offset = 0
            for p in model.parameters {
                p.grad.pointer.update(from: fused.baseAddress! + offset, count: p.count)
                offset += p.count
            }
        }
    }

    /// Makes every rank start from rank 0's parameters, optimizer state and random generator state:
    /// bitwise equal starts, whatever each rank built or loaded.
    public func synchronizeStart() throws {
        guard communicator.size > 1 else { return }
        for buffer in model.parameters.map(\.value) + optimizer.stateTensors.map(\.buffer) {
            try communicator.broadcast(UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count), from: 0)
        }
        var counters = [Double(optimizer.step), Double(progress.step), Double(progress.lrBackoff)]
        try counters.withUnsafeMutableBytes { try communicator.broadcast($0, from: 0) }
        optimizer.step = Int(counters[0])
        progress.step = Int(counters[1])
        progress.lrBackoff = Float(counters[2])
        var rng = [progress.dropoutRNG]
        try rng.withUnsafeMutableBytes { try communicator.broadcast($0, from: 0) }
        progress.dropoutRNG = rng[0]
    }

    /// Validation split over the ranks: rank r scores the streams `share(of: batch)` of the protocol one
    /// process runs with `batch` streams. Contiguous streams of length L are the contiguous slice
    /// [first·L, last·L + 1) read with that many streams, so `evaluate` needs no change; the loss sums
    /// and counts are added with one Double allreduce. Runs to the end (a stop request is honoured
    /// after it: a rank leaving half-way would leave the others waiting in the allreduce).
    func validateOverRanks(batch: Int) -> LossReport? {
        let mine = communicator.share(of: batch)
        let length = (validation.count - 1) / batch
        var totals = [0.0, 0.0]
        if !mine.isEmpty && length > 0 {
            let report = scoreStreams(validation, streams: mine, length: length)
            if report.chars > 0 { totals = [report.lossNats * Double(report.chars), Double(report.chars)] }
        }
        do { try communicator.allReduce(&totals, .sum) } catch { return nil }
        return LossReport(lossNats: totals[1] > 0 ? totals[0] / totals[1] : .nan, chars: Int(totals[1].rounded()))
    }

    private func scoreStreams<S: TokenSource>(_ data: S, streams: Range<Int>, length: Int) -> LossReport {
        let slice = TokenSlice(data, (streams.lowerBound * length)..<(streams.upperBound * length + 1))
        return evaluate(model: model, data: slice, batch: streams.count, steps: settings.steps, workspace: workspace)
    }

    /// The hidden state of the whole batch, in stream order, on rank 0 (nil on the others): every rank's
    /// rows gathered with one call, so that a checkpoint holds exactly what one process would save.
    public func gatheredState() throws -> ModelState? {
        guard communicator.size > 1 else { return state }
        let H = model.config.hidden
        var local: [Float] = []
        local.reserveCapacity(state.buffers.count * streams.count * H)
        for buffer in state.buffers { local += UnsafeBufferPointer(start: buffer.pointer, count: buffer.count) }
        guard let parts = try communicator.gather(local, to: 0) else { return nil }
        let whole = ModelState(config: model.config, batch: settings.batch)
        for (rank, part) in parts.enumerated() {
            let theirs = evenShare(of: settings.batch, part: rank, parts: communicator.size)
            let rows = theirs.count * H
            guard part.count == rows * whole.buffers.count else {
                throw CommunicationError.failed(
                    call: "gather of the hidden state", code: 0,
                    message: "rank \(rank) sent \(part.count) floats, expected "
                        + "\(rows * whole.buffers.count)")
            }
            for (k, buffer) in whole.buffers.enumerated() {
                part.withUnsafeBufferPointer {
                    (buffer.pointer + theirs.lowerBound * H).update(from: $0.baseAddress! + k * rows, count: rows)
                }
            }
        }
        return whole
    }

    /// Takes this rank's rows of a whole batch's hidden state (restored from a checkpoint).
    public func adoptState(_ whole: ModelState) {
        precondition(whole.batch == settings.batch && whole.hidden == state.hidden, "state of another shape")
        let H = state.hidden
        for (mine, all) in zip(state.buffers, whole.buffers) {
            mine.pointer.update(from: all.pointer + streams.lowerBound * H, count: streams.count * H)
        }
    }
}

import Testing
import XCTest

@testable import Models
@testable import NeuralCore

/// Backpropagation through time checked against central finite differences, for every
/// parameter tensor of every cell, 2 layers, 5 time steps, 3 streams, a non-zero incoming
/// state, and dropout both off and on with a fixed mask.
///
/// The finite differences are taken on the Double reference model (ReferenceModel), whose
/// forward pass agrees with the Float model to ~1e-6 (GoldenForwardTests), so the numerical
/// gradient carries almost no round-off (step 1e-5, truncation error O(eps²) ≈ 1e-10). The
/// analytic gradient is computed in Float32: each of its entries is a sum of O(S·B·H) = O(150)
/// products with relative round-off ~6e-8 each, so its absolute error stays below ~1e-6 for the
/// gradient magnitudes here (≤ 0.5). The bound |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|
/// leaves a 10× margin over that, while a wrong formula (a missing term, a transposed block,
/// a gate in the wrong order) produces errors of the order of the gradient itself.
/// The check itself, shared by the parameterized Swift Testing suite and the XCTest case.
enum GradientCheck {
    /// Runs the check; every failure goes to `fail`.
    static func check(
        _ cell: CellKind, dropout: Float, hidden: Int = 10, table: Bool = true,
        fail: (String) -> Void
    ) throws {
        let B = 3, S = 5, V = 7
        let config = ModelConfig(
            cell: cell, layers: 2, hidden: hidden, embedding: 5, vocabularySize: V, dropout: dropout)
        let model = try LanguageModel(config: config, seed: 11)
        var rng = SplitMix64(seed: 99)
        // Give peepholes and biases clearly non-zero values so their terms matter.
        for p in model.parameters { for i in 0..<p.count { p.value.pointer[i] += rng.nextFloat(in: -0.2, 0.2) } }
        let inputs = (0..<(B * S)).map { _ in Int32(rng.next() % UInt64(V)) }
        var targets = (0..<(B * S)).map { _ in Int32(rng.next() % UInt64(V)) }
        targets[4] = -1  // an unscored position
        let state = ModelState(config: config, batch: B)
        for buf in state.buffers { for i in 0..<buf.count { buf.pointer[i] = rng.nextFloat(in: -0.8, 0.8) } }
        let h0 = state.h.map { $0.array.map(Double.init) }, c0 = state.c.map { $0.array.map(Double.init) }

        let ws = Workspace(config: config, batch: B, steps: S, forceInputTable: table)
        if ws.usesInputTable != table { fail("usesInputTable is \(ws.usesInputTable), expected \(table)") }
        model.zeroGradients()
        var dropRng = SplitMix64(seed: 5)
        let loss = inputs.withUnsafeBufferPointer { inp in
            targets.withUnsafeBufferPointer { tgt in
                withUnsafeMutablePointer(to: &dropRng) { r in
                    model.forward(
                        inputs: inp.baseAddress!, targets: tgt.baseAddress!, state: state, workspace: ws,
                        dropout: .sample(r), keepGradient: true)
                }
            }
        }
        model.backward(workspace: ws)
        let masks: [[Double]]? = dropout > 0 ? (0..<2).map { ws.dropoutMask(layer: $0)!.array.map(Double.init) } : nil
        if dropout > 0 && !masks![0].contains(0) { fail("the mask should drop something") }

        var ref = ReferenceModel(model)
        let base = ref.run(inputs: inputs, targets: targets, B: B, S: S, h0: h0, c0: c0, masks: masks)
        if !(abs(loss / Double(ws.scored) - base.loss) <= 1e-5) {
            fail("loss \(loss / Double(ws.scored)) vs reference \(base.loss)")
        }

        let eps = 1e-5
        var worst = 0.0
        for p in model.parameters {
            var gradNorm = 0.0
            for i in 0..<p.count {
                let orig = ref.p[p.name]![i]
                ref.p[p.name]![i] = orig + eps
                let lp = ref.run(inputs: inputs, targets: targets, B: B, S: S, h0: h0, c0: c0, masks: masks).loss
                ref.p[p.name]![i] = orig - eps
                let lm = ref.run(inputs: inputs, targets: targets, B: B, S: S, h0: h0, c0: c0, masks: masks).loss
                ref.p[p.name]![i] = orig
                let numeric = (lp - lm) / (2 * eps)
                let analytic = Double(p.grad.pointer[i])
                gradNorm += analytic * analytic
                let err = abs(analytic - numeric)
                worst = max(worst, err / (1e-5 + 1e-3 * abs(numeric)))
                if err > 1e-5 + 1e-3 * abs(numeric) {
                    fail("\(cell) dropout \(dropout): \(p.name)[\(i)] analytic \(analytic) vs numeric \(numeric)")
                    return
                }
            }
            // Every tensor must receive gradient (else the check above would be vacuous).
            if p.name != "encoder.weight" && !(gradNorm > 1e-12) { fail("\(p.name) got no gradient") }
        }
        if !(worst < 1) { fail("worst relative error \(worst)") }
    }
}

final class GradientCheckTests: XCTestCase {
    /// The cell kernels split over blocks of streams on a two-thread team (3 streams: blocks
    /// of 2 and 1), with dropout so the masks are split too. An XCTest case: it changes the
    /// global thread count, and XCTest runs its cases one at a time, before Swift Testing's.
    func testEveryCellWithStreamBlocksOnTwoThreads() throws {
        let saved = Parallelism.minimumRowBlockElements
        Parallelism.set(threads: 2)
        Parallelism.minimumRowBlockElements = 1
        defer { Parallelism.set(threads: 1); Parallelism.minimumRowBlockElements = saved }
        for cell in CellKind.allCases { try GradientCheck.check(cell, dropout: 0.3) { XCTFail($0) } }
    }
}

import Communication
import Foundation
import Models
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// `--reset-every N` (`TrainingSettings.resetEvery`): every stream starts again from the zero state
/// every N windows, the streams staggered, the same in one process, over ranks and after a resume.
final class StateResetTests: XCTestCase {
    func testEveryStreamIsDueOncePerNWindowsAndEachWindowHasItsShare() {
        var batcher = StreamBatcher(count: 50 * 40 + 1, batch: 50, steps: 10)
        var inputs = [Int32](repeating: 0, count: 500), targets = inputs
        let data = [Int32](repeating: 0, count: 50 * 40 + 1)
        var due: [[Int]] = []
        for _ in 0..<20 {
            batcher.next(from: data, inputs: &inputs, targets: &targets)
            due.append(batcher.streamsDue(every: 5, among: 0..<50))
        }
        XCTAssertEqual(batcher.epoch, 4, "4 windows per epoch: the count runs on across epochs")
        XCTAssertEqual(due.map(\.count), Array(repeating: 10, count: 20), "a fifth of the streams per window")
        for stream in 0..<50 {
            let windows = due.indices.filter { due[$0].contains(stream) }
            XCTAssertEqual(windows.count, 4, "stream \(stream)")
            XCTAssertEqual(Set(zip(windows, windows.dropFirst()).map { $1 - $0 }), [5], "stream \(stream)")
        }
        // Ranks: the union of their shares is the whole batch's list.
        let parts = [0..<17, 17..<34, 34..<50]
        XCTAssertEqual(parts.flatMap { batcher.streamsDue(every: 5, among: $0) }, due.last)
        XCTAssertEqual(batcher.streamsDue(every: 1, among: 0..<50), Array(0..<50))
        XCTAssertEqual(batcher.streamsDue(every: 0, among: 0..<50), [])
    }

    func trainer(resetEvery: Int?) throws -> Trainer {
        let data = DataParallelTests.corpus
        var s = tinySettings(steps: 12, seed: 5)
        s.batch = 6
        s.steps = 8
        s.resetEvery = resetEvery
        let config = ModelConfig(
            cell: .gru, layers: 2, hidden: 8, vocabularySize: DataParallelTests.vocabulary, dropout: 0.2)
        return try Trainer(config: config, settings: s, train: Array(data[..<5000]), validation: Array(data[5000...]))
    }

    func weights(_ t: Trainer) -> [Float] { t.model.parameters.flatMap { $0.value.array } }

    func testResetEveryWindowIsAZeroStateBeforeEachStep() throws {
        let resetting = try trainer(resetEvery: 1), manual = try trainer(resetEvery: nil)
        for _ in 0..<5 {
            _ = try resetting.trainingStep(elapsed: 0) { _ in }
            manual.state.reset()
            _ = try manual.trainingStep(elapsed: 0) { _ in }
        }
        assertIdentical(weights(resetting), weights(manual), "reset every window")
        let carried = try trainer(resetEvery: nil)
        for _ in 0..<5 { _ = try carried.trainingStep(elapsed: 0) { _ in } }
        XCTAssertNotEqual(weights(carried), weights(manual), "the carried state changes the training")
    }

    func testStaggeredResetZeroesOnlyTheStreamsDue() throws {
        let t = try trainer(resetEvery: 3)
        _ = try t.trainingStep(elapsed: 0) { _ in }
        // Fill the state with a marker, then run the next window's resets alone.
        for buffer in t.state.buffers { buffer.pointer.update(repeating: 7, count: buffer.count) }
        var inputs = [Int32](repeating: 0, count: 48), targets = inputs
        t.progress.batcher.next(from: DataParallelTests.corpus, inputs: &inputs, targets: &targets)
        t.resetStaggeredStreams()
        let due = t.progress.batcher.streamsDue(every: 3, among: 0..<6)
        XCTAssertEqual(due.count, 2)
        for stream in 0..<6 {
            let row = Array(UnsafeBufferPointer(start: t.state.h[0].pointer + stream * 8, count: 8))
            XCTAssertEqual(row, Array(repeating: due.contains(stream) ? 0 : 7, count: 8), "stream \(stream)")
        }
    }

    func testRanksResetTheStreamsOneProcessResets() throws {
        let data = DataParallelTests.corpus
        var s = tinySettings(steps: 10, seed: 3)
        s.batch = 7
        s.steps = 8
        s.resetEvery = 3
        let settings = s
        let config = ModelConfig(cell: .lstm, layers: 2, hidden: 8, vocabularySize: DataParallelTests.vocabulary)
        func run(ranks: Int) throws -> [Double] {
            let results = LoopbackHub(size: ranks).run { world -> [Double] in
                let trainer = try Trainer(
                    config: config, settings: settings, train: Array(data[..<5000]),
                    validation: Array(data[5000...]), communicator: world)
                var losses: [Double] = []
                _ = try TrainingLoop(trainer: trainer, schedule: .never).run(onStep: { losses.append($0.loss) })
                return losses
            }
            return try results[0].get()
        }
        let one = try run(ranks: 1), two = try run(ranks: 2)
        XCTAssertEqual(one.count, 10)
        for (step, (a, b)) in zip(two, one).enumerated() {
            XCTAssertLessThan(abs(a - b) / b, 1e-4, "step \(step + 1): \(a) vs \(b)")
        }
    }

    func testSettingIsValidatedAndSaved() throws {
        var s = TrainingSettings()
        s.resetEvery = -1
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("reset_every is -1"), "\($0)") }
        s.resetEvery = 4
        let json = try JSONEncoder().encode(s)
        XCTAssertTrue(String(decoding: json, as: UTF8.self).contains("\"reset_every\":4"))
        XCTAssertEqual(try JSONDecoder().decode(TrainingSettings.self, from: json).resetEvery, 4)
        // A checkpoint written before the setting existed reads as "never".
        var old = try JSONSerialization.jsonObject(with: json) as! [String: Any]
        old["reset_every"] = nil
        let decoded = try JSONDecoder().decode(
            TrainingSettings.self, from: try JSONSerialization.data(withJSONObject: old))
        XCTAssertNil(decoded.resetEvery)
    }
}

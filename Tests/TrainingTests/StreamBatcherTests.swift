import Foundation
import XCTest

@testable import Training

/// The data protocol shared with `scripts/peer_pytorch.py`.
final class StreamBatcherTests: XCTestCase {
    /// The peer's protocol, transcribed literally: `L = (n − 1) // B`,
    /// `xs = d[:L·B].view(B, L).t()`, `ys = d[1:L·B + 1].view(B, L).t()`; before each window
    /// `if pos + S > L: pos, h = 0, None` (a reset); window = `xs[pos:pos+S]`, `ys[pos:pos+S]`.
    struct PeerReference {
        let data: [Int32], B: Int, S: Int, L: Int
        var pos = 0
        init(data: [Int32], B: Int, S: Int) {
            self.data = data
            self.B = B
            self.S = S
            L = (data.count - 1) / B
        }
        func xs(_ t: Int, _ b: Int) -> Int32 { data[b * L + t] }  // d[:L·B].view(B, L)[b, t]
        func ys(_ t: Int, _ b: Int) -> Int32 { data[1 + b * L + t] }  // d[1:L·B + 1].view(B, L)[b, t]
        mutating func next() -> (inputs: [Int32], targets: [Int32], reset: Bool) {
            var reset = false
            if pos + S > L { pos = 0; reset = true }
            var x = [Int32](), y = [Int32]()
            for t in pos..<pos + S { for b in 0..<B { x.append(xs(t, b)); y.append(ys(t, b)) } }
            pos += S
            return (x, y, reset)
        }
    }

    func testMatchesThePeerProtocol() {
        // (n, B, S): L a multiple of S, L not a multiple of S, B = 1, S = L, L just above S.
        let cases = [(50, 3, 4), (45, 2, 5), (31, 1, 7), (65, 4, 16), (37, 4, 8), (1000, 7, 13)]
        for (n, B, S) in cases {
            let data = (0..<n).map { Int32(($0 * 7919) % 251) }
            var batcher = StreamBatcher(count: n, batch: B, steps: S)
            var peer = PeerReference(data: data, B: B, S: S)
            XCTAssertEqual(batcher.streamLength, (n - 1) / B, "L for n \(n) B \(B)")
            XCTAssertEqual(batcher.windowsPerEpoch, ((n - 1) / B) / S)
            XCTAssertTrue(batcher.isUsable)
            var inputs = [Int32](repeating: -1, count: B * S), targets = inputs
            for w in 0..<3 * batcher.windowsPerEpoch + 2 {
                let wrapped = batcher.next(from: data, inputs: &inputs, targets: &targets)
                let expected = peer.next()
                // The peer also "resets" before its very first window (h is None then anyway);
                // the batcher reports only the resets that matter, from the second epoch on.
                XCTAssertEqual(wrapped, expected.reset && w > 0, "n \(n) B \(B) S \(S) window \(w)")
                XCTAssertEqual(inputs, expected.inputs, "n \(n) B \(B) S \(S) window \(w)")
                XCTAssertEqual(targets, expected.targets, "n \(n) B \(B) S \(S) window \(w)")
                XCTAssertEqual(batcher.epoch, w / batcher.windowsPerEpoch, "epochs count the wraps")
            }
        }
    }

    func testStreamLayoutByHand() {
        // n = 50, B = 3: L = 16; stream b reads positions [16b, 16b + 16]; S = 4: 4 windows.
        let data = (0..<50).map(Int32.init)
        var batcher = StreamBatcher(count: 50, batch: 3, steps: 4)
        var inputs = [Int32](repeating: 0, count: 12), targets = inputs
        for epoch in 0..<2 {
            for k in 0..<4 {
                let wrapped = batcher.next(from: data, inputs: &inputs, targets: &targets)
                XCTAssertEqual(wrapped, epoch == 1 && k == 0)
                XCTAssertEqual(batcher.position, 4 * (k + 1))
                XCTAssertEqual(batcher.epoch, epoch)
                for t in 0..<4 {
                    for b in 0..<3 {
                        XCTAssertEqual(inputs[t * 3 + b], Int32(16 * b + 4 * k + t))
                        XCTAssertEqual(targets[t * 3 + b], Int32(16 * b + 4 * k + t + 1))
                    }
                }
            }
        }
        // Token 48 (the last of stream 2's range) is a target, 49 is never read: L·B + 1 = 49 tokens used.
        XCTAssertEqual(inputs.max(), 47)
        XCTAssertEqual(targets.max(), 48)
    }

    func testTooShortDataIsNotUsable() {
        XCTAssertFalse(StreamBatcher(count: 64, batch: 4, steps: 16).isUsable, "L = 15 < S")
        XCTAssertTrue(StreamBatcher(count: 65, batch: 4, steps: 16).isUsable, "L = 16 = S")
        XCTAssertFalse(StreamBatcher(count: 1, batch: 1, steps: 1).isUsable)
        XCTAssertFalse(StreamBatcher(count: 0, batch: 2, steps: 1).isUsable)
    }

    func testCodableKeepsThePosition() throws {
        let data = (0..<200).map(Int32.init)
        var batcher = StreamBatcher(count: 200, batch: 3, steps: 5)
        var inputs = [Int32](repeating: 0, count: 15), targets = inputs
        for _ in 0..<17 { batcher.next(from: data, inputs: &inputs, targets: &targets) }
        let decoded = try JSONDecoder().decode(StreamBatcher.self, from: JSONEncoder().encode(batcher))
        XCTAssertEqual(decoded, batcher)
        XCTAssertEqual(decoded.epoch, 1)
        var a = batcher, b = decoded
        var i2 = inputs, t2 = targets
        for _ in 0..<20 {
            XCTAssertEqual(
                a.next(from: data, inputs: &inputs, targets: &targets),
                b.next(from: data, inputs: &i2, targets: &t2))
            XCTAssertEqual(inputs, i2)
            XCTAssertEqual(targets, t2)
        }
    }
}

import Checkpointing
import Foundation
import Models
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// Memory is estimated before anything is allocated, and what cannot fit is refused with the size.
final class MemoryEstimateTests: XCTestCase {
    func testParameterCountMatchesTheModel() throws {
        for cell in CellKind.allCases {
            for (layers, hidden, embedding) in [(1, 8, 8), (3, 16, 5)] {
                let c = ModelConfig(
                    cell: cell, layers: layers, hidden: hidden, embedding: embedding, vocabularySize: 11)
                XCTAssertEqual(MemoryEstimate.parameterCount(c), c.parameterCount, "\(cell) \(layers)×\(hidden)")
                XCTAssertEqual(
                    MemoryEstimate.parameterCount(c),
                    try LanguageModel(config: c).parameters.reduce(0) { $0 + $1.count })
            }
        }
    }

    func testAbsurdSizesOverflowToNilWithoutLooping() {
        let absurd = ModelConfig(cell: .lstm, layers: 1 << 40, hidden: 1 << 30, vocabularySize: 1 << 30)
        XCTAssertNil(MemoryEstimate.parameterCount(absurd))
        XCTAssertNil(MemoryEstimate.training(config: absurd, batch: 50, steps: 50, optimizer: .adam))
        let ok = ModelConfig(cell: .lstm, layers: 2, hidden: 128, vocabularySize: 65)
        XCTAssertNil(MemoryEstimate.training(config: ok, batch: Int.max / 2, steps: 4, optimizer: .adam))
    }

    func testTrainingEstimateCountsWorkspacesAndLogits() throws {
        let c = ModelConfig(cell: .lstm, layers: 2, hidden: 256, vocabularySize: 65)
        let small = try XCTUnwrap(MemoryEstimate.training(config: c, batch: 1, steps: 1, optimizer: .adam))
        let big = try XCTUnwrap(MemoryEstimate.training(config: c, batch: 100, steps: 100, optimizer: .adam))
        // Weights, gradients, Adam's two moments and the snapshot of all: at least 7 floats a parameter.
        XCTAssertGreaterThanOrEqual(small, 7 * 4 * c.parameterCount)
        // B×S = 10⁴ positions × (logits 65 + gates 2×1024 + …) floats.
        XCTAssertGreaterThan(big - small, 10_000 * (65 + 2 * 1024) * 4)
    }

    func testRefusalSaysHowMuchIsNeeded() {
        XCTAssertNoThrow(try MemoryEstimate.require(1 << 20, for: "x", available: 1 << 30))
        XCTAssertThrowsError(try MemoryEstimate.require(3 << 30, for: "training a 64×16384 lstm", available: 1 << 30)) {
            error in
            XCTAssertEqual(
                "\(error)", "training a 64×16384 lstm needs about 3.0 GiB of memory, but only 1.0 GiB is available")
        }
        XCTAssertThrowsError(try MemoryEstimate.require(nil, for: "x", available: 1 << 30)) {
            XCTAssertTrue("\($0)".contains("overflows"), "\($0)")
        }
        XCTAssertEqual(MemoryEstimate.format(512), "512 bytes")
        XCTAssertEqual(MemoryEstimate.format(1536 << 20), "1.5 GiB")
        XCTAssertGreaterThan(MemoryEstimate.available(), 1 << 20)
    }

    func testTheLargestModelTheChecksAllowIsRefusedBeforeAllocating() throws {
        // 64 layers of 16384 LSTM units: ~1.4·10¹¹ parameters, terabytes. Refused by the estimate,
        // in milliseconds, instead of dying in the allocator.
        let dir = try temporaryDirectory(self, "memory")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 3000).utf8).write(to: URL(fileURLWithPath: corpus))
        let huge = ModelConfig(cell: .lstm, layers: 64, hidden: 16384, vocabularySize: 1)
        XCTAssertThrowsError(
            try TrainingSession(
                corpus: corpus, model: huge, settings: tinySettings(steps: 1),
                text: TextOptions(), outDirectory: dir.path + "/run")
        ) { error in
            guard let refusal = error as? InsufficientMemory else { return XCTFail("\(error)") }
            let what = refusal.what, needed = refusal.needed
            XCTAssertTrue(what.contains("64×16384 lstm"), what)
            XCTAssertGreaterThan(needed, 1 << 40)
            XCTAssertTrue("\(error)".contains("TiB"), "\(error)")
        }
    }

    func testCorpusFileEstimate() throws {
        let dir = try temporaryDirectory(self, "memory")
        let path = dir.appendingPathComponent("c.txt").path
        try Data(repeating: 65, count: 1000).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(MemoryEstimate.corpusFile(path), 5000)
        XCTAssertNil(MemoryEstimate.corpusFile("/dev/zero"), "a device's size is unknown in advance")
        XCTAssertNil(MemoryEstimate.corpusFile(dir.path + "/missing"))
    }
}

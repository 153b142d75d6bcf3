import FileIO
import Foundation
import Models
import XCTest
import _TestSupport
import _TrainingTestSupport

@testable import Training

/// A metrics file on a full disk ends the run with the errno text (FileIO's own tests are in FileIOTests).
final class MetricsWriteTests: XCTestCase {
    let full = "/dev/full"

    func testMetricsOnAFullDiskEndTheRunWithTheErrnoText() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: full), "no /dev/full here")
        let dir = try temporaryDirectory(self, "durable")
        let corpus = dir.appendingPathComponent("corpus.txt").path
        try Data(pseudoEnglish(characters: 1500).utf8).write(to: URL(fileURLWithPath: corpus))
        let session = try TrainingSession(
            corpus: corpus, model: ModelConfig(cell: .rnn, layers: 1, hidden: 8, vocabularySize: 1),
            settings: tinySettings(steps: 20), text: TextOptions(),
            outDirectory: dir.appendingPathComponent("run").path, metricsPath: full)
        XCTAssertThrowsError(try session.run(onStep: { _ in }, onEvent: { _ in }, shouldStop: { false })) { error in
            XCTAssertEqual("\(error)", "cannot write the metrics file \(quotedPath(full)): No space left on device")
        }
    }
}

import FileIO
import Foundation
import Models
import TensorIO
import XCTest
import _TestSupport

@testable import Training

/// Durable writes: whole-file replacement, and every write error thrown with its errno text.
final class DurableFileTests: XCTestCase {
    let full = "/dev/full"

    func testReplacesAFileAndLeavesNoTemporary() throws {
        let dir = try temporaryDirectory(self, "durable")
        let path = dir.appendingPathComponent("a.txt").path
        try DurableFile.write(Array("one".utf8), to: path)
        try DurableFile.write(Array("two".utf8), to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "two")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["a.txt"])
    }

    func testErrorsCarryThePathAndErrnoText() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: full), "no /dev/full here")
        XCTAssertThrowsError(try DurableFile.write(Array(repeating: 1, count: 100_000), to: full)) { error in
            XCTAssertEqual(error as? FileWriteError, FileWriteError(path: full, reason: "No space left on device"))
        }
        var info = stat()
        XCTAssertEqual(stat(full, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "the device is written into, never replaced")
        let appending = try AppendingFile(path: full)
        XCTAssertThrowsError(try appending.append(Array("{}\n".utf8))) {
            XCTAssertTrue("\($0)".contains("No space left"), "\($0)")
        }
        XCTAssertThrowsError(
            try SafeTensors.write(
                [TensorRecord(name: "w", shape: [2], values: [1, 2])], to: full,
                durable: true)
        ) {
            XCTAssertTrue("\($0)".contains(full) && "\($0)".contains("No space left on device"), "\($0)")
        }
        let missing = "/nonexistent-charnn-dir/x.json"
        XCTAssertThrowsError(try DurableFile.write([1], to: missing)) {
            XCTAssertEqual($0 as? FileWriteError, FileWriteError(path: missing, reason: "No such file or directory"))
        }
    }

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
            XCTAssertEqual("\(error)", "cannot write the metrics file \(full): No space left on device")
        }
    }
}

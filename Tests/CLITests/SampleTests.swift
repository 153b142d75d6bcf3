import Foundation
import XCTest
import _TestSupport

/// `charnn sample`: seeds, greedy decoding, unseen prime characters, several samples.
final class SampleTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-sample") }
    override func tearDown() { dir?.remove() }

    func sample(_ extra: [String]) throws -> CommandResult {
        let run = try SharedRun.get()
        let r = try CLI.run(["sample", run.latest, "--length", "60", "--threads", "1"] + extra, in: dir.url)
        assertSuccess(r)
        return r
    }

    /// The generated text of a single sample printed without its prime.
    func generated(_ r: CommandResult, file: StaticString = #filePath, line: UInt = #line) -> String {
        XCTAssertTrue(r.stdout.hasSuffix("\n"), r.summary, file: file, line: line)
        return String(r.stdout.dropLast())
    }

    func testSameSeedSameTextOtherSeedOtherText() throws {
        let a = try sample(["--seed", "11", "--prime", "The ", "--temperature", "1"])
        let b = try sample(["--seed", "11", "--prime", "The ", "--temperature", "1"])
        let c = try sample(["--seed", "12", "--prime", "The ", "--temperature", "1"])
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertNotEqual(a.stdout, c.stdout)
        for r in [a, c] {
            XCTAssertTrue(r.stdout.hasPrefix("The "), r.stdout)
            let text = generated(r).dropFirst(4)
            XCTAssertEqual(text.count, 60, "--length 60 gives 60 characters: \(r.stdout)")
            XCTAssertTrue(text.allSatisfy(Corpus.alphabet.contains), "characters outside the corpus: \(text)")
            XCTAssertEqual(r.stderr, "")
        }
    }

    func testTemperatureZeroIsTopKOne() throws {
        let greedy = try sample(["--temperature", "0", "--seed", "1", "--prime", "the"])
        let topOne = try sample(["--top-k", "1", "--seed", "2", "--prime", "the"])
        let greedyOtherSeed = try sample(["--temperature", "0", "--seed", "3", "--prime", "the"])
        XCTAssertEqual(greedy.stdout, topOne.stdout)
        XCTAssertEqual(greedy.stdout, greedyOtherSeed.stdout, "greedy decoding does not depend on the seed")
        XCTAssertEqual(generated(greedy).count, 3 + 60)
    }

    /// Half-precision weights: same options, a sample of the asked length from the same
    /// alphabet; the greedy text of this small model does not change (its logits move by ~1e-3).
    func testHalfPrecisionWeights() throws {
        let half = try sample(["--precision", "f16", "--temperature", "0", "--prime", "the"])
        let float = try sample(["--precision", "f32", "--temperature", "0", "--prime", "the"])
        XCTAssertEqual(generated(half).count, 3 + 60)
        XCTAssertTrue(generated(half).allSatisfy(Corpus.alphabet.contains), half.stdout)
        XCTAssertEqual(half.stdout, float.stdout)
        let bad = try CLI.run(["sample", try SharedRun.get().latest, "--precision", "f8"], in: dir.url)
        assertUserError(bad, contains: ["--precision", "f8"])
        // Up to 16 streams sample with the chosen weights, each stream's arithmetic its own:
        // sample 1 of --count 3 is the text of --count 1 with the same seed.
        for p in ["f16", "int8"] {
            let common = ["--precision", p, "--length", "20", "--seed", "5", "--prime", "the", "--temperature", "1"]
            let one = try sample(common)
            let three = try sample(common + ["--count", "3"])
            XCTAssertEqual(three.stderr, "", three.summary)
            XCTAssertTrue(three.stdout.hasPrefix("--- sample 1\n" + one.stdout + "--- sample 2\n"), three.summary)
        }
    }

    func testUnseenPrimeCharacterWarnsAndGenerates() throws {
        let r = try sample(["--prime", "the \u{1F600} day", "--no-echo-prime", "--seed", "4"])
        let warnings = r.stderrLines
        XCTAssertEqual(warnings.count, 1, r.summary)
        XCTAssertTrue(warnings.first?.hasPrefix("warning: ") == true, r.summary)
        XCTAssertTrue(r.stderr.contains("\u{1F600}") && r.stderr.contains("U+1F600"), r.summary)
        XCTAssertFalse(r.stderr.contains("error"), r.summary)
        let text = generated(r)
        XCTAssertEqual(text.count, 60, r.stdout)
        XCTAssertTrue(text.allSatisfy(Corpus.alphabet.contains), text)
    }

    func testCountPrintsSeveralSamples() throws {
        let r = try sample(["--count", "3", "--length", "40", "--prime", "A", "--seed", "5"])
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let headers = lines.enumerated().filter { $0.element.hasPrefix("--- sample ") }
        XCTAssertEqual(headers.map(\.element), ["--- sample 1", "--- sample 2", "--- sample 3"], r.stdout)
        // Each sample: the prime and 40 characters (which may include newlines), up to the next header.
        var samples: [String] = []
        for (i, h) in headers.enumerated() {
            let end = i + 1 < headers.count ? headers[i + 1].offset : lines.count - 1
            samples.append(lines[(h.offset + 1)..<end].joined(separator: "\n"))
        }
        XCTAssertEqual(samples.count, 3)
        for s in samples {
            XCTAssertTrue(s.hasPrefix("A"), s)
            XCTAssertEqual(s.count, 41, "prime + 40 characters: \(s.debugDescription)")
        }
        XCTAssertEqual(Set(samples).count, 3, "three independent samples: \(samples)")
        // Deterministic as a whole too.
        XCTAssertEqual(try sample(["--count", "3", "--length", "40", "--prime", "A", "--seed", "5"]).stdout, r.stdout)
    }
}

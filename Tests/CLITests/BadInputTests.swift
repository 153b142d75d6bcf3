import Foundation
import XCTest
import _TestSupport

/// Bad files, bad option values and damaged checkpoints: every one ends as exactly one
/// `error: …` line on stderr naming the culprit, exit status 1, never a signal.
final class BadInputTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("cli-bad") }
    override func tearDown() { dir?.remove() }

    func train(_ corpus: String, _ extra: [String] = []) throws -> CommandResult {
        try CLI.run(["train", corpus] + tinyModel + ["--steps", "2", "--out", "run"] + extra, in: dir.url)
    }

    /// No run directory is created when the input is refused.
    func assertNoRunDirectory(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: dir.path("run")), "a run directory was created", file: file,
            line: line)
    }

    /// A forced OPENBLAS_CORETYPE the CPU cannot run is refused in words, not by SIGILL in OpenBLAS.
    func testUnrunnableBLASCoreTypeIsRefused() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard !cpuinfo.isEmpty else { throw XCTSkip("no /proc/cpuinfo") }
        let hasAVX512 = cpuinfo.split(whereSeparator: \.isWhitespace).contains("avx512f")
        // On an AVX-512 CPU the same kernels run: the command must then work.
        let core = hasAVX512 ? "Haswell" : "SkylakeX"
        let result = try CLI.run(["--help"], in: dir.url, environment: ["OPENBLAS_CORETYPE": core])
        if hasAVX512 || !cpuinfo.split(whereSeparator: \.isWhitespace).contains("avx2") {
            XCTAssertEqual(result.status, 0, result.summary)
        } else {
            assertUserError(result, contains: ["OPENBLAS_CORETYPE=SkylakeX", "avx512f"])
        }
    }

    func testMissingCorpus() throws {
        assertUserError(try train("no-such-corpus.txt"), contains: ["no-such-corpus.txt", "no such file"])
        assertNoRunDirectory()
    }

    func testDirectoryAsCorpus() throws {
        try FileManager.default.createDirectory(atPath: dir.path("texts"), withIntermediateDirectories: true)
        assertUserError(try train("texts"), contains: ["texts", "directory"])
        assertNoRunDirectory()
    }

    func testEmptyCorpus() throws {
        _ = try dir.write("empty.txt", "")
        assertUserError(try train("empty.txt"), contains: ["empty.txt", "empty"])
        assertNoRunDirectory()
    }

    func testBinaryCorpus() throws {
        // A NUL byte at offset 3 of a file that is otherwise text.
        _ = try dir.write("data.bin", bytes: Array("abc".utf8) + [0] + Array(Corpus.text(characters: 2000).utf8))
        assertUserError(try train("data.bin"), contains: ["data.bin", "NUL", "offset 3"])
        assertNoRunDirectory()
    }

    func testInvalidUTF8GivesTheByteOffset() throws {
        // "hello\nwor" is 9 bytes; 0xFF never starts a UTF-8 sequence.
        let bytes = Array("hello\nwor".utf8) + [0xFF] + Array("ld\n".utf8) + Array(Corpus.text(characters: 2000).utf8)
        _ = try dir.write("latin.txt", bytes: bytes)
        assertUserError(try train("latin.txt"), contains: ["latin.txt", "UTF-8", "byte offset 9", "line 2"])
        assertNoRunDirectory()
    }

    func testCorpusTooSmallSuggestsSettingsThatFit() throws {
        // 40 characters: the training part (90%) has 36, too few for B 4 × S 16.
        _ = try dir.write("small.txt", String(Corpus.text(characters: 39)))
        let r = try train("small.txt")
        assertUserError(r, contains: ["small.txt", "--batch 4", "--seq 16"])
        assertNoRunDirectory()
        // The message suggests "try --batch X --seq Y": those settings must train.
        let message = r.stderrLines.first ?? ""
        let pattern = try NSRegularExpression(pattern: "try --batch ([0-9]+) --seq ([0-9]+)")
        guard let m = pattern.firstMatch(in: message, range: NSRange(message.startIndex..., in: message)),
            let b = Int(message[Range(m.range(at: 1), in: message)!]),
            let s = Int(message[Range(m.range(at: 2), in: message)!])
        else {
            return XCTFail("no 'try --batch X --seq Y' suggestion in: \(message)")
        }
        XCTAssertLessThan(b * s, 36, "the suggestion cannot fit 36 characters: \(message)")
        let ok = try CLI.run(
            [
                "train", "small.txt", "--hidden", "8", "--layers", "1", "--batch", "\(b)", "--seq", "\(s)",
                "--steps", "2", "--threads", "1", "--out", "fits",
            ], in: dir.url)
        assertSuccess(ok)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path("fits/latest/model.safetensors")))
    }

    func testInvalidOptionValues() throws {
        let corpus = try dir.write("corpus.txt", Corpus.text(characters: 2000))
        let shared = try SharedRun.get()
        let cases: [([String], [String])] = [
            (["train", corpus, "--out", "run", "--dropout", "1.5"], ["--dropout", "1.5"]),
            (["train", corpus, "--out", "run", "--lr", "-1"], ["--lr", "-1"]),
            (["train", corpus, "--out", "run", "--lr", "0"], ["--lr", "0"]),
            (["train", corpus, "--out", "run", "--max-time", "10x"], ["--max-time", "10x"]),
            (["train", corpus, "--out", "run", "--steps", "0"], ["--steps", "0"]),
            (["train", corpus, "--out", "run", "--cell", "transformer"], ["transformer"]),
            (["sample", shared.latest, "--temperature", "-1"], ["temperature", "-1"]),
            (["sample", shared.latest, "--top-p", "2"], ["top-p", "2"]),
            (["sample", shared.latest, "--top-k", "-3"], ["top-k", "-3"]),
            (["eval", shared.latest, corpus, "--unknown", "guess"], ["--unknown", "guess"]),
            (["compare", corpus, "--out", "run", "--steps", "2", "--lr", "-1"], ["--lr", "-1"]),
        ]
        for (arguments, fragments) in cases {
            assertUserError(try CLI.run(arguments, in: dir.url), contains: fragments)
        }
        assertNoRunDirectory()
    }

    func testUnusableOutputPaths() throws {
        _ = try dir.write("corpus.txt", Corpus.text(characters: 2000))
        _ = try dir.write("a-file", "not a directory\n")
        assertUserError(
            try CLI.run(["train", "corpus.txt"] + tinyModel + ["--steps", "2", "--out", "a-file"], in: dir.url),
            contains: ["cannot create the run directory 'a-file'", "File exists"], afterProgress: true)
        assertUserError(
            try CLI.run(["train", "corpus.txt"] + tinyModel + ["--steps", "2", "--out", "a-file/run"], in: dir.url),
            contains: ["run directory 'a-file/run'", "Not a directory"], afterProgress: true)
        assertUserError(
            try CLI.run(
                ["train", "corpus.txt"] + tinyModel
                    + ["--steps", "2", "--out", "run", "--metrics", "missing/dir/m.jsonl"], in: dir.url),
            contains: ["cannot write the metrics file 'missing/dir/m.jsonl'", "No such file"], afterProgress: true)
        assertUserError(
            try CLI.run(["train", "corpus.txt"] + tinyModel + ["--steps", "2", "--resume", "no-run"], in: dir.url),
            contains: ["no-run", "no such file"])
    }

    func testEvalOnTooLittleText() throws {
        let shared = try SharedRun.get()
        _ = try dir.write("empty.txt", "")
        assertUserError(
            try CLI.run(["eval", shared.latest, "empty.txt"], in: dir.url), contains: ["empty.txt", "empty"])
        _ = try dir.write("one.txt", "a")
        assertUserError(
            try CLI.run(["eval", shared.latest, "one.txt"], in: dir.url), contains: ["one.txt", "nothing to score"])
        _ = try dir.write("two.txt", "ab")
        let two = try EvalNumbers.run(shared.latest, "two.txt", in: dir.url)
        XCTAssertEqual(two.chars, 1)
    }

    // MARK: Damaged checkpoints

    /// A copy of the shared run's latest checkpoint, damaged by `damage`.
    func damagedCopy(_ name: String, _ damage: (String) throws -> Void) throws -> String {
        let shared = try SharedRun.get()
        let copy = dir.path(name)
        try FileManager.default.copyItem(atPath: shared.latest, toPath: copy)
        try damage(copy)
        return copy
    }

    /// Every JSON error names the file, the line and column, and what was expected there; a
    /// well-formed document with a value out of range names the field, the value and the range.
    func testJSONErrorsNameThePlaceAndTheField() throws {
        func edit(_ file: String, _ pattern: String, _ replacement: String) -> (String) throws -> Void {
            { path in
                let url = URL(fileURLWithPath: path + "/" + file)
                let text = try String(contentsOf: url, encoding: .utf8)
                let range = try XCTUnwrap(text.range(of: pattern, options: .regularExpression), "\(pattern) in \(file)")
                try Data(text.replacingCharacters(in: range, with: replacement).utf8).write(to: url)
            }
        }
        let cases: [(String, (String) throws -> Void, [String])] = [
            (
                "step", edit("trainer_state.json", #"\n  "step" : [0-9]+"#, "\n  \"step\" : 1e30"),
                ["trainer_state.json'", "'step' is 1e30", "expected a whole number from -9223372036854775808"]
            ),
            (
                "rng", edit("trainer_state.json", #""dropout_rng" : [0-9]+"#, "\"dropout_rng\" : -1"),
                ["trainer_state.json'", "column", "'dropout_rng' is -1", "from 0 to 18446744073709551615"]
            ),
            (
                "huge", edit("trainer_state.json", #""best_val_loss" : [-0-9.e]+"#, "\"best_val_loss\" : 1e400"),
                ["trainer_state.json'", "'best_val_loss' is 1e400", "double's range"]
            ),
            (
                "nan", edit("trainer_state.json", #""best_val_loss" : [-0-9.e]+"#, "\"best_val_loss\" : nan"),
                ["trainer_state.json'", "not valid JSON at line", "nan is not a JSON number", "(in 'best_val_loss')"]
            ),
            (
                "surrogate", edit("vocab.json", #""tokens": \["[^"]*""#, "\"tokens\": [\"\\ud800\""),
                ["vocab.json'", "not valid JSON at line", "unpaired surrogate", "(in 'tokens[0]')"]
            ),
            (
                "comma", edit("config.json", #""hidden" : [0-9]+"#, "\"hidden\" : 16,,"),
                ["config.json'", "not valid JSON at line", "column", "expected a member name"]
            ),
            (
                "seed", edit("config.json", #""seed" : [0-9]+"#, "\"seed\" : -7"),
                ["config.json'", "'training.seed' is -7", "from 0 to 18446744073709551615"]
            ),
            (
                "type", edit("config.json", #""layers" : [0-9]+"#, "\"layers\" : \"two\""),
                ["config.json'", "line", "'layers' is \"two\""]
            ),
        ]
        for (name, damage, fragments) in cases {
            let ckpt = try damagedCopy("json-\(name)", damage)
            assertUserError(try CLI.run(["info", ckpt], in: dir.url), contains: fragments)
        }
        // A safetensors header: the byte offset, in the header and in the file.
        let header = try damagedCopy("json-header") { path in
            let url = URL(fileURLWithPath: path + "/model.safetensors")
            var bytes = [UInt8](try Data(contentsOf: url))
            bytes[8] = UInt8(ascii: "x")
            try Data(bytes).write(to: url)
        }
        assertUserError(
            try CLI.run(["info", header], in: dir.url),
            contains: ["model.safetensors'", "header byte 0 (byte 8 of the file)"])
    }

    func testTruncatedWeights() throws {
        let ckpt = try damagedCopy("truncated") { path in
            let file = path + "/model.safetensors"
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: file))
        }
        assertUserError(try CLI.run(["info", ckpt], in: dir.url), contains: [ckpt + "/model.safetensors"])
        assertUserError(
            try CLI.run(["sample", ckpt, "--length", "5"], in: dir.url), contains: [ckpt + "/model.safetensors"])
        // Only the 8-byte header length left.
        let stub = try damagedCopy("stub") { path in
            let file = path + "/model.safetensors"
            try Data(contentsOf: URL(fileURLWithPath: file)).prefix(8).write(to: URL(fileURLWithPath: file))
        }
        assertUserError(try CLI.run(["info", stub], in: dir.url), contains: [stub + "/model.safetensors"])
    }

    func testGarbageConfig() throws {
        let ckpt = try damagedCopy("garbage-config") { path in
            try Data("{\"cell\": \"lstm\", \"layers\": [".utf8).write(to: URL(fileURLWithPath: path + "/config.json"))
        }
        assertUserError(try CLI.run(["info", ckpt], in: dir.url), contains: [ckpt + "/config.json", "JSON"])
        let wrong = try damagedCopy("wrong-config") { path in
            try Data("{\"cell\": \"lstm\"}".utf8).write(to: URL(fileURLWithPath: path + "/config.json"))
        }
        assertUserError(try CLI.run(["info", wrong], in: dir.url), contains: [wrong + "/config.json"])
        // A config that claims an enormous model must not make charnn allocate it.
        let huge = try damagedCopy("huge-config") { path in
            let url = URL(fileURLWithPath: path + "/config.json")
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            config["hidden"] = 16384
            config["embedding"] = 16384
            config["layers"] = 64
            try JSONSerialization.data(withJSONObject: config).write(to: url)
        }
        assertUserError(
            try CLI.run(["sample", huge, "--length", "5"], in: dir.url),
            contains: [huge + "/config.json", "parameters"])
    }

    func testMissingVocabulary() throws {
        let ckpt = try damagedCopy("no-vocab") { path in
            try FileManager.default.removeItem(atPath: path + "/vocab.json")
        }
        assertUserError(try CLI.run(["info", ckpt], in: dir.url), contains: [ckpt + "/vocab.json", "missing"])
        let shared = try SharedRun.get()
        assertUserError(
            try CLI.run(["eval", ckpt, shared.corpus], in: dir.url), contains: [ckpt + "/vocab.json", "missing"])
    }

    func testCheckpointThatDoesNotExist() throws {
        let missing = dir.path("never-trained")
        assertUserError(try CLI.run(["info", missing], in: dir.url), contains: [missing, "no such"])
        assertUserError(try CLI.run(["sample", missing], in: dir.url), contains: [missing, "no such"])
        // A directory without a checkpoint in it.
        try FileManager.default.createDirectory(atPath: dir.path("empty-run"), withIntermediateDirectories: true)
        assertUserError(
            try CLI.run(["info", dir.path("empty-run")], in: dir.url), contains: [dir.path("empty-run"), "config.json"])
    }

    func testEvalNamesAnUnknownCharacter() throws {
        let shared = try SharedRun.get()
        // "the cat " is 8 characters: the unknown one is at line 1, column 9.
        let text = try dir.write("eval.txt", "the cat \u{26A1} sat\n")
        assertUserError(
            try CLI.run(["eval", shared.latest, text, "--json"], in: dir.url),
            contains: [text, "\u{26A1}", "U+26A1", "line 1, column 9"])
    }

    /// Foundation's file errors become "PATH: <reason>", never `Code=256 "(null)"`.
    func testFileErrorsNameThePathAndTheReason() throws {
        for name in ["config.json", "trainer_state.json"] {
            let ckpt = try damagedCopy("dir-\(name)") { path in
                try FileManager.default.removeItem(atPath: path + "/" + name)
                try FileManager.default.createDirectory(atPath: path + "/" + name, withIntermediateDirectories: false)
            }
            let r = try CLI.run(["info", ckpt], in: dir.url)
            assertUserError(r, contains: [name, "Is a directory"])
            XCTAssertFalse(r.stderr.contains("Code="), r.stderr)
        }
        let shared = try SharedRun.get()
        let r = try CLI.run(["sample", shared.latest, "--prime-file", dir.url.path], in: dir.url)
        assertUserError(r, contains: ["--prime-file", dir.url.path, "Is a directory"])
    }
}

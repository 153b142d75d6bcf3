import Foundation
import XCTest
import _TestSupport

/// Every numeric option of every subcommand is checked before anything runs: a bad value is one
/// `error:` line naming the option and the value, exit 1, never a trap, never "Missing value".
final class OptionValidationTests: XCTestCase {
    /// (arguments, fragments the message must hold). The checkpoint and corpus need not exist:
    /// options are checked before any file is opened.
    static let cases: [([String], [String])] = {
        let train = ["train", "corpus.txt"], sample = ["sample", "ckpt"], eval = ["eval", "ckpt", "text.txt"]
        let repl = ["repl", "ckpt"], compare = ["compare", "corpus.txt", "--steps", "2"],
            bench = ["bench", "corpus.txt"]
        return [
            // The model group (train, repl, compare, bench).
            (train + ["--layers", "0"], ["--layers must be ≥ 1, got 0"]),
            (train + ["--layers", "65"], ["--layers must be ≤ 64, got 65"]),
            (train + ["--hidden", "-1"], ["--hidden must be ≥ 1, got -1"]),
            (train + ["--hidden", "16385"], ["--hidden must be ≤ 16384, got 16385"]),
            (train + ["--embedding", "0"], ["--embedding must be ≥ 1, got 0"]),
            (train + ["--dropout", "1"], ["--dropout", "got 1"]),
            (train + ["--dropout", "-0.5"], ["--dropout", "got -0.5"]),
            (train + ["--forget-bias", "nan"], ["--forget-bias must be a finite number, got nan"]),
            (train + ["--forget-bias", "1000"], ["--forget-bias must be ≤ 100, got 1000"]),
            (repl + ["--hidden", "-1"], ["--hidden must be ≥ 1, got -1"]),
            (compare + ["--hidden", "0"], ["--hidden must be ≥ 1, got 0"]),
            (bench + ["--hidden", "0"], ["--hidden must be ≥ 1, got 0"]),
            (bench + ["--layers", "-2"], ["--layers must be ≥ 1, got -2"]),
            // The optimizer group.
            (train + ["--lr", "-1"], ["--lr must be > 0, got -1"]),
            (train + ["--lr", "0"], ["--lr must be > 0, got 0"]),
            (train + ["--lr", "inf"], ["--lr must be a finite number, got inf"]),
            (bench + ["--lr", "nan"], ["--lr must be a finite number, got nan"]),
            (compare + ["--lr", "nan"], ["--lr must be a finite number, got nan"]),
            (train + ["--clip", "-1"], ["--clip must be ≥ 0, got -1"]),
            (train + ["--schedule", "cosine:-1"], ["--schedule", "cosine:-1"]),
            // Batches, and what one step holds.
            (train + ["--batch", "0"], ["--batch must be ≥ 1, got 0"]),
            (train + ["--batch", "4611686018427387904"], ["--batch must be ≤ 65536, got 4611686018427387904"]),
            (train + ["--seq", "0"], ["--seq must be ≥ 1, got 0"]),
            (train + ["--batch", "65536", "--seq", "65536"], ["--batch 65536 × --seq 65536"]),
            (train + ["--batch", "4096", "--seq", "4096", "--hidden", "16384"], ["--layers 2", "2^32"]),
            (bench + ["--batch", "0"], ["--batch must be ≥ 1, got 0"]),
            (bench + ["--seq", "0"], ["--seq must be ≥ 1, got 0"]),
            (compare + ["--batch", "-4"], ["--batch must be ≥ 1, got -4"]),
            (train + ["--reset-every", "-1"], ["--reset-every must be ≥ 0, got -1"]),
            (compare + ["--reset-every", "1000000001"], ["--reset-every must be ≤ 1000000000, got 1000000001"]),
            // Data.
            (train + ["--val-fraction", "0"], ["--val-fraction must be in (0, 1), got 0"]),
            (compare + ["--val-fraction", "1"], ["--val-fraction must be in (0, 1), got 1"]),
            // Budgets.
            (train + ["--steps", "0"], ["--steps must be ≥ 1, got 0"]),
            (train + ["--steps", "-5"], ["--steps must be ≥ 1, got -5"]),
            (train + ["--epochs", "0"], ["--epochs must be ≥ 1, got 0"]),
            (train + ["--max-time", "-5s"], ["--max-time must be > 0, got -5s"]),
            (train + ["--max-time", "0"], ["--max-time must be > 0, got 0"]),
            (train + ["--max-time", "1e20h"], ["--max-time must be at most", "got 1e20h"]),
            (train + ["--max-time", "10x"], ["--max-time", "10x"]),
            (train + ["--eval-every", "0"], ["--eval-every must be ≥ 1, got 0"]),
            (compare + ["--max-time", "-5s"], ["--max-time must be > 0, got -5s"]),
            (["compare", "corpus.txt", "--epochs", "2"], ["--epochs"]),
            (["compare", "corpus.txt"], ["give a budget"]),
            (compare + ["--evaluations", "0"], ["--evaluations must be ≥ 1, got 0"]),
            (bench + ["--steps", "-1"], ["--steps must be ≥ 1, got -1"]),
            (bench + ["--seconds", "inf"], ["--seconds must be at most", "got inf"]),
            (bench + ["--max-time", "inf"], ["--max-time must be at most", "got inf"]),
            (bench + ["--sample", "-1"], ["--sample must be ≥ 0, got -1"]),
            // Threads: every command that computes.
            (train + ["--threads", "0"], ["--threads must be ≥ 1, got 0"]),
            (train + ["--threads", "257"], ["--threads must be ≤ 256, got 257"]),
            (sample + ["--threads", "0"], ["--threads must be ≥ 1, got 0"]),
            (eval + ["--threads", "0"], ["--threads must be ≥ 1, got 0"]),
            (repl + ["--threads", "0"], ["--threads must be ≥ 1, got 0"]),
            (compare + ["--threads", "0"], ["--threads must be ≥ 1, got 0"]),
            (bench + ["--threads", "-1"], ["--threads must be ≥ 1, got -1"]),
            // Seeds.
            (train + ["--seed", "-1"], ["--seed must be an integer in 0...18446744073709551615, got -1"]),
            (sample + ["--seed", "-1"], ["--seed must be an integer", "got -1"]),
            (bench + ["--seed", "1.5"], ["--seed must be an integer", "got 1.5"]),
            (compare + ["--seeds", "1,-1"], ["--seeds", "1,-1"]),
            // Sampling.
            (sample + ["--temperature", "-1"], ["--temperature must be ≥ 0, got -1"]),
            (sample + ["--temperature", "nan"], ["--temperature must be a finite number, got nan"]),
            (sample + ["--top-k", "-3"], ["--top-k must be ≥ 0", "got -3"]),
            (sample + ["--top-p", "0"], ["--top-p must be in (0, 1]", "got 0"]),
            (sample + ["--top-p", "2"], ["--top-p must be in (0, 1]", "got 2"]),
            (sample + ["--length", "-1"], ["--length must be ≥ 0, got -1"]),
            (sample + ["--count", "0"], ["--count must be ≥ 1, got 0"]),
            (sample + ["--count", "9223372036854775807"], ["--count must be ≤ 65536, got 9223372036854775807"]),
            (sample + ["--count", "100", "--length", "100000000"], ["--count 100 × --length 100000000"]),
            (sample + ["--beam", "0"], ["--beam must be ≥ 1, got 0"]),
            (repl + ["--temperature", "-1"], ["--temperature must be ≥ 0, got -1"]),
            (repl + ["--length", "-1"], ["--length must be ≥ 0, got -1"]),
            (bench + ["--temperature", "-1"], ["--temperature must be ≥ 0, got -1"]),
            // eval.
            (eval + ["--dump-count", "0"], ["--dump-count must be ≥ 1, got 0"]),
            (eval + ["--dump-count", "-1"], ["--dump-count must be ≥ 1, got -1"]),
            (eval + ["--unknown", "guess"], ["--unknown", "guess"]),
        ]
    }()

    func testEveryBadValueIsOneClearError() throws {
        let dir = try TemporaryDirectory("cli-options")
        defer { dir.remove() }
        // A few at a time: each is a short process, and the machine may have two cores.
        var pending = Self.cases[...]
        while !pending.isEmpty {
            let batch = pending.prefix(8)
            pending = pending.dropFirst(8)
            let running = try batch.map { try CLI.start($0.0, in: dir.url) }
            for (r, (arguments, fragments)) in zip(running, batch) {
                let result = r.wait(timeout: 60)
                assertUserError(result, contains: fragments)
                XCTAssertFalse(result.stderr.contains("Missing value"), "\(arguments): \(result.stderr)")
            }
        }
        // Nothing was created: the checks come before any file is touched.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(left, [], "files were created by refused commands")
    }
}

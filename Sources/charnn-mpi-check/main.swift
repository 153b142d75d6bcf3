// charnn-mpi-check: the communicator seam's multi-rank self-test and allreduce benchmark.
//
//   mpirun -np 3 .build/debug/charnn-mpi-check                 every collective, checked exactly
//   mpirun -np 2 .build/release/charnn-mpi-check --bench 300000,1000000,4000000 [--iterations 50]
//   mpirun -np 2 .build/debug/charnn-mpi-check --fail-on-rank 1  one rank fails: the job must end, status 1
//
// Built with `swift build --traits MPI` (make mpi-test); without the trait it runs the same checks on a
// single process, and refuses to run under mpirun. Rank 0 alone prints; exit 0 when all checks pass.
import Communication
import Foundation
import MPICommunication

struct Options {
    var benchSizes: [Int]?
    var iterations = 50
    var failOnRank: Int?

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let v = rest.popFirst() else { throw Usage("\(flag) needs a value") }
            return v
        }
        func positive(_ flag: String, _ text: String, allowZero: Bool = false) throws -> Int {
            guard let n = Int(text), n > 0 || (allowZero && n == 0) else {
                throw Usage("\(flag): '\(text)' is not a \(allowZero ? "non-negative" : "positive") integer")
            }
            return n
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--bench":
                benchSizes = try value(flag).split(separator: ",", omittingEmptySubsequences: false)
                    .map { try positive(flag, String($0)) }
            case "--iterations": iterations = try positive(flag, value(flag))
            case "--fail-on-rank": failOnRank = try positive(flag, value(flag), allowZero: true)
            default: throw Usage("unknown argument '\(flag)'")
            }
        }
    }
}

struct Usage: Error { let message: String; init(_ m: String) { message = m } }

/// Exits with status 1 after one `error:` line, for failures every rank meets alike (a bad flag): only the
/// launcher's rank 0 speaks, so that N ranks do not print N copies.
func fail(_ message: String) -> Never {
    let rank = MPILaunch.detect(in: ProcessInfo.processInfo.environment)?.rank ?? 0
    if rank == 0 { FileHandle.standardError.write(Data("error: charnn-mpi-check: \(message)\n".utf8)) }
    exit(1)
}

// Options first: a bad flag must not start MPI (every rank sees the same flags, so all of them stop here).
let options: Options
do { options = try Options(Array(CommandLine.arguments.dropFirst())) } catch let usage as Usage {
    fail(usage.message)
}

let world: any Communicator
do { world = try Communicators.world() } catch { fail("\(error)") }

/// Ends the whole job after one `error:` line: for failures the other ranks cannot see.
func abortJob(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: charnn-mpi-check: rank \(world.rank): \(message)\n".utf8))
    world.abort(code: 1)
}

if let bad = options.failOnRank {
    guard bad < world.size else { fail("--fail-on-rank \(bad): the job has \(world.size) ranks") }
    if world.rank == bad { abortJob("failing on purpose (--fail-on-rank \(bad))") }
    // The others wait where a training step would: in a collective that rank `bad` never joins.
    do { try world.barrier() } catch { abortJob("\(error)") }
    fail("rank \(world.rank) left a barrier that rank \(bad) never entered")
}

do {
    if let sizes = options.benchSizes {
        let lines = try Bench(world: world).run(sizes: sizes, iterations: options.iterations)
        if world.isRoot { print(lines.joined(separator: "\n")) }
        exit(0)
    }
    var checks = Checks(world: world)
    try checks.identity()
    try checks.allReduce(on: world, label: "allreduce")
    try checks.broadcast(on: world, label: "broadcast")
    #if MPI
    if Communicators.mpiBuilt, world.size > 1 {
        // The same collectives split into calls of 1000 elements: the path buffers over 2³⁰ elements take.
        let chunked = try MPICommunicator.world(chunkElements: 1000)
        try checks.allReduce(on: chunked, label: "chunked allreduce")
        try checks.broadcast(on: chunked, label: "chunked broadcast")
    }
    #endif
    try checks.gather()
    try checks.barrier()

    // Every rank's failures, reported by rank 0; all ranks agree on the status, so all exit normally.
    let report = try world.gather(Array(checks.failures.joined(separator: "\n").utf8), to: 0)
    let failed = try world.anyRank(!checks.failures.isEmpty)
    if let report {
        for (rank, text) in report.enumerated() where !text.isEmpty {
            for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
                print("FAIL rank \(rank): \(line)")
            }
        }
        let kind = world is SingleProcess ? "single process" : "MPI"
        print(
            "charnn-mpi-check: \(world.size) rank\(world.size == 1 ? "" : "s") (\(kind)): "
                + (failed ? "FAILED" : "every check passed on every rank (\(checks.count) on rank 0)"))
    }
    exit(failed ? 1 : 0)
} catch {
    abortJob("\(error)")
}

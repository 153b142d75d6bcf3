import ArgumentParser
import Communication
import Foundation
import MPICommunication
import Training

// The data-parallel job this process belongs to (docs/distributed.md): `SingleProcess` unless an MPI
// launcher started it. Rank 0 speaks and writes; the other ranks stay silent except for an error only
// they met. Every rank must leave a collective the others are in, or the job hangs: errors are
// therefore classified as met by every rank alike (rank 0 reports, all exit 1) or by some ranks only
// (those report, then `abort` ends the whole job).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Job {
    nonisolated(unsafe) static var world: any Communicator = SingleProcess()
    /// Where this rank's own error lines go (stderr, kept open when a non-root rank's stderr is silenced).
    nonisolated(unsafe) static var errorFD: Int32 = STDERR_FILENO

    /// Joins the job: MPI's world under a launcher (after the OpenBLAS restart, before any thread).
    /// A failure is the same on every rank: rank 0 (as the launcher numbers it) reports, all exit 1.
    static func start() {
        do { world = try Communicators.world() } catch {
            let rank = MPILaunch.detect(in: ProcessInfo.processInfo.environment)?.rank ?? 0
            if rank == 0 { Console.error(describe(error)) }
            Console.finish(1)
        }
    }

    /// From here on ranks other than 0 write nothing on stdout or stderr (their progress lines would
    /// repeat rank 0's), except their own error lines (`fail`).
    static func silenceOtherRanks() {
        guard !world.isRoot, errorFD == STDERR_FILENO else { return }
        errorFD = dup(STDERR_FILENO)
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else { return }
        dup2(null, STDOUT_FILENO)
        dup2(null, STDERR_FILENO)
        close(null)
    }

    /// Reports an error this rank met (that the others may not know) and ends the whole job with status 1.
    static func fail(_ error: any Error) -> Never {
        let rank = world.size > 1 ? " (rank \(world.rank) of \(world.size))" : ""
        _ = Console.writeAll(errorFD, "error: \(describe(error))\(rank)\n")
        world.abort(code: 1)
    }

    /// A rank that did nothing wrong, while another ends the job: waits for the abort that ends it.
    static func awaitAbort() -> Never {
        sleep(30)
        world.abort(code: 1)
    }

    /// Runs a step that every rank takes alike (reading the options, the corpus, a checkpoint) and lets
    /// all ranks learn who failed: none → the result; all → rank 0 throws its error (one `error:` line),
    /// the others exit 1 silently; some → those report and the job is aborted.
    static func together<T>(_ body: () throws -> T) throws -> T {
        guard world.size > 1 else { return try body() }
        let result: Result<T, any Error>
        do { result = .success(try body()) } catch { result = .failure(error) }
        var failed = 0.0
        if case .failure = result { failed = 1 }
        do { failed = try world.allReduce(failed, .sum) } catch { fail(error) }
        switch result {
        case .success(let value) where failed == 0: return value
        case .failure(let error) where Int(failed) == world.size:
            if world.isRoot { throw error }
            throw ExitCode(1)
        case .failure(let error): fail(error)
        case .success: awaitAbort()
        }
    }

    /// What a rank does with an error out of the training loop, where ranks may disagree.
    static func afterTraining(_ error: any Error) throws -> Never {
        switch error {
        case is ExitCode: throw error
        case is RankFailure: awaitAbort()
        // Decided on the summed loss and the shared weights: every rank gives up at the same step.
        case TrainingError.diverged:
            if world.isRoot { throw error }
            throw ExitCode(1)
        default: fail(error)
        }
    }
}

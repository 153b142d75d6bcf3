// The MPI job `compare` and `eval` run in (docs/distributed.md). Joined on first use: MPI starts only
// under a launcher (`Communicators.world()`), so a plain `charnn compare` pays nothing.
//
// MERGE NOTE: the training branch (mpi-train) joins the job once in `CharNN.main` (`Job.start()`,
// `Job.world`). Where both exist, `World.join()` must return that world (`return Job.world`):
// MPI cannot be initialized twice.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Communication
import Foundation
import MPICommunication

enum World {
    nonisolated(unsafe) private static var joined: (any Communicator)?
    /// This rank's own stderr, kept when the other ranks' output is silenced.
    nonisolated(unsafe) private static var errorFD: Int32 = STDERR_FILENO

    /// The job this process belongs to. A failure to join is the same on every rank: rank 0 (as
    /// the launcher numbers it) reports it, every rank exits 1.
    static func join() -> any Communicator {
        if let joined { return joined }
        do {
            let world = try Communicators.world()
            joined = world
            return world
        } catch {
            let rank = MPILaunch.detect(in: ProcessInfo.processInfo.environment)?.rank ?? 0
            if rank == 0 { Console.error(describe(error)) }
            Console.finish(1)
        }
    }

    /// From here on the ranks other than 0 print nothing (their lines would repeat rank 0's), except
    /// an error only they met (`fail`).
    static func silenceOtherRanks(_ world: any Communicator) {
        guard !world.isRoot, errorFD == STDERR_FILENO else { return }
        errorFD = dup(STDERR_FILENO)
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else { return }
        dup2(null, STDOUT_FILENO)
        dup2(null, STDERR_FILENO)
        close(null)
    }

    /// Reports an error this rank alone met and ends the whole job with status 1.
    static func fail(_ world: any Communicator, _ message: String) -> Never {
        _ = Console.writeAll(errorFD, "error: \(message) (rank \(world.rank) of \(world.size))\n")
        world.abort(code: 1)
    }

    /// Runs a step every rank takes alike (reading a corpus, a checkpoint, creating the output) and
    /// lets all ranks learn who failed: none → the result; every rank → rank 0 throws its error (one
    /// `error:` line) and the others exit 1 silently; some → those report and the job is aborted.
    static func together<T>(_ world: any Communicator, _ body: () throws -> T) throws -> T {
        guard world.size > 1 else { return try body() }
        let result: Result<T, any Error>
        do { result = .success(try body()) } catch { result = .failure(error) }
        var failed = 0.0
        if case .failure = result { failed = 1 }
        do { failed = try world.allReduce(failed, .sum) } catch { fail(world, describe(error)) }
        switch result {
        case .success(let value) where failed == 0: return value
        case .failure(let error) where Int(failed) == world.size:
            if world.isRoot { throw error }
            throw ExitCode(1)
        case .failure(let error): fail(world, describe(error))
        case .success:
            // Another rank failed alone: it aborts the job; wait for that.
            sleep(30)
            world.abort(code: 1)
        }
    }
}

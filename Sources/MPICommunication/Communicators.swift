import Communication

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The factory the executable calls once, early (after the OpenBLAS restart, before any thread starts).
public enum Communicators {
    /// Whether this build carries MPI (`swift build --traits MPI`, `make mpi`).
    public static var mpiBuilt: Bool {
        #if MPI
        return true
        #else
        return false
        #endif
    }

    /// The job this process belongs to: MPI's world when an MPI launcher started it (and MPI is built in),
    /// else a `SingleProcess`.
    ///
    /// MPI is initialized only under a launcher (see `MPILaunch`). A build without MPI that a launcher
    /// started as one of several processes refuses, rather than letting N copies each train alone and
    /// overwrite each other's checkpoints; as the only process it runs as a single process.
    /// - Parameter environment: the process environment (a parameter for tests).
    /// - Throws: `CommunicationError.mpiNotBuilt`, `.worldMismatch`, or `.failed` when MPI cannot start.
    public static func world(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> any Communicator
    {
        guard let launch = MPILaunch.detect(in: environment) else { return SingleProcess() }
        #if MPI
        let world = try MPICommunicator.world()
        if let size = launch.size, size != world.size {
            throw CommunicationError.worldMismatch(launcherSize: size, mpiSize: world.size)
        }
        return world
        #else
        if launch.size == 1 { return SingleProcess() }
        throw CommunicationError.mpiNotBuilt(variable: launch.variable, size: launch.size)
        #endif
    }
}

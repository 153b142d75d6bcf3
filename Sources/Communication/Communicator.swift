/// How `allReduce` combines the ranks' values, element by element.
public enum Reduction: Sendable, CaseIterable {
    case sum, max, min
}

/// The processes of one data-parallel job, and the few collective operations training needs.
///
/// Every rank runs the same program; a collective call is made by **every** rank, in the same order, with
/// matching sizes and roots (MPI's rule: a rank that skips a call, or calls another, hangs the job).
/// Calls come from one thread at a time. The element types are those training moves: `Float` gradients and
/// parameters, `Double` loss sums and counters, raw bytes for anything serialized.
///
/// Implementations: `SingleProcess` (always there: rank 0 of 1, every operation the identity) and, in the
/// `MPICommunication` module when built with the `MPI` trait, MPI's `MPI_COMM_WORLD`.
public protocol Communicator: Sendable {
    /// This process's index, `0 ..< size`. Rank 0 prints and writes files.
    var rank: Int { get }
    /// The number of processes in the job.
    var size: Int { get }

    /// Combines `buffer` element-wise over all ranks, in place: afterwards every rank holds the same result.
    /// - Throws: `CommunicationError.failed` when the transport reports an error.
    func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ reduction: Reduction) throws
    /// The `Double` flavour, for loss sums and counters that must not lose precision.
    func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, _ reduction: Reduction) throws

    /// Copies `root`'s bytes into `buffer` on every other rank; all ranks pass buffers of the same size.
    /// - Throws: `CommunicationError.invalidRoot` for a root outside `0 ..< size`, or `.failed`.
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws

    /// Collects every rank's bytes (each rank's count may differ, zero included) on `root`.
    /// - Returns: on `root`, one array per rank in rank order; on every other rank, `nil`.
    /// - Throws: `.invalidRoot`, `.messageTooLarge` when the total passes what one call carries, or `.failed`.
    func gather(_ bytes: UnsafeRawBufferPointer, to root: Int) throws -> [[UInt8]]?

    /// Returns once every rank has called it.
    func barrier() throws

    /// Ends the whole job now with `code` (`mpirun` exits with it); for errors some ranks cannot know about.
    /// Flushes this process's standard output and error first. Never returns.
    func abort(code: Int32) -> Never
}

#if MPI
import CMPI
import Communication
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `MPI_COMM_WORLD` as a `Communicator`, over MPI's C API (Open MPI or MPICH).
///
/// MPI is initialized once per process, with `MPI_THREAD_SERIALIZED` (any thread may call, one at a time:
/// the process has compute threads that never call MPI, and the training loop need not sit on the main
/// thread), errors returned as codes rather than fatal, and `MPI_Finalize` registered with `atexit`. A rank
/// that meets an error the others cannot know about must end the job with `abort(code:)`, not `exit`:
/// finalizing waits for the other ranks, which wait in their next collective.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    // @unchecked: the only state is immutable (rank, size); MPI itself is called by one thread at a time, as
    // the protocol requires of its callers.
    public let rank: Int
    public let size: Int
    /// The most elements one MPI call carries; longer buffers go in several calls (MPI counts are 32-bit).
    public let chunkElements: Int
    /// The handle is fetched at each call rather than stored: its Swift type differs between Open MPI
    /// (`OpaquePointer?`) and MPICH (`Int32`), and the accessor is an inline function.
    private var world: MPI_Comm { cmpi_comm_world() }

    /// Initializes MPI if nobody has yet and returns the world.
    /// - Parameter chunkElements: split allreduces and broadcasts into calls of at most this many elements
    ///   (the default stays below MPI's 2³¹ limit; small values exist to test the splitting).
    /// - Throws: `CommunicationError.failed` when MPI cannot start.
    public static func world(chunkElements: Int = 1 << 30) throws -> MPICommunicator {
        precondition(chunkElements > 0 && chunkElements <= Int(Int32.max), "chunkElements out of range")
        var initialized: Int32 = 0
        try check(MPI_Initialized(&initialized), "MPI_Initialized")
        if initialized == 0 {
            var provided: Int32 = 0
            // MPI_Init_thread(nil, nil, …) type-checks where `&CommandLine.unsafeArgv` does not; MPI does not
            // need our arguments (the launcher passes its own through the environment).
            try check(MPI_Init_thread(nil, nil, cmpi_thread_serialized(), &provided), "MPI_Init_thread")
            atexit {
                var finalized: Int32 = 0
                MPI_Finalized(&finalized)
                if finalized == 0 { MPI_Finalize() }
            }
        }
        let world = cmpi_comm_world()
        try check(MPI_Comm_set_errhandler(world, cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0
        var size: Int32 = 0
        try check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(world, &size), "MPI_Comm_size")
        return MPICommunicator(rank: Int(rank), size: Int(size), chunkElements: chunkElements)
    }

    private init(rank: Int, size: Int, chunkElements: Int) {
        self.rank = rank
        self.size = size
        self.chunkElements = chunkElements
    }

    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ reduction: Reduction) throws {
        try allReduce(
            UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count,
            stride: MemoryLayout<Float>.stride, type: cmpi_float(), reduction)
    }

    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, _ reduction: Reduction) throws {
        try allReduce(
            UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count,
            stride: MemoryLayout<Double>.stride, type: cmpi_double(), reduction)
    }

    private func allReduce(
        _ base: UnsafeMutableRawPointer?, count: Int, stride: Int, type: MPI_Datatype,
        _ reduction: Reduction
    ) throws {
        guard let base, count > 0 else { return }
        let op: MPI_Op
        switch reduction {
        case .sum: op = cmpi_sum()
        case .max: op = cmpi_max()
        case .min: op = cmpi_min()
        }
        // Every rank splits the same count the same way, so the calls pair up.
        for start in Swift.stride(from: 0, to: count, by: chunkElements) {
            let n = Int32(min(chunkElements, count - start))
            try Self.check(
                MPI_Allreduce(cmpi_in_place(), base + start * stride, n, type, op, world),
                "MPI_Allreduce")
        }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws {
        try checkRoot(root)
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        for start in Swift.stride(from: 0, to: buffer.count, by: chunkElements) {
            let n = Int32(min(chunkElements, buffer.count - start))
            try Self.check(MPI_Bcast(base + start, n, cmpi_byte(), Int32(root), world), "MPI_Bcast")
        }
    }

    public func gather(_ bytes: UnsafeRawBufferPointer, to root: Int) throws -> [[UInt8]]? {
        try checkRoot(root)
        // Every rank learns every count, so that all of them agree when the total is too large, instead of
        // the root refusing while the others wait in MPI_Gatherv.
        guard bytes.count <= Int(Int32.max) else { throw CommunicationError.messageTooLarge(bytes: bytes.count) }
        var mine = Int32(bytes.count)
        var counts = [Int32](repeating: 0, count: size)
        try counts.withUnsafeMutableBufferPointer { all in
            try Self.check(
                MPI_Allgather(&mine, 1, cmpi_int(), all.baseAddress, 1, cmpi_int(), world),
                "MPI_Allgather")
        }
        let total = counts.reduce(0) { $0 + Int($1) }
        guard total <= Int(Int32.max) else { throw CommunicationError.messageTooLarge(bytes: total) }
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) { displacements[r] = displacements[r - 1] + counts[r - 1] }

        // MPI wants addresses even for empty buffers; one spare byte keeps them non-nil.
        var received = [UInt8](repeating: 0, count: rank == root ? total + 1 : 1)
        var spare: UInt8 = 0
        try withUnsafeMutablePointer(to: &spare) { spareAddress in
            let send = bytes.count > 0 ? bytes.baseAddress! : UnsafeRawPointer(spareAddress)
            try received.withUnsafeMutableBytes { receive in
                try Self.check(
                    MPI_Gatherv(
                        send, mine, cmpi_byte(), receive.baseAddress, counts, displacements,
                        cmpi_byte(), Int32(root), world), "MPI_Gatherv")
            }
        }
        guard rank == root else { return nil }
        return (0..<size).map { r in
            let start = Int(displacements[r])
            return Array(received[start..<start + Int(counts[r])])
        }
    }

    public func barrier() throws {
        try Self.check(MPI_Barrier(world), "MPI_Barrier")
    }

    public func abort(code: Int32) -> Never {
        // MPI_Abort kills the processes without flushing their stdio buffers: the `error:` line must go first.
        fflush(nil)
        MPI_Abort(world, code)
        exit(code)  // MPI_Abort does not return; this line only satisfies `Never`.
    }

    private func checkRoot(_ root: Int) throws {
        guard (0..<size).contains(root) else { throw CommunicationError.invalidRoot(root, size: size) }
    }

    private static func check(_ code: Int32, _ call: String) throws {
        guard code != cmpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        let message: String
        if MPI_Error_string(code, &text, &length) == cmpi_success() {
            message = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } else {
            message = "unknown error"
        }
        throw CommunicationError.failed(call: call, code: code, message: message)
    }
}
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A job of one process: rank 0 of 1, where every collective leaves the data as it is.
///
/// What a plain `charnn train` runs with; it lets the training loop be written once, for any number of ranks.
public struct SingleProcess: Communicator {
    public init() {}

    public var rank: Int { 0 }
    public var size: Int { 1 }

    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ reduction: Reduction) throws {}
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, _ reduction: Reduction) throws {}

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws {
        try checkRoot(root)
    }

    public func gather(_ bytes: UnsafeRawBufferPointer, to root: Int) throws -> [[UInt8]]? {
        try checkRoot(root)
        return [Array(bytes)]
    }

    public func barrier() throws {}

    public func abort(code: Int32) -> Never {
        fflush(nil)
        exit(code)
    }

    private func checkRoot(_ root: Int) throws {
        guard root == 0 else { throw CommunicationError.invalidRoot(root, size: 1) }
    }
}

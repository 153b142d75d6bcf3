/// Array and scalar forms of the collectives, and the split of work among ranks; written once over the
/// protocol's primitives, so every implementation gets them.
extension Communicator {
    /// Whether this is rank 0, the rank that prints and writes files.
    public var isRoot: Bool { rank == 0 }

    /// This rank's part of `count` items split over the job (see `evenShare(of:part:parts:)`).
    public func share(of count: Int) -> Range<Int> {
        evenShare(of: count, part: rank, parts: size)
    }

    /// Element-wise `reduction` of `array` over all ranks, in place.
    public func allReduce(_ array: inout [Float], _ reduction: Reduction) throws {
        try array.withUnsafeMutableBufferPointer { try allReduce($0, reduction) }
    }

    /// Element-wise `reduction` of `array` over all ranks, in place.
    public func allReduce(_ array: inout [Double], _ reduction: Reduction) throws {
        try array.withUnsafeMutableBufferPointer { try allReduce($0, reduction) }
    }

    /// `reduction` of one value over all ranks (a loss sum, a count, the slowest rank's time).
    public func allReduce(_ value: Double, _ reduction: Reduction) throws -> Double {
        var cell = [value]
        try allReduce(&cell, reduction)
        return cell[0]
    }

    /// Whether `flag` holds on any rank. Lets every rank learn that one of them met an error, so that all can
    /// stop together instead of the others waiting forever in the next collective.
    public func anyRank(_ flag: Bool) throws -> Bool {
        try allReduce(flag ? 1 : 0, .max) > 0
    }

    /// Copies `root`'s floats into `buffer` on every rank; all ranks pass buffers of the same count.
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, from root: Int) throws {
        try broadcast(UnsafeMutableRawBufferPointer(buffer), from: root)
    }

    /// Copies `root`'s floats into `array` on every rank; all ranks pass arrays of the same count.
    public func broadcast(_ array: inout [Float], from root: Int) throws {
        try array.withUnsafeMutableBufferPointer { try broadcast($0, from: root) }
    }

    /// `root`'s bytes, on every rank, whatever their count: the other ranks' `bytes` are ignored. For anything
    /// one rank reads or decides and the others must share (a serialized vocabulary, a configuration).
    public func broadcast(bytes: [UInt8], from root: Int) throws -> [UInt8] {
        var count = [UInt64(rank == root ? bytes.count : 0)]
        try count.withUnsafeMutableBytes { try broadcast($0, from: root) }
        var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count[0]))
        try result.withUnsafeMutableBytes { try broadcast($0, from: root) }
        return result
    }

    /// Every rank's bytes on `root`, in rank order; `nil` on the other ranks.
    public func gather(_ bytes: [UInt8], to root: Int) throws -> [[UInt8]]? {
        try bytes.withUnsafeBytes { try gather($0, to: root) }
    }

    /// Every rank's floats (counts may differ) on `root`, in rank order; `nil` on the other ranks.
    public func gather(_ values: [Float], to root: Int) throws -> [[Float]]? {
        guard let parts = try values.withUnsafeBytes({ try gather($0, to: root) }) else { return nil }
        return parts.map { bytes in
            [Float](unsafeUninitializedCapacity: bytes.count / MemoryLayout<Float>.size) { buffer, count in
                count = buffer.count
                bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            }
        }
    }
}

/// Part `part` of `count` items split into `parts` contiguous ranges: `[part·count/parts, (part+1)·count/parts)`.
///
/// The ranges tile `0 ..< count` in order and their sizes differ by at most one, so a batch of B streams over
/// N ranks gives rank r the very streams that positions r·B/N … of a single process would hold. When
/// `count < parts` some ranges are empty; callers that cannot work with nothing must refuse that case.
/// - Precondition: `count >= 0` and `0 <= part < parts`.
public func evenShare(of count: Int, part: Int, parts: Int) -> Range<Int> {
    precondition(
        count >= 0 && parts > 0 && (0..<parts).contains(part),
        "evenShare: part \(part) of \(parts) parts of \(count) items")
    // Int arithmetic: count * parts stays far below Int.max for any count of streams or bytes we split.
    return (part * count / parts)..<((part + 1) * count / parts)
}

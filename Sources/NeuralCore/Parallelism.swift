// How many threads the numeric code uses, and how a block of work is split over them (the
// spinning team, or Dispatch).
import Atomics
import Dispatch
import Foundation

/// How many threads the numeric code uses. BLAS itself runs single-threaded; `gemm` splits
/// large products into this many blocks and runs them concurrently.
public enum Parallelism {
    @usableFromInline nonisolated(unsafe) static var threads = 1
    /// Products smaller than this many multiply-adds run on one thread.
    @usableFromInline static let minimumWork = 1 << 20
    /// Element-wise work smaller than this many elements runs on the caller alone.
    @usableFromInline nonisolated(unsafe) static var minimumRowBlockElements = 4096
    /// Matrix–vector products smaller than this many multiply-adds run on one thread.
    @usableFromInline static let minimumVectorWork = 1 << 18

    /// Sets the thread count (≥ 1) for all numeric work.
    public static func set(threads n: Int) {
        precondition(n >= 1, "thread count must be at least 1, got \(n)")
        threads = n
        BLASThreads.set(1)
        // Spinning members need a core each; beyond the cores, Dispatch shares them fairly.
        let size = n > 1 && n <= ProcessInfo.processInfo.activeProcessorCount ? n : 1
        if (team?.size ?? 1) != size {
            team?.shutdown()
            team = size > 1 ? SpinTeam(size: size) : nil
        }
    }

    /// Spinning threads for the split products (Dispatch wakes a sleeping thread per product,
    /// which costs as much as a per-step product of an RNN).
    @usableFromInline nonisolated(unsafe) static var team: SpinTeam? = nil
    @usableFromInline static let teamBusy = ManagedAtomic<Bool>(false)
    /// The one job the team runs for products (kept alive: members may still hold it briefly).
    @usableFromInline nonisolated(unsafe) static let blockJob = BlockJob()

    /// Runs `body` over `0..<rows` cut into one block of rows per thread, on the team (or all at
    /// once on the caller when there is no team, it is busy, or `rows × width` is under
    /// `minimumRowBlockElements`). For element-wise kernels whose rows are independent.
    @inlinable
    public static func forRowBlocks(_ rows: Int, width: Int, _ body: (Range<Int>) -> Void) {
        let parts = team?.size ?? 1
        if parts > 1 && rows >= parts && rows * width >= minimumRowBlockElements {
            let chunk = (rows + parts - 1) / parts
            let ran = runOnTeam { rank in
                let lo = min(rows, rank * chunk), hi = min(rows, lo + chunk)
                if lo < hi { body(lo..<hi) }
            }
            if ran { return }
        }
        body(0..<rows)
    }

    /// Runs `block(i)` for `i` in `0..<pieces` concurrently: on the team when there is one piece
    /// per member and the team is free, else through Dispatch.
    @usableFromInline
    static func run(pieces: Int, _ block: @Sendable (Int) -> Void) {
        if pieces == threads, runOnTeam(block) { return }
        DispatchQueue.concurrentPerform(iterations: pieces, execute: block)
    }

    /// Runs `block(rank)` on every member of the team; false (nothing run) when there is no
    /// team or it is busy (a product started from another thread).
    @usableFromInline
    static func runOnTeam(_ block: (Int) -> Void) -> Bool {
        guard let team, teamBusy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        withoutActuallyEscaping(block) { body in
            blockJob.body = body
            team.run(blockJob)
            blockJob.body = nil
        }
        teamBusy.store(false, ordering: .releasing)
        return true
    }

    /// The thread count in use.
    public static var count: Int { threads }
}

/// A closure as a `TeamJob` (set for the duration of one `SpinTeam.run`).
@usableFromInline
final class BlockJob: TeamJob {
    @usableFromInline var body: ((Int) -> Void)? = nil
    @usableFromInline init() {}
    @usableFromInline func run(rank: Int) { body!(rank) }
}

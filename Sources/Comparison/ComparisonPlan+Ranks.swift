import Communication
import Foundation
import Models

extension ComparisonPlan {
    /// Runs this process's share of the plan and returns every run on rank 0 (nil on the other ranks).
    ///
    /// Under `mpirun` every rank prepares the same plan and runs its share of the runs (round-robin,
    /// `share(rank:of:)`); rank 0 gathers them (`RankRuns`) in the order one process runs them.
    /// With one process this is `run(runIndices, …)`.
    ///
    /// - Parameters:
    ///   - describing: the words of an error that stops a rank's runs, for rank 0 to report.
    ///   - onProgress, onRunFinished, shouldStop: as for `run(_:onProgress:onRunFinished:shouldStop:)`.
    /// - Throws: with one process, what stopped a run; with several, `ComparisonError.rankFailed` (on
    ///   rank 0) for the first rank that failed, after every rank joined the gather.
    public func run(
        on world: any Communicator, describing: (any Error) -> String = { "\($0)" },
        onProgress: (CellKind, UInt64, Int, Double, Double) -> Void,
        onRunFinished: (ComparisonRun) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) throws -> [ComparisonRun]? {
        var failure: String? = nil
        var mine: [(index: Int, run: ComparisonRun)] = []
        do {
            mine = try run(
                Self.share(rank: world.rank, of: world.size, runs: runCount), onProgress: onProgress,
                onRunFinished: onRunFinished, shouldStop: shouldStop)
        } catch let error where world.size > 1 {
            // Still join the gather, so that no rank waits for this one; rank 0 reports it.
            failure = describing(error)
        }
        return try RankRuns.gather(mine, failure: failure, world: world)
    }
}

/// Thrown on the ranks of a data-parallel job that did nothing wrong when another rank met an error
/// they cannot see (rank 0 could not lock or write the run directory): that rank reports its error and
/// ends the job (`Communicator.abort`); these only stop without a word of their own.
public struct RankFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "another rank of this job failed" }
}

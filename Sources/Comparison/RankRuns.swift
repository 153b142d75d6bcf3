// The runs of `charnn compare` done by each rank, gathered on rank 0 in run order.
import Communication
import Foundation

/// What one rank sends rank 0: its runs with their indices, or the error that stopped it.
public struct RankRuns: Codable, Sendable {
    struct Indexed: Codable {
        var index: Int
        var run: ComparisonRun
    }
    var runs: [Indexed]
    var failure: String?

    /// Every rank's runs on rank 0, in run order (the order of one process); nil on the other ranks.
    ///
    /// The runs travel as JSON: Swift writes each Double in the shortest form that reads back to the
    /// same bits, so the numbers rank 0 assembles are exactly those the ranks computed.
    /// - Parameter failure: what stopped this rank's runs (its error's message), nil when none did.
    /// - Throws: on rank 0, the first rank's failure (`ComparisonError.rankFailed`), results that cannot
    ///   be read (`.unreadableResults`), or a communication error.
    public static func gather(
        _ mine: [(index: Int, run: ComparisonRun)], failure: String?,
        world: any Communicator
    ) throws -> [ComparisonRun]? {
        if world.size == 1 {
            if let failure { throw ComparisonError.rankFailed(rank: 0, ranks: 1, message: failure) }
            return mine.map { $0.run }
        }
        let payload = RankRuns(runs: mine.map { Indexed(index: $0.index, run: $0.run) }, failure: failure)
        let bytes = Array(try encoder().encode(payload))
        guard let parts = try world.gather(bytes, to: 0) else { return nil }
        var all: [Indexed] = []
        for (rank, part) in parts.enumerated() {
            let received: RankRuns
            do { received = try decoder().decode(RankRuns.self, from: Data(part)) } catch {
                throw ComparisonError.unreadableResults(rank: rank, reason: "\(error)")
            }
            if let failure = received.failure {
                throw ComparisonError.rankFailed(rank: rank, ranks: world.size, message: failure)
            }
            all += received.runs
        }
        return all.sorted { $0.index < $1.index }.map { $0.run }
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf",
            nan: "nan")
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf",
            nan: "nan")
        return d
    }
}

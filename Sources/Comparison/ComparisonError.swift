import Foundation
import Models

/// Why a comparison cannot be made. The cases carry the facts; the description says them in
/// the settings' words, and the executable's `describe()` names its flags instead.
public enum ComparisonError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The validation part holds fewer than 2 units: no prediction to score, every loss would be NaN.
    case validationTooSmall(path: String, units: Int)
    /// Under `match: params`, no hidden size gives `cell` within 2% of the first cell's
    /// `parameters`; `closestHidden` comes nearest, `relativeGap` (0.031 = 3.1%) off.
    case cannotMatchParameters(cell: CellKind, parameters: Int, closestHidden: Int, relativeGap: Double)
    /// Rank `rank` of `ranks` (`mpirun`) stopped with `message` (its error, as the executable worded it).
    case rankFailed(rank: Int, ranks: Int, message: String)
    /// Rank `rank` sent results rank 0 cannot decode.
    case unreadableResults(rank: Int, reason: String)

    /// The largest relative gap in parameter count that `match: params` accepts.
    public static let parameterTolerance = 0.02

    public var description: String {
        switch self {
        case .validationTooSmall: return facts + "; use a larger validation fraction or a longer text"
        case .cannotMatchParameters:
            return facts + "; compare at equal hidden sizes, or from a larger hidden size"
        case .rankFailed, .unreadableResults: return facts
        }
    }

    /// The description without its advice (the executable adds its own, naming flags).
    public var facts: String {
        switch self {
        case .validationTooSmall(let path, let units):
            return "\(path): the validation part has \(units) unit\(units == 1 ? "" : "s"), too few to score "
                + "(a comparison needs at least 2)"
        case .cannotMatchParameters(let cell, let parameters, let closest, let gap):
            return "cannot match \(cell.rawValue) to \(parameters) parameters within "
                + "\(Int(Self.parameterTolerance * 100))% (closest: hidden \(closest), "
                + "\(String(format: "%.1f", gap * 100))% off)"
        case .rankFailed(let rank, let ranks, let message):
            return ranks > 1 ? "\(message) (rank \(rank) of \(ranks))" : message
        case .unreadableResults(let rank, let reason): return "rank \(rank) sent unreadable results: \(reason)"
        }
    }
}

import Testing
import XCTest

@testable import Models
@testable import NeuralCore

/// Every cell × {plain, without the layer-0 input table, with a dropout mask}, and SIMD full lanes.
/// Serialized: the checks read `Parallelism`'s global thread count, which the team test sets.
@Suite(.serialized) struct GradientChecks {
    enum Variant: String, CaseIterable, Sendable { case plain, withoutInputTable, dropoutMask }

    @Test(arguments: CellKind.allCases, Variant.allCases)
    func gradients(cell: CellKind, variant: Variant) throws {
        // Without the table, LSTM and GRU also carry a dropout mask (as before the parameterization).
        let dropout: Float =
            switch variant {
            case .plain: 0
            case .withoutInputTable: cell == .lstm || cell == .gru ? 0.3 : 0
            case .dropoutMask: 0.3
            }
        try GradientCheck.check(cell, dropout: dropout, table: variant != .withoutInputTable) { Issue.record("\($0)") }
    }

    /// Hidden size 16 exercises the full 8-lane SIMD path (10 exercises the partial tail).
    @Test(arguments: [CellKind.lstm, .gru])
    func fullLanes(cell: CellKind) throws {
        try GradientCheck.check(cell, dropout: 0, hidden: 16) { Issue.record("\($0)") }
    }
}

import Checkpointing
import Foundation

enum CharModelTestSupport {
    /// The shipped checkpoint, loaded without the facade (for the reference computations).
    static func checkpoint() throws -> Checkpoint { try Checkpoint.load(shippedCheckpoint, optimizerState: false) }
}

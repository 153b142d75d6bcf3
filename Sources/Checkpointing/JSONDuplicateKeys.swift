import Foundation
import JSONScan

/// Finds a key that appears twice in one JSON object of a checkpoint file (JSONScan's strict
/// parser; a file that is not JSON is left to the decoder, which names the problem).
///
/// - Returns: the dotted path of the first duplicate ("training.batch"), or nil.
func duplicateJSONKey(in data: Data) -> String? {
    firstDuplicateJSONKey(in: [UInt8](data))
}

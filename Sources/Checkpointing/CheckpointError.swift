import FileIO
import Foundation
import JSONScan

/// A checkpoint file or directory that cannot be read or written: the path and what is wrong
/// with it, as a fact. Where a setting would get past it, `remedy` says which, and the
/// executable's `describe()` names the flag.
public struct CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var remedy: Remedy?

    /// A setting that gets past the error.
    public enum Remedy: Sendable, Equatable {
        /// Writing the run somewhere else (or moving the path away).
        case anotherRunDirectory
    }

    public init(path: String, reason: String, remedy: Remedy? = nil) {
        self.path = path
        self.reason = reason
        self.remedy = remedy
    }

    /// "checkpoint PATH: REASON", without the remedy.
    public var facts: String { "checkpoint \(quotedPath(path)): \(reason)" }

    public var description: String {
        switch remedy {
        case nil: return facts
        case .anotherRunDirectory: return facts + ": move it away or write the run to another directory"
        }
    }
}

/// Why `data` did not decode as `type`: where (line and column) and what (the field, its value and
/// what it must be), from JSONScan; the decoder's own words where nothing more is known.
package func decodingProblem<T: Decodable>(_ error: Error, in data: Data, decoding type: T.Type) -> String {
    let explained = explainRefusedJSON([UInt8](data), error: error) { variant in
        (try? JSONDecoder().decode(T.self, from: Data(variant))) != nil
    }
    return explained ?? decodingProblem(error)
}

/// A short description of a decoding error (key path and problem), for messages. The trainer
/// uses it for its own documents (the `training` section, trainer_state.json).
package func decodingProblem(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
    case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
        return "wrong type at '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))'"
    case DecodingError.dataCorrupted(let ctx):
        let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? "not valid JSON" : "invalid value at '\(path)': \(ctx.debugDescription)"
    default:
        // Foundation's file errors: the POSIX reason ("Is a directory"), not `Code=256 "(null)"`;
        // any other error in its own words.
        return fileErrorReason(error)
    }
}

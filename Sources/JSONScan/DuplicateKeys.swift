// Foundation's JSONDecoder keeps one of the values of a key written twice, silently, so a damaged
// or hand-edited file ("batch": 50, …, "batch": 0) would load with whichever it picks. The
// vocabulary and the checkpoint's JSON files are checked with this first, and refused.

extension JSONValue {
    /// The path of the first key that appears twice in one object, in document order (an
    /// object's own keys before those nested in its values): `["training", "batch"]`, with
    /// array elements as `"[i]"`. Nil when every object's keys are distinct.
    public var firstDuplicateKeyPath: [String]? {
        switch self {
        case .object(let members):
            var seen = Set<String>()
            for (key, _) in members where !seen.insert(key).inserted { return [key] }
            for (key, value) in members {
                if let path = value.firstDuplicateKeyPath { return [key] + path }
            }
            return nil
        case .array(let elements):
            for (i, value) in elements.enumerated() {
                if let path = value.firstDuplicateKeyPath { return ["[\(i)]"] + path }
            }
            return nil
        case .string, .number, .bool, .null:
            return nil
        }
    }
}

/// The dotted path ("training.batch", "history.[3].loss") of the first key that appears twice in
/// one object of the JSON document `bytes`. Keys are compared decoded, so "a" and "\u0061" are
/// the same key.
///
/// Nil when no key repeats, and also when the bytes are not JSON this parser reads (malformed,
/// truncated, or nested deeper than `maximumDepth`): the caller's decoder then says what is wrong
/// in its own words; only duplicates, which the decoder accepts silently, are this check's.
public func firstDuplicateJSONKey(in bytes: [UInt8], maximumDepth: Int = 128) -> String? {
    var parser = JSONParser(bytes, maximumDepth: maximumDepth)
    guard let document = try? parser.parseDocument() else { return nil }
    return document.firstDuplicateKeyPath?.joined(separator: ".")
}

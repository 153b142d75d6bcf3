// The JSON values JSONParser reads: objects keep their members in order, duplicates included,
// and numbers say how they were written (an integer literal, and its exact value when it fits).

/// A parsed JSON value; objects keep their members in order, duplicates included.
public enum JSONValue: Sendable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(JSONNumber)
    case bool(Bool)
    case null

    /// A short name of the value's kind for error messages.
    public var kindName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// A JSON number as written.
public struct JSONNumber: Sendable, Equatable {
    /// The value when the literal is an integer (no fraction, no exponent) that fits in `Int`.
    public var integer: Int?
    /// The literal is an integer (no fraction or exponent), whether or not it fits.
    public var isIntegerLiteral: Bool
    /// The literal starts with `-`.
    public var isNegative: Bool

    public init(integer: Int?, isIntegerLiteral: Bool, isNegative: Bool) {
        self.integer = integer
        self.isIntegerLiteral = isIntegerLiteral
        self.isNegative = isNegative
    }
}

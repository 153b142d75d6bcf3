import Foundation

/// A JSON value as a request carries it, read with Foundation's decoder but keeping booleans,
/// integers, other numbers and strings apart, so each field's check can name what it got.
enum JSONBody: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONBody])
    case object([String: JSONBody])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONBody].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONBody].self))
        }
    }

    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Parses a request body that must be one JSON object.
    static func object(from data: Data) throws(APIError) -> Fields {
        let value: JSONBody
        do { value = try JSONDecoder().decode(JSONBody.self, from: data) } catch {
            throw .invalidRequest("the body is not valid JSON: \(Self.reason(error))", param: nil)
        }
        guard case .object(let members) = value else {
            throw .invalidRequest("the body must be a JSON object, got \(value.kindName)", param: nil)
        }
        return Fields(members)
    }

    /// The decoder's own words, without Swift's type names.
    static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let under = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return under ?? context.debugDescription
        }
        return "\(error)"
    }
}

/// The members of a request object, read field by field with errors that name the field.
struct Fields {
    let members: [String: JSONBody]
    init(_ members: [String: JSONBody]) { self.members = members }

    func has(_ name: String) -> Bool {
        if let v = members[name], v != .null { return true }
        return false
    }

    func bad(_ name: String, _ why: String) -> APIError { .invalidRequest("'\(name)' \(why)", param: name) }

    func string(_ name: String) throws(APIError) -> String? {
        switch members[name] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let v?: throw bad(name, "must be a string, got \(v.kindName)")
        }
    }

    func bool(_ name: String) throws(APIError) -> Bool? {
        switch members[name] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let v?: throw bad(name, "must be a boolean, got \(v.kindName)")
        }
    }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64? {
        switch members[name] {
        case nil, .null?: return nil
        case .integer(let i)?:
            guard range.contains(i) else { throw bad(name, "must be in \(range.lowerBound)...\(range.upperBound), got \(i)") }
            return i
        case .number(let d)? where d == d.rounded() && abs(d) < 1e18:
            let i = Int64(d)
            guard range.contains(i) else { throw bad(name, "must be in \(range.lowerBound)...\(range.upperBound), got \(i)") }
            return i
        case let v?: throw bad(name, "must be an integer, got \(v.kindName)")
        }
    }

    func number(_ name: String, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        let d: Double
        switch members[name] {
        case nil, .null?: return nil
        case .integer(let i)?: d = Double(i)
        case .number(let x)?: d = x
        case let v?: throw bad(name, "must be a number, got \(v.kindName)")
        }
        guard d.isFinite, range.contains(d) else {
            throw bad(name, "must be in \(range.lowerBound)...\(range.upperBound), got \(d)")
        }
        return d
    }

    /// A string or an array of strings (OpenAI's `prompt` and `stop`).
    func strings(_ name: String, maxCount: Int) throws(APIError) -> [String]? {
        switch members[name] {
        case nil, .null?: return nil
        case .string(let s)?: return [s]
        case .array(let items)?:
            guard items.count <= maxCount else { throw bad(name, "may hold at most \(maxCount) strings, got \(items.count)") }
            var out: [String] = []
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item else {
                    throw bad(name, "must be a string or an array of strings; item \(i) is \(item.kindName)")
                }
                out.append(s)
            }
            return out
        case let v?: throw bad(name, "must be a string or an array of strings, got \(v.kindName)")
        }
    }
}

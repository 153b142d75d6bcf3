import FileIO
import JSONScan

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `vocab.json`, format 1:
///
/// ```json
/// {
///   "format": 1,
///   "unit": "grapheme",
///   "normalization": "NFC",
///   "tokens": ["\n", " ", "!", "A", "a", "é"]
/// }
/// ```
///
/// - `unit`: `"grapheme"`, `"scalar"` or `"byte"`.
/// - `normalization`: `"NFC"` or `"none"`.
/// - `tokens`: the token strings in id order. For the byte unit, byte `b` is
///   the one-scalar string U+00bb (its Latin-1 reading), so byte 0xC3 is `"Ã"`.
///
/// The writer escapes control characters (C0, DEL, C1), format characters
/// (ZWJ, BOM, ...) and line/paragraph separators as `\uXXXX` (a surrogate pair
/// above U+FFFF) and writes every other character as UTF-8. The reader takes any valid JSON of this
/// shape; `format` may be left out (meaning 1), other keys are ignored. It refuses what the writer
/// never writes: a key given twice, and tokens that break `checkVocabularyTokens` (not one unit,
/// not NFC under NFC, not sorted by code point, repeated).
extension Vocabulary {
    /// The current `vocab.json` format.
    public static let jsonFormat = 1

    /// `vocab.json` bytes for this vocabulary (UTF-8, keys in the order above).
    public func jsonData() throws -> Data {
        var out = "{\n  \"format\": \(Vocabulary.jsonFormat),\n"
        out += "  \"unit\": \(jsonString(unit.rawValue)),\n"
        out += "  \"normalization\": \(jsonString(normalization.rawValue)),\n"
        out += "  \"tokens\": ["
        out += tokens.map(jsonString).joined(separator: ", ")
        out += "]\n}\n"
        return Data(out.utf8)
    }

    /// Reads `vocab.json` bytes.
    ///
    /// - Throws: `TokenizationError.invalidVocabulary` (with `path: nil`) naming
    ///   what is wrong: not JSON, a missing key, a value of the wrong type, an
    ///   unknown unit, normalization or format, a duplicate key, or tokens that are
    ///   not one unit each, not NFC under NFC, unsorted or repeated (named as `tokens[i]`).
    public init(jsonData: Data) throws {
        if let key = firstDuplicateJSONKey(in: Array(jsonData)) {
            throw TokenizationError.invalidVocabulary(path: nil, reason: "the key \"\(key)\" appears twice")
        }
        let file: VocabularyFile
        do {
            file = try JSONDecoder().decode(VocabularyFile.self, from: jsonData)
        } catch let error as DecodingError {
            let explained = explainRefusedJSON(Array(jsonData), error: error) { variant in
                (try? JSONDecoder().decode(VocabularyFile.self, from: Data(variant))) != nil
            }
            var reason = VocabularyFile.explain(error)
            if let explained {
                if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                    reason = explained  // syntax, or a number out of range: JSONScan names it
                } else if let colon = explained.range(of: ": ") {
                    reason += " (\(explained[..<colon.lowerBound]))"  // the old words, then the place
                }
            }
            throw TokenizationError.invalidVocabulary(path: nil, reason: reason)
        } catch {
            throw TokenizationError.invalidVocabulary(path: nil, reason: "not valid JSON (\(error))")
        }
        let format = file.format ?? Vocabulary.jsonFormat
        guard format == Vocabulary.jsonFormat else {
            throw TokenizationError.invalidVocabulary(
                path: nil, reason: "unsupported format \(format) (this version reads format \(Vocabulary.jsonFormat))")
        }
        guard let unit = TextUnit(rawValue: file.unit) else {
            throw TokenizationError.invalidVocabulary(
                path: nil, reason: "unknown unit \"\(file.unit)\" (expected \"grapheme\", \"scalar\" or \"byte\")")
        }
        guard let normalization = Normalization(rawValue: file.normalization) else {
            throw TokenizationError.invalidVocabulary(
                path: nil, reason: "unknown normalization \"\(file.normalization)\" (expected \"NFC\" or \"none\")")
        }
        try checkVocabularyTokens(file.tokens, unit: unit, normalization: normalization)
        try self.init(unit: unit, normalization: normalization, tokens: file.tokens)
    }

    /// Writes `vocab.json` to `path` durably (FileIO: a temporary file in the same folder, fsync,
    /// rename, the folder fsynced).
    ///
    /// - Throws: `TokenizationError.writeFailed`.
    public func save(to path: String) throws {
        let bytes = Array(try jsonData())
        do throws(FileWriteError) { try DurableFile.write(bytes, to: path) } catch {
            throw TokenizationError.writeFailed(path: path, reason: error.reason)
        }
    }

    /// The largest `vocab.json` read (64 MiB: a million long tokens fit many times over): a
    /// bound, so that a file that is a link to `/dev/zero` is refused instead of filling memory.
    public static let maximumJSONBytes = 1 << 26

    /// Reads `vocab.json` from `path`.
    ///
    /// - Throws: `TokenizationError.fileNotFound`, `.isDirectory`, `.unreadable`,
    ///   `.fileTooLarge`, or `.invalidVocabulary` with the path.
    public static func load(from path: String) throws -> Vocabulary {
        let bytes = try openInput(path).readWhole(limit: maximumJSONBytes)
        do {
            return try Vocabulary(jsonData: Data(bytes))
        } catch TokenizationError.invalidVocabulary(_, let reason) {
            throw TokenizationError.invalidVocabulary(path: path, reason: reason)
        }
    }
}

/// The JSON shape of `vocab.json`.
private struct VocabularyFile: Decodable {
    let format: Int?
    let unit: String
    let normalization: String
    let tokens: [String]

    /// A one-line reason for a decoding error.
    static func explain(_ error: DecodingError) -> String {
        func expected(_ path: [CodingKey]) -> String {
            guard let key = path.first?.stringValue else { return "the top level must be a JSON object" }
            let where_ = path.count > 1 ? " (at \(render(path)))" : ""
            switch key {
            case "format": return "\"format\" must be an integer" + where_
            case "tokens": return "\"tokens\" must be an array of strings" + where_
            default: return "\"\(key)\" must be a string" + where_
            }
        }
        switch error {
        case .keyNotFound(let key, _):
            return "missing key \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return expected(context.codingPath)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let underlying = context.underlyingError.map { " (\(String(describing: $0)))" } ?? ""
                return "not valid JSON\(underlying)"
            }
            return expected(context.codingPath)
        @unknown default:
            return "not a vocabulary (\(error))"
        }
    }

    private static func render(_ path: [CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }
}

/// Format characters (zero-width joiners, marks, the BOM U+FEFF) and the line
/// and paragraph separators: written as escapes so that they survive editors
/// and readers that drop them (Foundation's JSONSerialization on Linux drops a raw U+FEFF).
private func isInvisibleFormat(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .format, .lineSeparator, .paragraphSeparator: return true
    default: return false
    }
}

/// A JSON string literal: quotes, backslashes, control and format characters escaped, the rest as is.
private func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F) || isInvisibleFormat(scalar) {
                for unit in String(scalar).utf16 { out += "\\u" + hex(UInt32(unit), width: 4) }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

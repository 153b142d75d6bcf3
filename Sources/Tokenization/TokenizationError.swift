import FileIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A unit of text that a vocabulary does not contain, with where it first occurs.
public struct UnknownCharacter: Sendable, Equatable, CustomStringConvertible {
    /// The unit as text (for the byte unit: the Latin-1 scalar of the byte).
    public let token: String
    /// The unit kind of the vocabulary that did not know it.
    public let unit: TextUnit
    /// Line of the first occurrence, from 1 (lines end with LF).
    public let line: Int
    /// Column of the first occurrence, from 1, counted in units.
    public let column: Int
    /// Index of the first occurrence among all units of the (normalized) input, from 0.
    public let index: Int
    /// How many times the unit occurs in the input (1 for `.error`, which stops at the first).
    public internal(set) var occurrences: Int

    public init(token: String, unit: TextUnit, line: Int, column: Int, index: Int, occurrences: Int = 1) {
        self.token = token
        self.unit = unit
        self.line = line
        self.column = column
        self.index = index
        self.occurrences = occurrences
    }

    /// The code points, "U+0065 U+0301"; for the byte unit the byte, "0xC3".
    public var codePoints: String {
        if unit == .byte, let scalar = token.unicodeScalars.first {
            return "byte 0x" + hex(scalar.value, width: 2)
        }
        return token.unicodeScalars.map { "U+" + hex($0.value, width: 4) }.joined(separator: " ")
    }

    /// The unit for a message: `"é" (U+00E9 LATIN SMALL LETTER E WITH ACUTE)`,
    /// or only the code points for invisible and control characters.
    public var displayName: String {
        let scalars = Array(token.unicodeScalars)
        var name = codePoints
        if unit != .byte, scalars.count == 1, let scalarName = scalars[0].properties.name {
            name += " " + scalarName
        }
        if unit == .byte && (scalars.first?.value ?? 0) >= 0x80 { return name }
        if scalars.allSatisfy(isVisible) { return "\"\(token)\" (\(name))" }
        return name
    }

    public var description: String {
        var text = "\(displayName) at line \(line), column \(column) (\(unitNoun) \(index))"
        if occurrences > 1 { text += ", \(occurrences) times" }
        return text
    }

    private var unitNoun: String {
        switch unit {
        case .grapheme: return "character"
        case .scalar: return "scalar"
        case .byte: return "byte"
        }
    }
}

/// Whether a scalar shows as a glyph of its own (letters, marks on a base, digits,
/// punctuation, symbols, emoji), as opposed to controls, format characters,
/// separators and white space, which messages show as code points only.
private func isVisible(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned,
        .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default:
        return true
    }
}

/// A byte count for messages: "512 bytes", "3.2 MiB", "12.0 GiB".
func formatBytes(_ count: Int) -> String {
    if count < 1024 { return "\(count) bytes" }
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(count) / 1024
    var k = 0
    while value >= 1024 && k < units.count - 1 { value /= 1024; k += 1 }
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[k])"
}

func hex(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// Bad input met while reading text or vocabularies. Every description names
/// the file (or says the text came from elsewhere) and the position, in facts and settings
/// ("the scalar unit"); the executable's `describe()` names its flags instead.
public enum TokenizationError: Error, LocalizedError, Equatable {
    /// No file at this path.
    case fileNotFound(path: String)
    /// The path names a directory.
    case isDirectory(path: String)
    /// The file exists but cannot be read (permissions, I/O error).
    case unreadable(path: String, reason: String)
    /// The file holds no bytes.
    case emptyFile(path: String)
    /// The bytes at `byteOffset` (from 0) are not UTF-8; `line` counts from 1.
    case invalidUTF8(path: String, byteOffset: Int, line: Int, byte: UInt8)
    /// A NUL byte at `byteOffset`: a binary file, not text.
    case binaryContent(path: String, byteOffset: Int, line: Int)
    /// A run of more than `limit` bytes with no place to cut it into chunks
    /// (no line feed, no ASCII or CJK text) starting at `byteOffset`.
    case lineTooLong(path: String, byteOffset: Int, limit: Int)
    /// The text has more distinct units than the vocabulary may hold.
    case vocabularyTooLarge(path: String, unit: TextUnit, distinct: Int, limit: Int)
    /// A unit the vocabulary does not know, in a file (`path`) or in a text (`path == nil`).
    case unknownCharacter(UnknownCharacter, path: String?)
    /// The replacement text of `UnknownPolicy.replace` is itself not encodable.
    case invalidReplacement(String, reason: String)
    /// A vocabulary (from `vocab.json` at `path`, or built in code when `path == nil`) is not valid.
    case invalidVocabulary(path: String?, reason: String)
    /// Writing a file failed.
    case writeFailed(path: String, reason: String)
    /// A small file (vocab.json) is larger than `limit` bytes: damaged, or a device or pipe that never ends.
    case fileTooLarge(path: String, limit: Int)
    /// The ids of a corpus would need more than the `budget` bytes of memory
    /// they may take (`CorpusEncoder.bytesPerUnitEstimate` per byte of input).
    /// `bytesRead`: the size of a regular file, known up front; for a pipe or a
    /// device (`endless`), what was read before stopping.
    case corpusTooLarge(path: String, bytesRead: Int, endless: Bool, budget: Int)
    /// The system refused about `bytes` of memory for `what` ("the ids of its first 1.0 GiB"): a
    /// limit the budget did not foresee (another thread's allocations, a limit that changed).
    case outOfMemory(path: String, bytes: Int, what: String)

    /// The description without the advice that names a setting (the executable words its own,
    /// with flags).
    public var facts: String {
        switch self {
        case .vocabularyTooLarge(let path, let unit, let distinct, let limit):
            return
                "\(quotedPath(path)): found \(distinct) distinct \(unit.pluralName), more than the vocabulary limit of \(limit)"
        default:
            return errorDescription ?? "\(self)"
        }
    }

    public var errorDescription: String? {
        switch self {
        case .fileNotFound(let path):
            if path.isEmpty { return "the file name is empty ('')" }
            return "\(quotedPath(path)): no such file"
        case .isDirectory(let path):
            return "\(quotedPath(path)): is a directory, not a text file"
        case .unreadable(let path, let reason):
            return "\(quotedPath(path)): cannot read the file: \(reason)"
        case .emptyFile(let path):
            return "\(quotedPath(path)): the file is empty"
        case .invalidUTF8(let path, let offset, let line, let byte):
            return
                "\(quotedPath(path)): invalid UTF-8 at byte offset \(offset) (line \(line)): byte 0x\(hex(UInt32(byte), width: 2)) "
                + "does not start a well-formed sequence; the file must be UTF-8 text"
        case .binaryContent(let path, let offset, let line):
            return
                "\(quotedPath(path)): binary content: NUL byte at offset \(offset) (line \(line)); the file must be UTF-8 text"
        case .lineTooLong(let path, let offset, let limit):
            return "\(quotedPath(path)): more than \(limit) bytes from byte offset \(offset) without a line break "
                + "or any other place to cut the text; break the text into lines"
        case .vocabularyTooLarge(_, let unit, _, _):
            let finer = unit.finerUnits
            if finer.isEmpty { return facts + "; raise the vocabulary limit" }
            return facts + "; use the " + finer.map(\.rawValue).joined(separator: " or the ") + " unit"
        case .unknownCharacter(let character, let path):
            let place = path.map { "\(quotedPath($0)): " } ?? ""
            return "\(place)unknown character \(character): it is not in the model's vocabulary"
        case .invalidReplacement(let text, let reason):
            return "the replacement text \"\(text)\" cannot be encoded: \(reason)"
        case .invalidVocabulary(let path, let reason):
            let place = path.map { "\(quotedPath($0)): " } ?? ""
            return "\(place)invalid vocabulary: \(reason)"
        case .writeFailed(let path, let reason):
            return "\(quotedPath(path)): cannot write the file: \(reason)"
        case .fileTooLarge(let path, let limit):
            return
                "\(quotedPath(path)): the file is larger than \(formatBytes(limit)) (the most read for this kind of file); "
                + "is it damaged, or a device or pipe that never ends?"
        case .outOfMemory(let path, let bytes, let what):
            return "\(quotedPath(path)): the system refused about \(formatBytes(bytes)) of memory for \(what) "
                + "(a memory limit: ulimit -v, a container or job limit); use a smaller corpus or raise the limit"
        case .corpusTooLarge(let path, let bytesRead, let endless, let budget):
            let needed = formatBytes(
                bytesRead.multipliedReportingOverflow(by: CorpusEncoder.bytesPerUnitEstimate).partialValue)
            if endless {
                return
                    "\(quotedPath(path)): the input did not end after \(formatBytes(bytesRead)): its ids would need more than "
                    + "\(needed), more than the \(formatBytes(budget)) of memory available for them; "
                    + "is it a device or a pipe that never ends?"
            }
            return "\(quotedPath(path)): the corpus is \(formatBytes(bytesRead)); its ids would need up to \(needed), "
                + "more than the \(formatBytes(budget)) of memory available for them; use a smaller corpus"
        }
    }
}

extension TextUnit {
    /// The units that cut text finer than this one, so that a text has fewer distinct ones
    /// (what a vocabulary too large for this unit can switch to), coarsest first.
    public var finerUnits: [TextUnit] {
        switch self {
        case .grapheme: return [.scalar, .byte]
        case .scalar: return [.byte]
        case .byte: return []
        }
    }
}

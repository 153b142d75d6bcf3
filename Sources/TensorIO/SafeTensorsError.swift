import FileIO
import Foundation

/// Why a safetensors file or a set of tensors could not be read or written.
///
/// Every malformed, truncated or hostile input maps to one of these cases; the
/// reader never traps or reads out of bounds. ``errorDescription`` is a
/// one-line message naming the problem and, where there is one, the tensor.
public enum SafeTensorsError: Error, LocalizedError, Equatable, Sendable {
    // MARK: Framing

    /// The input is shorter than the 8-byte header length prefix.
    case fileTooShort(byteCount: Int)
    /// The header length prefix is above ``SafeTensors/maximumHeaderLength``.
    case headerTooLarge(headerLength: UInt64)
    /// The header length prefix points past the end of the input.
    case headerExceedsFile(headerLength: UInt64, fileSize: Int)

    // MARK: Header JSON

    /// The header is not valid UTF-8; `offset` counts bytes from the start of the header.
    case headerNotUTF8(offset: Int)
    /// The header is not well-formed JSON; `offset` counts bytes from the start of the header.
    case malformedHeader(offset: Int, reason: String)
    /// The header is JSON, but not an object (or does not begin with `{`).
    case headerNotObject

    // MARK: Tensor entries

    /// The header names the same tensor twice.
    case duplicateTensorName(String)
    /// A tensor's entry is not a JSON object.
    case entryNotObject(tensor: String)
    /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(tensor: String, field: String)
    /// A tensor's entry has the same field twice.
    case duplicateField(tensor: String, field: String)
    /// A field has the wrong JSON type or an unusable value.
    case invalidField(tensor: String, field: String, expected: String)
    /// A dtype this reader does not convert to Float (see ``SafeTensors``).
    case unsupportedDType(tensor: String, dtype: String)
    /// A shape with a negative dimension.
    case negativeDimension(tensor: String, shape: [Int])
    /// A shape whose element count (or byte count) does not fit in `Int`.
    case shapeOverflow(tensor: String)
    /// `data_offsets` with begin > end.
    case dataOffsetsReversed(tensor: String, begin: Int, end: Int)
    /// `data_offsets` ending past the end of the data section.
    case dataOffsetsOutOfRange(tensor: String, end: Int, dataSize: Int)
    /// `end − begin` differs from element count × element size.
    case dataSizeMismatch(tensor: String, expectedBytes: Int, actualBytes: Int)
    /// Two tensors share bytes of the data section.
    case overlappingTensors(String, String)
    /// Bytes `begin..<end` of the data section belong to no tensor (a hole, or trailing bytes).
    case uncoveredData(begin: Int, end: Int)

    // MARK: Metadata

    /// `__metadata__` is not an object of strings; `key` names the first bad entry
    /// (nil when `__metadata__` itself is not an object).
    case invalidMetadata(key: String?)
    /// `__metadata__` has the same key twice (or appears twice).
    case duplicateMetadataKey(String)

    // MARK: Writing

    /// A record whose value count differs from the element count of its shape.
    case valueCountMismatch(tensor: String, shape: [Int], valueCount: Int)
    /// A tensor named `__metadata__`, which the format reserves.
    case reservedName

    // MARK: Files

    /// The file could not be opened or read.
    case cannotRead(path: String, reason: String)
    /// The file could not be created or written.
    case cannotWrite(path: String, reason: String)
    /// A format error found in the file at `path`.
    indirect case inFile(path: String, SafeTensorsError)

    public var errorDescription: String? {
        switch self {
        case .fileTooShort(let n):
            return "safetensors data is \(n) bytes long, shorter than the 8-byte header length"
        case .headerTooLarge(let n):
            return "safetensors header length \(n) exceeds the limit of \(SafeTensors.maximumHeaderLength) bytes"
        case .headerExceedsFile(let n, let size):
            return "safetensors header length \(n) runs past the end of the data (\(size) bytes, truncated?)"
        case .headerNotUTF8(let offset):
            return "safetensors header is not valid UTF-8 (at header byte \(offset))"
        case .malformedHeader(let offset, let reason):
            return
                "safetensors header is not valid JSON at header byte \(offset) (byte \(offset + 8) of the file): \(reason)"
        case .headerNotObject:
            return "safetensors header is not a JSON object"
        case .duplicateTensorName(let name):
            return "safetensors header lists tensor \(quoted(name)) twice"
        case .entryNotObject(let t):
            return "tensor \(quoted(t)): entry is not a JSON object"
        case .missingField(let t, let field):
            return "tensor \(quoted(t)): missing field \"\(field)\""
        case .duplicateField(let t, let field):
            return "tensor \(quoted(t)): field \"\(field)\" appears twice"
        case .invalidField(let t, let field, let expected):
            return "tensor \(quoted(t)): \"\(field)\" must be \(expected)"
        case .unsupportedDType(let t, let dtype):
            return "tensor \(quoted(t)): unsupported dtype \(quoted(dtype)) (supported: F32, F16, BF16, F64)"
        case .negativeDimension(let t, let shape):
            return "tensor \(quoted(t)): shape \(shape) has a negative dimension"
        case .shapeOverflow(let t):
            return "tensor \(quoted(t)): shape is too large (its byte size overflows)"
        case .dataOffsetsReversed(let t, let begin, let end):
            return "tensor \(quoted(t)): data_offsets [\(begin), \(end)] begin after they end"
        case .dataOffsetsOutOfRange(let t, let end, let size):
            return
                "tensor \(quoted(t)): data_offsets end at \(end), past the end of the data section (\(size) bytes, truncated?)"
        case .dataSizeMismatch(let t, let expected, let actual):
            return "tensor \(quoted(t)): data_offsets span \(actual) bytes but dtype and shape need \(expected)"
        case .overlappingTensors(let a, let b):
            return "tensors \(quoted(a)) and \(quoted(b)) overlap in the data section"
        case .uncoveredData(let begin, let end):
            return "bytes \(begin)..<\(end) of the data section belong to no tensor"
        case .invalidMetadata(let key?):
            return "__metadata__ value for key \(quoted(key)) is not a string"
        case .invalidMetadata(nil):
            return "__metadata__ is not a JSON object of strings"
        case .duplicateMetadataKey(let key):
            return "__metadata__ has key \(quoted(key)) twice"
        case .valueCountMismatch(let t, let shape, let count):
            return
                "tensor \(quoted(t)): shape \(shape) needs \(SafeTensors.elementCount(of: shape).map(String.init) ?? "too many") values, got \(count)"
        case .reservedName:
            return "\"__metadata__\" is reserved and cannot name a tensor"
        case .cannotRead(let path, let reason):
            return "\(quotedPath(path)): cannot read: \(reason)"
        case .cannotWrite(let path, let reason):
            return "\(quotedPath(path)): cannot write: \(reason)"
        case .inFile(let path, let inner):
            return "\(quotedPath(path)): \(inner.errorDescription ?? "invalid safetensors file")"
        }
    }
}

/// A name in double quotes with control characters and quotes escaped, so a
/// hostile name cannot break the one-line message.
private func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars.prefix(200) {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            out += "\\u{" + String(scalar.value, radix: 16) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    if s.unicodeScalars.count > 200 { out += "…" }
    return out + "\""
}

import JSONScan

// Header validation: everything about a file is checked here, before any
// tensor data is read. All size arithmetic is checked.

/// Element types the reader converts to Float.
enum DType: String {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"

    var byteSize: Int {
        switch self {
        case .f16, .bf16: return 2
        case .f32: return 4
        case .f64: return 8
        }
    }

    /// Converts `count` little-endian elements; `source.count == count * byteSize` (checked by the caller).
    func floats(from source: UnsafeRawBufferPointer, count: Int) -> [Float] {
        precondition(source.count == count * byteSize, "tensor byte range was validated against its shape")
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            switch self {
            case .f32:
                #if _endian(little)
                if count > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source) }
                #else
                for i in 0..<count {
                    buffer[i] = Float(
                        bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
                #endif
            case .f16:
                for i in 0..<count {
                    buffer[i] = floatFromHalf(
                        UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .bf16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    buffer[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            case .f64:
                for i in 0..<count {
                    buffer[i] = Float(
                        Double(
                            bitPattern: UInt64(
                                littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            }
            initialized = count
        }
    }
}

/// IEEE 754 binary16 → binary32, exact (written out: `Float16` is unavailable on Intel Macs).
func floatFromHalf(_ h: UInt16) -> Float {
    let sign: UInt32 = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa × 2^-24.
        let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000)
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)  // infinity or NaN (payload kept)
    default:
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }
}

/// One validated tensor entry of a header.
struct HeaderEntry {
    var name: String
    var dtype: DType
    var shape: [Int]
    var count: Int
    var begin: Int
    var end: Int
    var headerIndex: Int
}

struct ParsedHeader {
    /// In file order: ascending (begin, end), then header order.
    var entries: [HeaderEntry]
    var metadata: [String: String]
    /// Offset of the data section from the start of the file.
    var dataStart: Int
}

extension SafeTensors {
    static func parseHeader(_ bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) -> ParsedHeader {
        try parseHeader(prefix: bytes, fileSize: bytes.count)
    }

    /// The header's length from a file's first 8 bytes, checked against the limit and the file's size.
    static func headerLength(_ first8: UnsafeRawBufferPointer, fileSize: Int) throws(SafeTensorsError) -> Int {
        guard fileSize >= 8, first8.count >= 8 else { throw .fileTooShort(byteCount: fileSize) }
        var length: UInt64 = 0
        for i in (0..<8).reversed() { length = length << 8 | UInt64(first8[i]) }
        guard length <= UInt64(maximumHeaderLength) else { throw .headerTooLarge(headerLength: length) }
        guard Int(length) <= fileSize - 8 else {  // ≤ 1e8: fits
            throw .headerExceedsFile(headerLength: length, fileSize: fileSize)
        }
        return Int(length)
    }

    /// Validates the header of a file of `fileSize` bytes from its first bytes, `prefix` (the
    /// 8-byte length and the whole header at least; the data section need not be there).
    static func parseHeader(prefix bytes: UnsafeRawBufferPointer, fileSize: Int) throws(SafeTensorsError)
        -> ParsedHeader
    {
        let headerLength = try headerLength(bytes, fileSize: fileSize)
        precondition(bytes.count >= 8 + headerLength, "the prefix must hold the whole header")
        let headerBytes = [UInt8](bytes[8..<(8 + headerLength)])
        let dataStart = 8 + headerLength
        let dataSize = fileSize - dataStart

        try validateUTF8(headerBytes)
        var parser = JSONParser(headerBytes, documentName: "header")
        let root: JSONValue
        do throws(JSONScanError) { root = try parser.parseDocument() } catch {
            throw .malformedHeader(offset: error.offset, reason: error.reason)
        }
        guard case .object(let members) = root else { throw .headerNotObject }
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw .malformedHeader(offset: 0, reason: "the header must begin with '{'")
        }

        var entries: [HeaderEntry] = []
        var metadata: [String: String]? = nil
        var names = Set<String>()
        for (key, value) in members {
            if key == metadataKey {
                if metadata != nil { throw .duplicateMetadataKey(metadataKey) }
                metadata = try parseMetadata(value)
                continue
            }
            guard names.insert(key).inserted else { throw .duplicateTensorName(key) }
            entries.append(try parseEntry(name: key, value, index: entries.count, dataSize: dataSize))
        }

        // The data section must be covered exactly: no overlaps, no holes, no trailing bytes.
        entries.sort { ($0.begin, $0.end, $0.headerIndex) < ($1.begin, $1.end, $1.headerIndex) }
        var cursor = 0
        var lastNonEmpty: String? = nil
        for e in entries {
            if e.begin > cursor { throw .uncoveredData(begin: cursor, end: e.begin) }
            if e.begin < cursor { throw .overlappingTensors(lastNonEmpty ?? "", e.name) }
            if e.end > e.begin { lastNonEmpty = e.name }
            cursor = e.end
        }
        if cursor < dataSize { throw .uncoveredData(begin: cursor, end: dataSize) }
        return ParsedHeader(entries: entries, metadata: metadata ?? [:], dataStart: dataStart)
    }

    private static func validateUTF8(_ bytes: [UInt8]) throws(SafeTensorsError) {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return
            case .error: throw .headerNotUTF8(offset: offset)
            }
        }
    }

    private static func parseMetadata(_ value: JSONValue) throws(SafeTensorsError) -> [String: String] {
        switch value {
        case .null:
            return [:]
        case .object(let members):
            var result: [String: String] = [:]
            for (key, v) in members {
                guard case .string(let s) = v else { throw .invalidMetadata(key: key) }
                guard result.updateValue(s, forKey: key) == nil else { throw .duplicateMetadataKey(key) }
            }
            return result
        default:
            throw .invalidMetadata(key: nil)
        }
    }

    private static func parseEntry(name: String, _ value: JSONValue, index: Int, dataSize: Int) throws(SafeTensorsError)
        -> HeaderEntry
    {
        guard case .object(let fields) = value else { throw .entryNotObject(tensor: name) }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for (field, v) in fields {
            switch field {
            case "dtype":
                if dtypeValue != nil { throw .duplicateField(tensor: name, field: field) }
                dtypeValue = v
            case "shape":
                if shapeValue != nil { throw .duplicateField(tensor: name, field: field) }
                shapeValue = v
            case "data_offsets":
                if offsetsValue != nil { throw .duplicateField(tensor: name, field: field) }
                offsetsValue = v
            default:
                continue  // unknown fields are ignored, as by the reference implementation
            }
        }
        guard let dtypeValue else { throw .missingField(tensor: name, field: "dtype") }
        guard let shapeValue else { throw .missingField(tensor: name, field: "shape") }
        guard let offsetsValue else { throw .missingField(tensor: name, field: "data_offsets") }

        guard case .string(let dtypeName) = dtypeValue else {
            throw .invalidField(tensor: name, field: "dtype", expected: "a string")
        }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unsupportedDType(tensor: name, dtype: dtypeName) }

        let shapeExpected = "an array of non-negative integers"
        guard case .array(let dims) = shapeValue else {
            throw .invalidField(tensor: name, field: "shape", expected: shapeExpected)
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        var tooLarge = false
        for d in dims {
            guard case .number(let n) = d, n.isIntegerLiteral else {
                throw .invalidField(tensor: name, field: "shape", expected: shapeExpected)
            }
            if let v = n.integer {
                shape.append(v)
            } else if n.isNegative {
                throw .invalidField(tensor: name, field: "shape", expected: shapeExpected)
            } else {
                tooLarge = true  // an integer literal beyond Int.max
                shape.append(Int.max)
            }
        }
        if shape.contains(where: { $0 < 0 }) { throw .negativeDimension(tensor: name, shape: shape) }
        if tooLarge { throw .shapeOverflow(tensor: name) }
        guard let count = elementCount(of: shape) else { throw .shapeOverflow(tensor: name) }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow { throw .shapeOverflow(tensor: name) }

        let offsetsExpected = "two non-negative integers [begin, end]"
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
            case .number(let b) = offsets[0], let begin = b.integer, begin >= 0,
            case .number(let e) = offsets[1], let end = e.integer, end >= 0
        else { throw .invalidField(tensor: name, field: "data_offsets", expected: offsetsExpected) }
        if begin > end { throw .dataOffsetsReversed(tensor: name, begin: begin, end: end) }
        if end > dataSize { throw .dataOffsetsOutOfRange(tensor: name, end: end, dataSize: dataSize) }
        if end - begin != byteCount {
            throw .dataSizeMismatch(tensor: name, expectedBytes: byteCount, actualBytes: end - begin)
        }

        return HeaderEntry(
            name: name, dtype: dtype, shape: shape, count: count, begin: begin, end: end, headerIndex: index)
    }
}

/// The safetensors file format (Hugging Face), float32 tensors in and out.
///
/// Layout: an 8-byte little-endian `UInt64` header length N; N bytes of UTF-8
/// JSON, padded with spaces to a multiple of 8:
/// `{"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}`;
/// then the data section, little-endian, with offsets relative to its start.
///
/// Writing: tensors sorted by the UTF-8 bytes of their names, stored
/// contiguously in that order, compact JSON, metadata first (left out when
/// empty, keys sorted), always F32. The bytes depend only on the input.
///
/// Reading validates the whole header before touching the data section and
/// throws a ``SafeTensorsError`` for every malformed, truncated or hostile
/// input: header length above ``maximumHeaderLength``, invalid UTF-8 or JSON
/// (nesting is bounded), duplicate tensor names or fields, missing or mistyped
/// fields, negative or overflowing shapes, `data_offsets` reversed, out of
/// range or of the wrong size, and tensors that overlap or leave bytes of the
/// data section uncovered (the format requires a hole-free data section).
/// Unknown fields in a tensor entry are ignored, as the reference
/// implementation does; `"__metadata__": null` reads as no metadata.
///
/// Element types: F32 loads as is. F16 and BF16 widen to Float exactly; F64
/// rounds to the nearest Float (overflowing to ±infinity). Every other dtype
/// (integers, BOOL, FP8, complex, ...) throws ``SafeTensorsError/unsupportedDType(tensor:dtype:)``.
///
/// Tensor names are compared as Swift strings, so two names that differ only
/// in Unicode normalization count as duplicates.
public enum SafeTensors {
    /// The largest header this reader accepts: 100 MB, the reference implementation's limit.
    public static let maximumHeaderLength = 100_000_000

    // MARK: - Encoding

    /// Serializes tensors and metadata to safetensors bytes.
    ///
    /// - Parameters:
    ///   - tensors: float32 tensors; names must be unique and not `__metadata__`.
    ///   - metadata: free-form string pairs stored under `__metadata__`.
    /// - Returns: the complete file contents.
    /// - Throws: ``SafeTensorsError/valueCountMismatch(tensor:shape:valueCount:)``,
    ///   ``SafeTensorsError/negativeDimension(tensor:shape:)``, ``SafeTensorsError/shapeOverflow(tensor:)``,
    ///   ``SafeTensorsError/duplicateTensorName(_:)`` or ``SafeTensorsError/reservedName``.
    public static func encode(_ tensors: [TensorRecord], metadata: [String: String] = [:]) throws(SafeTensorsError)
        -> [UInt8]
    {
        let layout = try header(for: tensors.map { ($0.name, $0.shape) }, metadata: metadata)
        for t in tensors where elementCount(of: t.shape) != t.values.count {
            throw .valueCountMismatch(tensor: t.name, shape: t.shape, valueCount: t.values.count)
        }
        var out: [UInt8] = []
        out.reserveCapacity(layout.bytes.count + layout.dataBytes)
        out.append(contentsOf: layout.bytes)
        for i in layout.order {
            #if _endian(little)
            tensors[i].values.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
            for v in tensors[i].values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            #endif
        }
        return out
    }

    /// The start of a file of float32 tensors with these names and shapes: the 8-byte length, the
    /// JSON header and its padding (`bytes`), then the order in which the tensors' data follow it
    /// (`order`, indices into `tensors`) and the size of that data section in bytes.
    ///
    /// What `encode` writes before the data; `write(views:metadata:to:durable:)`
    /// uses it to write tensors from where they are, without copying them into one array.
    /// - Throws: ``SafeTensorsError/negativeDimension(tensor:shape:)``, ``SafeTensorsError/shapeOverflow(tensor:)``,
    ///   ``SafeTensorsError/duplicateTensorName(_:)`` or ``SafeTensorsError/reservedName``.
    public static func header(for tensors: [(name: String, shape: [Int])], metadata: [String: String] = [:])
        throws(SafeTensorsError) -> (bytes: [UInt8], order: [Int], dataBytes: Int)
    {
        var names = Set<String>()
        var counts: [Int] = []
        for t in tensors {
            if t.name == metadataKey { throw .reservedName }
            if !names.insert(t.name).inserted { throw .duplicateTensorName(t.name) }
            if t.shape.contains(where: { $0 < 0 }) { throw .negativeDimension(tensor: t.name, shape: t.shape) }
            guard let count = elementCount(of: t.shape), count.multipliedReportingOverflow(by: 4).overflow == false
            else {
                throw .shapeOverflow(tensor: t.name)
            }
            counts.append(count)
        }
        let order = tensors.indices.sorted { tensors[$0].name.utf8.lexicographicallyPrecedes(tensors[$1].name.utf8) }

        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += "\"\(metadataKey)\":{"
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                if i > 0 { header += "," }
                appendJSONString(key, to: &header)
                header += ":"
                appendJSONString(metadata[key]!, to: &header)
            }
            header += "}"
            first = false
        }
        var offset = 0
        for i in order {
            let t = tensors[i]
            let (end, overflow) = offset.addingReportingOverflow(counts[i] &* 4)
            if overflow { throw .shapeOverflow(tensor: t.name) }
            if !first { header += "," }
            first = false
            appendJSONString(t.name, to: &header)
            header += ":{\"dtype\":\"F32\",\"shape\":["
            header += t.shape.map(String.init).joined(separator: ",")
            header += "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        header += "}"

        var headerBytes = Array(header.utf8)
        let padding = (8 - headerBytes.count % 8) % 8
        headerBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        return (out, order, offset)
    }

    // MARK: - Decoding

    /// Parses safetensors bytes, validating the whole header before reading any tensor data.
    ///
    /// - Parameter bytes: the complete file contents.
    /// - Returns: the tensors in file order (ascending data offset; header order
    ///   among empty tensors at the same offset), converted to Float, and the metadata.
    /// - Throws: a ``SafeTensorsError`` naming the first problem found.
    public static func decode(_ bytes: [UInt8]) throws(SafeTensorsError) -> (
        tensors: [TensorRecord], metadata: [String: String]
    ) {
        // A typed-throws closure through withUnsafeBytes would need rethrows to be typed; carry the result out instead.
        let result: Result<(tensors: [TensorRecord], metadata: [String: String]), SafeTensorsError> =
            bytes.withUnsafeBytes { raw in
                do throws(SafeTensorsError) { return .success(try decode(raw)) } catch { return .failure(error) }
            }
        return try result.get()
    }

    /// Parses safetensors bytes in memory; see `decode(_:)` of `[UInt8]`.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) -> (
        tensors: [TensorRecord], metadata: [String: String]
    ) {
        let header = try parseHeader(bytes)
        var tensors: [TensorRecord] = []
        tensors.reserveCapacity(header.entries.count)
        for entry in header.entries {
            // parseHeader proved dataStart + end <= bytes.count and (end - begin) == count * size.
            let start = header.dataStart + entry.begin
            let source = UnsafeRawBufferPointer(rebasing: bytes[start..<(header.dataStart + entry.end)])
            tensors.append(
                TensorRecord(
                    name: entry.name, shape: entry.shape,
                    values: entry.dtype.floats(from: source, count: entry.count)))
        }
        return (tensors, header.metadata)
    }

    // MARK: - Helpers

    static let metadataKey = "__metadata__"

    /// The product of `shape` (1 for `[]`), or nil for a negative dimension or an overflow.
    static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            count = p
        }
        return count
    }
}

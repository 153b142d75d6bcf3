// The safetensors header parser and data reader: any bytes give a typed error or
// a consistent decode that survives encode → decode.
import FuzzSupport
import TensorIO

@_cdecl("FuzzSafeTensors_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc: argc, argv: argv) { bytes in
        guard let decoded = try? SafeTensors.decode(bytes) else { return }
        var names = Set<String>()
        for t in decoded.tensors {
            precondition(t.elementCount == t.values.count, "decoded \(t.name) with \(t.values.count) values for \(t.shape)")
            precondition(names.insert(t.name).inserted, "decoded \(t.name) twice")
        }
        guard let encoded = try? SafeTensors.encode(decoded.tensors, metadata: decoded.metadata) else { return }
        guard let again = try? SafeTensors.decode(encoded) else { preconditionFailure("own encoding does not decode") }
        precondition(again.metadata == decoded.metadata, "metadata changed through encode → decode")
        precondition(again.tensors.count == decoded.tensors.count, "tensor count changed through encode → decode")
        // The writer orders tensors by name; the reader returns file order.
        let byName = Dictionary(uniqueKeysWithValues: decoded.tensors.map { ($0.name, $0) })
        for a in again.tensors {
            guard let b = byName[a.name] else { preconditionFailure("\(a.name) appeared through encode → decode") }
            precondition(a.shape == b.shape && sameBits(a.values, b.values), "\(a.name) changed through encode → decode")
        }
    }
}

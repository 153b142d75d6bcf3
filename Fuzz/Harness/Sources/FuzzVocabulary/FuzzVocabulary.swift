// vocab.json: any bytes give an error or a vocabulary that saves and loads
// back identical, each of whose tokens encodes to its own id.
import Foundation
import FuzzSupport
import Tokenization

@_cdecl("FuzzVocabulary_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc: argc, argv: argv) { bytes in
        guard let vocabulary = try? Vocabulary(jsonData: Data(bytes)) else { return }
        guard let json = try? vocabulary.jsonData(), let again = try? Vocabulary(jsonData: json) else {
            preconditionFailure("a loaded vocabulary does not save and load")
        }
        precondition(again == vocabulary, "vocabulary changed through save → load")
        for (id, token) in vocabulary.tokens.enumerated() {
            if vocabulary.unit == .byte {
                precondition(vocabulary.decodeBytes([id]) == [UInt8(token.unicodeScalars.first!.value)])
            } else {
                let ids = try? vocabulary.encode(token, unknown: .error).ids
                precondition(ids == [Int32(id)], "token \(id) \(Array(token.unicodeScalars)) encodes to \(ids ?? [])")
            }
        }
    }
}

// The corpus encoder, bytes → ids, for every unit and normalization. The first
// input byte picks the unit, the normalization and a chunk size; the rest is the file.
// Checks: tiny chunks give what one chunk gives; the vocabulary saves and loads back;
// the file encodes again to the same ids with the saved vocabulary; the byte unit
// without normalization gives back the file itself.
@testable import Tokenization
import FuzzSupport

@_cdecl("FuzzCorpus_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc: argc, argv: argv) { input in
        guard let selector = input.first else { return }
        let unit = TextUnit.allCases[Int(selector) % 3]
        let normalization: Normalization = (selector >> 2) & 1 == 0 ? .nfc : .none
        let chunkSize = [4, 5, 7, 16, 64][Int(selector >> 3) % 5]
        let path = writeScratch(UnsafeRawBufferPointer(rebasing: input.dropFirst()), name: "corpus.txt")
        let whole = try? CorpusEncoder.build(path: path, unit: unit, normalization: normalization,
                                             maxVocabulary: 1 << 20, chunkSize: 1 << 20)
        let chunked = try? CorpusEncoder.build(path: path, unit: unit, normalization: normalization,
                                               maxVocabulary: 1 << 20, chunkSize: chunkSize)
        precondition((whole == nil) == (chunked == nil), "chunk size \(chunkSize) changes whether the file loads")
        guard let whole, let chunked else {
            precondition(unit != .byte || input.count == 1, "the byte unit refused a non-empty file")
            return
        }
        precondition(Array(whole.ids) == Array(chunked.ids), "chunk size \(chunkSize) changes the ids")
        precondition(whole.vocabulary == chunked.vocabulary, "chunk size \(chunkSize) changes the vocabulary")
        if unit == .byte && normalization == .none {
            precondition(whole.vocabulary.decodeBytes(whole.ids) == Array(input.dropFirst()), "bytes changed")
        }
        guard let json = try? whole.vocabulary.jsonData() else { preconditionFailure("vocabulary does not save") }
        let loaded: Vocabulary
        do { loaded = try Vocabulary(jsonData: json) } catch { preconditionFailure("built vocabulary refused: \(error)") }
        precondition(loaded == whole.vocabulary, "vocabulary changed through save → load")
        guard let again = try? CorpusEncoder.encode(path: path, vocabulary: loaded, unknown: .error, chunkSize: chunkSize)
        else { preconditionFailure("the file does not encode with its own vocabulary") }
        precondition(Array(again.ids) == Array(whole.ids), "encoding with the saved vocabulary changes the ids")
    }
}

// generate CHECKPOINT [PROMPT]: streams 300 characters after PROMPT, then the model's five most
// likely next characters and how surprised it is by the text it wrote (docs/embedding.md).
import CharNNKit
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let checkpoint = arguments.first else {
    FileHandle.standardError.write(Data("usage: generate CHECKPOINT [PROMPT]\n".utf8))
    exit(2)
}
let prompt = arguments.dropFirst().first ?? "ROMEO:\n"

do {
    let model = try CharModel(checkpoint: checkpoint)
    var text = ""
    print(prompt, terminator: "")
    for try await piece in model.generate(prompt: prompt, options: .init(maxTokens: 300, temperature: 0.8, seed: 42)) {
        print(piece, terminator: "")
        text += piece
    }
    print()
    let next = try model.probabilities(after: prompt + text, top: 5)
    print("next:", next.map { "\($0.text.debugDescription) \(String(format: "%.2f", exp($0.logprob)))" }.joined(separator: ", "))
    let score = try model.score(prompt + text)
    print(String(format: "bits per character of this text: %.3f", score.bitsPerUnit ?? .nan))
    model.shutdown()
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}

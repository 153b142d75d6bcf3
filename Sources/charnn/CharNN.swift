import ArgumentParser
import Foundation
import Models
import NeuralCore
import TensorIO
import Tokenization
import Training

@main
struct CharNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charnn",
        abstract: "Character-level recurrent language models: train, sample, compare.",
        subcommands: [TrainCommand.self, SampleCommand.self, ReplCommand.self, EvalCommand.self,
                      CompareCommand.self, BenchCommand.self, InfoCommand.self, InspectCommand.self])

    /// Every failure ends as one `error: …` line on stderr and exit status 1 (130 after Ctrl-C).
    static func main() {
        BLASCore.reexecutingIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let status = exitCode(for: error)
            if status == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            Console.error(userMessage(for: error))
            Foundation.exit(1)
        }
    }

    static func userMessage(for error: Error) -> String {
        switch error {
        case let e as LocalizedError where e.errorDescription != nil: return e.errorDescription!
        case let e as CustomStringConvertible where !(error is DecodingError):
            let parsed = message(for: error)
            return parsed.isEmpty ? e.description : parsed
        default:
            let parsed = message(for: error)
            return parsed.isEmpty ? "\(error)" : parsed
        }
    }
}

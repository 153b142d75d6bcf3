import ArgumentParser

@main
struct CharNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charnn",
        abstract: "Character-level recurrent language models: train, sample, compare.",
        subcommands: [BenchCommand.self])
}

import ArgumentParser
import Checkpointing
import Foundation
import Models
import NeuralCore
import Sampling
import Tokenization

/// What a slash command asks the loop to do.
enum ReplAction: Equatable {
    case notCommand
    case handled
    case quit
}

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl", abstract: "Interactive generation: type a prime, watch the continuation stream.",
        discussion: """
            Each line you type is fed to the model (\\n in a line is a newline) and the model continues \
            from it. The context carries over from one line to the next until /reset. Slash commands: \
            /help /temperature T /top-k K /top-p P /length N /seed S /probs /reset /info /load CKPT \
            /inspect [DIR] /quit. Ctrl-C stops the current generation; Ctrl-D or the end of input exits.
            On a terminal the line can be edited (arrows, Ctrl-A/E, Ctrl-R to search), Tab completes the \
            slash commands and the paths of /load and /inspect, and Up recalls earlier lines, also from \
            earlier runs: the history is kept in $CHARNN_HISTORY, else $XDG_STATE_HOME/charnn/history, else \
            ~/.local/state/charnn/history (CHARNN_HISTORY= keeps none). Piped input is read line by line, \
            without prompts. The model reads what the screen shows: the continuation follows the typed \
            text on its line, and a line typed after an output that ended mid-line starts on a new line.
            With --train CORPUS it first trains a model and then opens it; --train takes the train \
            command's options (charnn train --help describes them, charnn repl --help-hidden lists them here).
            """)

    @Argument(help: "Checkpoint or run directory (default: the shipped Shakespeare model).")
    var checkpoint: String?
    @Option(help: "Train on this corpus first, then open the new model.") var train: String?
    @OptionGroup(title: "Sampling") var sampling: SamplingOptions
    @OptionGroup(title: "Sampling") var length: LengthOption
    @OptionGroup(title: "Sampling") var precision: PrecisionOption
    @OptionGroup(title: "Sampling") var seed: SeedOptions
    @OptionGroup var threads: ThreadOptions
    // With --train: the train command's groups, out of the help (--help-hidden shows them) and
    // refused without --train.
    @OptionGroup(title: "Training (with --train): model", visibility: .hidden) var cell: CellOption
    @OptionGroup(title: "Training (with --train): model", visibility: .hidden) var model: ModelOptions
    @OptionGroup(title: "Training (with --train): optimizer", visibility: .hidden) var optimizer: OptimizerOptions
    @OptionGroup(title: "Training (with --train): batches", visibility: .hidden) var batches: BatchOptions
    @OptionGroup(title: "Training (with --train): data", visibility: .hidden) var data: DataOptions
    @OptionGroup(title: "Training (with --train): budget (default: 10 epochs)", visibility: .hidden)
    var budget: BudgetOptions
    @OptionGroup(title: "Training (with --train): run", visibility: .hidden) var runOptions: RunOptions

    var trainOptions: TrainOptions {
        TrainOptions(
            cell: cell, model: model, optimizer: optimizer, batches: batches, data: data, budget: budget,
            run: runOptions, seed: seed, threads: threads)
    }

    func validate() throws {
        if train != nil { return try trainOptions.validate() }
        // (A training option given with its default value is not told apart from an absent one.)
        let groups: [(String, Bool)] = [
            ("model", try Self.differs(cell) || Self.differs(model)), ("optimizer", try Self.differs(optimizer)),
            ("batches", try Self.differs(batches)), ("data", try Self.differs(data)),
            ("budget", try Self.differs(budget)), ("run", try Self.differs(runOptions)),
        ]
        let given = groups.filter(\.1).map(\.0)
        if !given.isEmpty {
            throw ValidationError(
                "training options (\(given.joined(separator: ", "))) need --train CORPUS: without it they would "
                    + "be ignored")
        }
    }

    /// Whether a group holds other values than it has with none of its options given.
    static func differs<Group: ParsableArguments>(_ group: Group) throws -> Bool {
        String(describing: group) != String(describing: try Group.parse([]))
    }

    func run() throws {
        Interrupt.exitAtOnce(saying: "interrupted before the REPL started")
        var path = try checkpoint ?? Self.shippedCheckpoint()
        if let corpus = train {
            path = try runTraining(corpus: corpus, options: trainOptions)
            Interrupt.clear()
            Interrupt.exitAtOnce(saying: "interrupted before the REPL started (the trained model is in \(path))")
        }
        // One --seed and one --threads serve training and sampling.
        Parallelism.set(threads: threads.threads)
        var session = try ReplSession(
            checkpoint: path, settings: try sampling.settings(), seed: seed.value,
            length: length.length, precision: precision.precision)
        Interrupt.interactive(note: "(Ctrl-C stops a generation; Ctrl-D or /quit leaves)", farewell: "terminated")
        session.loop()
    }

    static let shippedName = "checkpoints/shakespeare-lstm"

    /// The shipped model, found from any working directory: in the working directory, next to
    /// the executable or in any directory above it (the package root for `.build/<triple>/debug/
    /// charnn`, `share/charnn` for an install), or in the package this binary was built from.
    static func shippedCheckpoint() throws -> String {
        let fm = FileManager.default
        var bases = [fm.currentDirectoryPath]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        }
        while dir.path != "/" && !dir.path.isEmpty {
            bases.append(dir.path)
            bases.append(dir.appendingPathComponent("share/charnn").path)
            dir = dir.deletingLastPathComponent()
        }
        // Sources/charnn/ReplCommand.swift → the package root it was built in.
        bases.append(
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().path)
        var seen = Set<String>()
        for base in bases where seen.insert(base).inserted {
            let p = (base as NSString).appendingPathComponent(shippedName)
            if fm.fileExists(atPath: (p as NSString).appendingPathComponent("config.json")) { return p }
        }
        throw CLIError(
            "no checkpoint given and the shipped model \(shippedName) was not found in the working "
                + "directory, above the executable or in the package it was built from (\(bases.last ?? "")): "
                + "give one, e.g. charnn repl runs/NAME")
    }
}

/// The REPL's state and loop. Reads stdin line by line (through `LineEditor` on a terminal);
/// diagnostics go to stderr.
struct ReplSession {
    var checkpoint: Checkpoint
    var generator: Generator
    var settings: SamplingSettings
    var seed: UInt64
    var length: Int
    let precision: WeightPrecision
    let interactive = Console.stdoutIsTerminal && isatty(STDIN_FILENO) == 1
    /// The token ids the model has seen since the last /reset (the last `ReplContext.kept`), for /inspect.
    var context = ReplContext()
    /// The prompt's editor on a terminal (nil for piped input).
    var editor: LineEditor?
    static let prompt = "> "

    init(
        checkpoint path: String, settings: SamplingSettings, seed: UInt64, length: Int,
        precision: WeightPrecision = .float32
    ) throws {
        checkpoint = try Checkpoint.load(path, optimizerState: false)
        self.settings = settings
        self.seed = seed
        self.length = length
        self.precision = precision
        generator = Generator(
            model: checkpoint.model, vocabulary: checkpoint.vocabulary, settings: settings, seed: seed,
            precision: precision)
    }

    mutating func loop() {
        Console.info("charnn repl: \(describeModel()). Type text to continue, /help for commands, Ctrl-D to quit.")
        editor =
            interactive
            ? LineEditor(completions: Self.commandNames, historyFile: LineEditor.historyPath())
            : nil
        while true {
            let line: String
            Interrupt.idle = true
            if let editor {
                Interrupt.clear()
                let read = editor.read(prompt: Self.prompt)
                Interrupt.idle = false
                switch read {
                case .line(let text): line = text
                case .interrupted: Interrupt.clear(); continue
                case .end: Console.out("\n"); return
                }
            } else {
                let read = readLine(strippingNewline: true)
                Interrupt.idle = false
                guard let read else { return }
                line = read
            }
            switch handle(command: line) {
            case .quit: return
            case .handled: continue
            case .notCommand: generate(from: line)
            }
        }
    }

    func describeModel() -> String {
        let c = checkpoint.config
        return
            "\(c.layers)×\(c.hidden) \(c.cell.rawValue), \(checkpoint.vocabulary.count) \(checkpoint.vocabulary.unit.pluralName) (\(checkpoint.path))"
    }

    /// Feeds a typed line and streams the continuation. The model reads exactly the transcript:
    /// what stdout shows (piped: the line is echoed) or the screen (the continuation follows the
    /// typed text on its line; a newline the model did not read never appears). Each continuation
    /// ends at the start of a line, for the next prompt: a newline is written *and fed* when the
    /// output stopped mid-line, so the next line starts on a new line for the model too.
    mutating func generate(from line: String) {
        let text = line.replacingOccurrences(of: "\\n", with: "\n")
        let newline = checkpoint.vocabulary.id(of: "\n").map(Int32.init)
        var warned = false
        do {
            let unknowns = try generator.prime(text)
            for u in unknowns { Console.warning("\(u) is not in the model's vocabulary; skipped") }
            warned = !unknowns.isEmpty
            context.append(try checkpoint.vocabulary.encode(text, unknown: .skip).ids)
        } catch {
            Console.error(describe(error))
            return
        }
        // What the model reads of this line: no text and no context start from a newline (see
        // `Generator.generate`), which the transcript shows as one.
        var shown = text
        if !generator.hasContext {
            context.append([newline ?? 0])
            shown = "\n"
        }
        Interrupt.clear()
        if !interactive {
            Console.out(shown)
        } else if let editor, !warned, shown.last != "\n" {
            // The terminal echoed the Enter: back to the end of the typed text.
            editor.returnToEnd(ofLine: line, prompt: Self.prompt)
        }
        var produced: [Int32] = []
        var last = shown.last
        generator.generatePieces(length: length) { _, piece in
            Console.out(piece.text)
            if let l = piece.text.last { last = l }
            // The ids the model drew (a byte sequence shown as U+FFFD keeps its bytes).
            produced += piece.ids
            return !Interrupt.requested
        }
        context.append(produced)
        let stopped = Interrupt.requested
        Interrupt.clear()
        if last != "\n" {
            Console.out("\n")
            // (A vocabulary without a newline cannot read it; the screen still needs the line.)
            if let newline {
                _ = try? generator.prime("\n")
                context.append([newline])
            }
        }
        if stopped { Console.info("[stopped]") }
    }

    /// Runs a slash command; `.notCommand` for ordinary text.
    mutating func handle(command line: String) -> ReplAction {
        guard line.hasPrefix("/") else { return .notCommand }
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let name = parts[0].lowercased(), arg = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil
        func update(_ body: (inout SamplingSettings) -> Void) {
            var s = settings
            body(&s)
            do {
                settings = try SamplingSettings(temperature: s.temperature, topK: s.topK, topP: s.topP)
                generator.settings = settings
                Console.info(
                    "temperature \(settings.temperature), top-k \(settings.topK ?? 0), top-p \(settings.topP ?? 1)")
            } catch {
                Console.error(describe(error))
            }
        }
        func number<T: LosslessStringConvertible>(_ type: T.Type) -> T? {
            guard let arg, let v = T(arg) else {
                Console.error("\(name) needs a number, e.g. \(name) \(type == Float.self ? "0.7" : "40")")
                return nil
            }
            return v
        }
        switch name {
        case "/quit", "/exit", "/q": return .quit
        case "/help", "/?":
            Console.info(
                """
                type text: the model continues it (\\n = newline); context carries over until /reset
                /temperature T   0 = greedy, lower = safer, higher = wilder (now \(settings.temperature))
                /top-k K         sample among the K likeliest characters, 0 = off (now \(settings.topK ?? 0))
                /top-p P         sample among the likeliest characters holding P of the probability, 1 = off (now \(settings.topP ?? 1))
                /length N        characters per continuation (now \(length))
                /seed S          restart the random stream with seed S
                /reset           forget the context
                /probs           the 10 likeliest next characters after the current context
                /info            model and settings
                /load CKPT       open another checkpoint
                /inspect [DIR]   write DIR/index.html: inside the model over the context (default inspect-TIME)
                /quit            leave (or Ctrl-D)
                """)
        case "/temperature", "/temp", "/t":
            if let v = number(Float.self) { update { $0.temperature = v } }
        case "/top-k", "/topk":
            if let v = number(Int.self) { update { $0.topK = v } }
        case "/top-p", "/topp":
            if let v = number(Float.self) { update { $0.topP = v } }
        case "/length":
            if let v = number(Int.self) {
                if Limits.length.contains(v) {
                    length = v; Console.info("length \(v)")
                } else {
                    Console.error("/length must be in 0...\(Limits.length.upperBound), got \(v)")
                }
            }
        case "/seed":
            if let v = number(UInt64.self) { seed = v; generator.reseed(v); Console.info("seed \(v)") }
        case "/probs":
            for (token, p) in generator.peek(top: 10) {
                let shown = token == "\n" ? "\\n" : token == " " ? "␠" : token == "\t" ? "\\t" : token
                Console.info(String(format: "%6.2f%%  ", p * 100) + shown)
            }
        case "/reset":
            generator.reset()
            context = ReplContext()
            Console.info("context cleared")
        case "/info":
            Console.info(
                "\(describeModel())\ntemperature \(settings.temperature), top-k \(settings.topK ?? 0), top-p \(settings.topP ?? 1), length \(length), seed \(seed)\nweights \(precision.rawValue), \(generator.threadCount) thread\(generator.threadCount == 1 ? "" : "s")"
            )
        case "/load":
            guard let arg else { Console.error("/load needs a checkpoint path"); return .handled }
            do {
                checkpoint = try Checkpoint.load(arg, optimizerState: false)
                generator = Generator(
                    model: checkpoint.model, vocabulary: checkpoint.vocabulary, settings: settings,
                    seed: seed, precision: precision)
                context = ReplContext()
                Console.info("loaded \(describeModel())")
            } catch {
                Console.error(describe(error))
            }
        case "/inspect":
            inspect(into: arg)
        default:
            Console.error("unknown command \(name); /help lists the commands")
        }
        return .handled
    }
}

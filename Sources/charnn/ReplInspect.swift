// The REPL's /inspect: the inspection page (charnn inspect) of what the model saw and wrote since
// the last /reset, and the context it is made from.
import Foundation
import Inspection
import Tokenization

/// The token ids of the REPL's context: the prime texts and the continuations, in order, since
/// the last /reset or /load. Only the last `kept` are stored (a page holds at most that many).
struct ReplContext {
    static let kept = InspectCommand.maximumCharacters
    private(set) var ids: [Int32] = []
    /// Every id since the reset, also those no longer stored.
    private(set) var total = 0

    mutating func append(_ new: [Int32]) {
        ids += new
        total += new.count
        // Trimmed in batches: one O(n) copy per `kept` ids, not one per token.
        if ids.count > 2 * Self.kept { ids.removeFirst(ids.count - Self.kept) }
    }

    /// The last `kept` ids.
    var window: ArraySlice<Int32> { ids.suffix(Self.kept) }
}

extension ReplSession {
    /// The slash commands Tab completes (the long names; /help lists them).
    static let commandNames = [
        "/help", "/temperature", "/top-k", "/top-p", "/length", "/seed", "/probs", "/reset",
        "/info", "/load", "/inspect", "/quit",
    ]

    /// /inspect [DIR]: writes DIR/index.html and DIR/inspect.json for the context (default inspect-TIME in the
    /// working directory). The trace starts from a zero state, as the context did after /reset; a context cut
    /// to its last `ReplContext.kept` characters is traced from zero too, and the message says so.
    func inspect(into argument: String?) {
        let ids = Array(context.window)
        guard ids.count >= 2 else {
            Console.error(
                "/inspect: the context holds \(ids.count) \(checkpoint.vocabulary.unit.pluralName), "
                    + "need at least 2: type some text first")
            return
        }
        let out = argument.flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultInspectDirectory()
        let report: InspectionReport
        do {
            report = try InspectCommand.writePage(
                model: checkpoint.model, vocabulary: checkpoint.vocabulary,
                ids: ids, source: checkpoint.path, out: out)
        } catch {
            Console.error(describe(error))
            return
        }
        let unit = checkpoint.vocabulary.unit.pluralName
        if context.total > ids.count {
            Console.info(
                "the context holds \(context.total) \(unit); the page shows the last \(ids.count), "
                    + "traced from a zero state (the model had seen more before them)")
        }
        let mean = report.meanSurprisalNats.map { String(format: ", mean surprisal %.4f nats", $0) } ?? ""
        Console.info(
            "inspected \(ids.count) \(unit) of context\(mean); wrote "
                + (out as NSString).appendingPathComponent("index.html"))
    }

    static func defaultInspectDirectory(now: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return "inspect-" + f.string(from: now)
    }
}

import FileIO
import Foundation
import Models

/// What a model, a corpus or a checkpoint needs in memory, estimated before anything is allocated,
/// and the check against what the machine has free.
///
/// The estimates count the large buffers (the small ones are noise) and return nil when the
/// arithmetic overflows `Int`: such a request can never fit.
public enum MemoryEstimate {
    /// Bytes of memory available for a new allocation: FileIO's `MemoryBudget` (the least of
    /// MemAvailable, the cgroup's limit less its usage, RLIMIT_AS and RLIMIT_DATA less what is used).
    public static func available() -> Int { MemoryBudget.available() }

    /// Sum and products with overflow → nil.
    package static func sum(_ terms: [Int?]) -> Int? {
        var total = 0
        for t in terms {
            guard let t else { return nil }
            let (r, o) = total.addingReportingOverflow(t)
            if o { return nil }
            total = r
        }
        return total
    }

    package static func product(_ factors: Int...) -> Int? {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (r, o) = p.multipliedReportingOverflow(by: f)
            if o { return nil }
            p = r
        }
        return p
    }

    /// Trainable scalars of `config`, with checked arithmetic (nil when it overflows). No loop
    /// over the layers: a damaged `layers` of 10^12 must not take 10^12 iterations.
    public static func parameterCount(_ config: ModelConfig) -> Int? {
        let V = config.vocabularySize, E = config.embedding, H = config.hidden, L = config.layers
        guard L >= 1, let G = product(config.cell.gateCount, H) else { return nil }
        let peephole = config.cell == .peephole ? product(3, H) : 0
        let first = sum([product(G, E), product(G, H), product(2, G), peephole])
        let other = sum([product(G, H), product(G, H), product(2, G), peephole])
        guard let first, let other else { return nil }
        return sum([product(V, E), product(V, H), V, first, product(L - 1, other)])
    }

    /// Bytes to encode the corpus file at `path`: its text and up to one 4-byte id per byte.
    /// Nil when the size cannot be known in advance (a pipe, a FIFO, a device).
    public static func corpusFile(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return corpus(units: Int(info.st_size), textBytes: Int(info.st_size))
    }

    /// Bytes to sample from or evaluate `config` with `batch` streams of `steps` positions:
    /// the weights plus the forward workspace (gates, hidden states, logits).
    public static func inference(config: ModelConfig, batch: Int, steps: Int) -> Int? {
        guard let P = parameterCount(config), let N = product(batch, steps),
            let G = product(config.cell.gateCount, config.hidden)
        else { return nil }
        let H = config.hidden, L = config.layers, V = config.vocabularySize
        let floats = sum([
            P, product(N, config.embedding), product(L, N, G), product(L, N + batch, H, 2),
            product(N, V), product(V, G),
        ])
        return floats.flatMap { product($0, 4) }
    }

    /// Bytes to hold a corpus of `units` token ids (4 bytes each) while it is encoded from
    /// `bytes` of text (read whole).
    public static func corpus(units: Int, textBytes bytes: Int = 0) -> Int? {
        sum([product(units, 4), bytes])
    }

    /// Throws `InsufficientMemory` when `bytes` (nil: overflowed) does not fit in
    /// the available memory. `what` says what needs it ("training a 2×512 lstm …"); `windows`,
    /// the batch it trains on, when that sizes the memory.
    public static func require(
        _ bytes: Int?, for what: String, windows: InsufficientMemory.Windows? = nil,
        available: Int = available()
    ) throws {
        guard let bytes else {
            throw InsufficientMemory(what: what, needed: Int.max, available: available, windows: windows)
        }
        if bytes > available {
            throw InsufficientMemory(what: what, needed: bytes, available: available, windows: windows)
        }
    }

    /// "1.5 GiB", "312 MiB", "12 KiB", "more than 8 EiB".
    public static func format(_ bytes: Int) -> String {
        if bytes == Int.max { return "more than 8 EiB (the size overflows)" }
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var v = Double(bytes), i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(bytes) bytes" : String(format: v < 10 ? "%.1f %@" : "%.0f %@", v, units[i])
    }
}

/// A model, corpus or checkpoint needs more memory than the machine has free.
public struct InsufficientMemory: Error, Equatable, Sendable, CustomStringConvertible {
    /// What needs it ("training a 2×512 lstm …", "loading the checkpoint DIR …").
    public var what: String
    /// Bytes needed (`Int.max` when the estimate overflowed) and bytes available.
    public var needed: Int, available: Int
    /// The batch being trained on, when it sizes the memory (the executable names its flags).
    public var windows: Windows?

    /// A training batch: `batch` streams of `steps` positions.
    public struct Windows: Equatable, Sendable {
        public var batch: Int, steps: Int
        public init(batch: Int, steps: Int) {
            self.batch = batch
            self.steps = steps
        }
    }

    public init(what: String, needed: Int, available: Int, windows: Windows? = nil) {
        self.what = what
        self.needed = needed
        self.available = available
        self.windows = windows
    }

    /// "needs about 3.0 GiB of memory, but only 1.0 GiB is available".
    public var shortfall: String {
        "needs about \(MemoryEstimate.format(needed)) of memory, "
            + "but only \(MemoryEstimate.format(available)) is available"
    }

    public var description: String {
        guard let w = windows else { return "\(what) \(shortfall)" }
        return "\(what) with a batch of \(w.batch) streams × \(w.steps) steps \(shortfall); "
            + "a smaller batch, window or model needs less"
    }
}

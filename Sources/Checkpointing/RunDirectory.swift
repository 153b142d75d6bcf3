import FileIO
import Foundation

/// A run directory, the one place that knows what is in it:
///
/// ```
/// latest/          the last checkpoint (resumable: optimizer and streams included)
/// best/            the checkpoint with the best validation loss (weights only)
/// X.tmp/, X.old/   a checkpoint being written, the one it replaces (`Checkpoint.save`)
/// metrics.jsonl    one JSON object per line: training loss every 10 steps, every evaluation
/// loss.svg         the loss curves, redrawn at every evaluation
/// .lock            held by the trainer that writes here (Training's `RunDirectoryLock`)
/// .replacing/      a new run that will replace this one once its first checkpoint is written
/// ```
///
/// It resolves the checkpoint a command reads, finds the run a `--resume` path belongs to,
/// starts a branch of a run, cleans what a killed run left, and reads the settings a run saved.
public struct RunDirectory: Equatable, Sendable, CustomStringConvertible {
    public var path: String

    public init(_ path: String) { self.path = path }

    public var description: String { path }

    // MARK: - Names

    public static let latestName = "latest"
    public static let bestName = "best"
    public static let metricsName = "metrics.jsonl"
    public static let plotName = "loss.svg"
    public static let lockName = ".lock"
    public static let replacingName = ".replacing"
    /// The checkpoint directories a run writes.
    public static let checkpointNames = [latestName, bestName]
    /// Everything that belongs to one run (what `--overwrite` replaces, what a branch must not hold).
    public static let runNames = [latestName, bestName, latestName + ".old", bestName + ".old", metricsName]

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    public var latest: String { file(Self.latestName) }
    public var best: String { file(Self.bestName) }
    public var metrics: String { file(Self.metricsName) }
    public var plot: String { file(Self.plotName) }
    public var lock: String { file(Self.lockName) }
    /// Where a run that replaces this one writes until its first checkpoint is in place.
    public var replacing: RunDirectory { RunDirectory(file(Self.replacingName)) }

    /// `runs/<corpus file name without extension>`: where `train` writes without `--out`.
    public static func `default`(forCorpus corpus: String) -> RunDirectory {
        let name = ((corpus as NSString).lastPathComponent as NSString).deletingPathExtension
        return RunDirectory("runs/" + (name.isEmpty ? "run" : name))
    }

    // MARK: - Checkpoints

    /// The checkpoint of this run a command reads: `best/` (or `latest/` with `preferLatest`), falling
    /// back to the other, each possibly left as `X.old/` by an interrupted write; nil when none holds
    /// a config.json.
    public func checkpoint(preferLatest: Bool = false) -> String? {
        let fm = FileManager.default
        let order = preferLatest ? [Self.latestName, Self.bestName] : [Self.bestName, Self.latestName]
        for name in order {
            for candidate in [name, name + ".old"] where fm.fileExists(atPath: file(candidate + "/config.json")) {
                return file(candidate)
            }
        }
        return nil
    }

    /// What a run directory holds: which of the run's names exist, and the step `latest/` reached.
    public struct Contents: Equatable, Sendable, CustomStringConvertible {
        /// The run's names present (`runNames` order).
        public var names: [String]
        /// The step saved in latest/ (or latest.old/), when it can be read.
        public var latestStep: Int?

        public init(names: [String], latestStep: Int?) {
            self.names = names
            self.latestStep = latestStep
        }

        public var isEmpty: Bool { names.isEmpty }

        /// "latest/ at step 30, best/, metrics.jsonl".
        public var description: String {
            names.map { name in
                if name == RunDirectory.metricsName { return name }
                let isLatest = name.hasPrefix(RunDirectory.latestName)
                return name + "/" + (isLatest ? latestStep.map { " at step \($0)" } ?? "" : "")
            }.joined(separator: ", ")
        }
    }

    /// What of a run is here (nothing for a missing or fresh directory).
    public var contents: Contents {
        let fm = FileManager.default
        // A checkpoint is a directory with config.json; a `latest` that is something else is no run
        // (saving refuses to replace it: `Checkpoint.checkReplaceable`).
        let names = Self.runNames.filter {
            $0 == Self.metricsName ? fm.fileExists(atPath: file($0)) : fm.fileExists(atPath: file($0 + "/config.json"))
        }
        var step: Int? = nil
        for name in [Self.latestName, Self.latestName + ".old"] where names.contains(name) && step == nil {
            step = Self.savedStep(file(name))
        }
        return Contents(names: names, latestStep: step)
    }

    /// The `step` of a checkpoint's trainer_state.json, for messages (nil when it cannot be read).
    static func savedStep(_ checkpoint: String) -> Int? {
        let path = (checkpoint as NSString).appendingPathComponent("trainer_state.json")
        guard (try? Checkpoint.regularFileSize(path)).map({ $0 <= 1 << 28 }) == true,
            let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return (object["step"] as? NSNumber)?.intValue
    }

    /// Refuses to start a new run here when one is already here.
    /// - Throws: `RunDirectoryError.holdsRun` with what is here.
    public func requireNoRun() throws {
        let contents = self.contents
        if !contents.isEmpty { throw RunDirectoryError.holdsRun(path: path, contents: contents) }
    }

    // MARK: - Resuming and branching

    /// The run directory that `--resume PATH` continues: PATH itself when it is a run directory;
    /// its parent when PATH is the run's `latest/` or `best/` (or their `.old`).
    ///
    /// - Throws: `CheckpointError` when PATH holds no checkpoint; `RunDirectoryError.checkpointOutsideRun`
    ///   for a checkpoint of its own (a directory with config.json, outside any run).
    public static func containing(resume: String) throws -> RunDirectory {
        let checkpoint = try Checkpoint.resolve(resume, preferLatest: true)
        if !samePath(checkpoint, resume) { return RunDirectory(resume) }
        let standard = (resume as NSString).standardizingPath
        let name = (standard as NSString).lastPathComponent
        if (checkpointNames + checkpointNames.map { $0 + ".old" }).contains(name) {
            let parent = (standard as NSString).deletingLastPathComponent
            return RunDirectory(parent.isEmpty ? "." : parent)
        }
        throw RunDirectoryError.checkpointOutsideRun(path: resume)
    }

    /// Whether two directories are the same place (after "./", "//", a trailing "/" and symlinks).
    public func isSame(as other: RunDirectory) -> Bool { Self.samePath(path, other.path) }

    static func samePath(_ a: String, _ b: String) -> Bool {
        func norm(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
        return norm(a) == norm(b)
    }

    /// Starts this directory as the continuation of `source` (`--resume SOURCE --out THIS`): it must hold
    /// no run of its own; it gets `source`'s `best/` (so that best/ stays the best of the whole run) and,
    /// with `copyMetrics`, its metrics.jsonl. `source` is left as it is.
    ///
    /// - Throws: `RunDirectoryError.holdsRun`, `.cannotBranch`.
    public func branch(from source: RunDirectory, copyMetrics: Bool) throws {
        try requireNoRun()
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            var copies = [Self.bestName]
            if copyMetrics { copies.append(Self.metricsName) }
            for name in copies where fm.fileExists(atPath: source.file(name)) {
                try fm.copyItem(atPath: source.file(name), toPath: file(name))
            }
        } catch {
            throw RunDirectoryError.cannotBranch(path: path, source: source.path, reason: fileErrorReason(error))
        }
    }

    // MARK: - Leftovers and replacing

    /// Removes what a killed run can leave (call it with the lock held, so that no trainer is writing):
    /// half-written `latest.tmp/` and `best.tmp/`, `X.old/` when `X/` is complete, the temporary files
    /// of interrupted durable writes (`.NAME.PID.tmp`), and a replacing run that never wrote its first
    /// checkpoint (`.replacing/`).
    public func cleanLeftovers() {
        let fm = FileManager.default
        for name in Self.checkpointNames {
            try? fm.removeItem(atPath: file(name + ".tmp"))
            if fm.fileExists(atPath: file(name + "/config.json")) { try? fm.removeItem(atPath: file(name + ".old")) }
        }
        // A replacing run that wrote its first checkpoint and was killed while moving in (this run's
        // latest/ gone already) is finished; any other is dropped, and this run stays as it was.
        let new = replacing
        if fm.fileExists(atPath: new.file(Self.latestName + "/config.json")), !fm.fileExists(atPath: latest),
            !fm.fileExists(atPath: file(Self.latestName + ".old"))
        {
            try? adoptReplacingRun()
        }
        try? fm.removeItem(atPath: new.path)
        for entry in (try? fm.contentsOfDirectory(atPath: path)) ?? []
        where entry.hasPrefix(".") && entry.hasSuffix(".tmp") {
            try? fm.removeItem(atPath: file(entry))
        }
    }

    /// Replaces the run here by the one in `replacing` (which has written its first checkpoint): the
    /// old run's names go, the new run's move in (renames: an open metrics file keeps writing to the
    /// same file), and `replacing/` is removed.
    ///
    /// - Throws: `RunDirectoryError.cannotReplace` naming the file that could not move.
    public func adoptReplacingRun() throws {
        let fm = FileManager.default
        let new = replacing
        // latest/ first: once it is gone, `cleanLeftovers` finishes an adoption that was cut short.
        let oldNames =
            [Self.latestName + ".old", Self.latestName] + Self.runNames.filter { !$0.hasPrefix(Self.latestName) }
        for name in oldNames + [Self.plotName] where fm.fileExists(atPath: file(name)) {
            do { try fm.removeItem(atPath: file(name)) } catch {
                throw RunDirectoryError.cannotReplace(path: file(name), reason: fileErrorReason(error))
            }
        }
        for name in Self.runNames + [Self.plotName] where fm.fileExists(atPath: new.file(name)) {
            guard rename(new.file(name), file(name)) == 0 else {
                throw RunDirectoryError.cannotReplace(path: file(name), reason: errnoReason(errno))
            }
        }
        try? fm.removeItem(atPath: new.path)
        try Checkpoint.syncDirectory(path)
    }

    // MARK: - Saved settings

    /// config.json's `training` section of the checkpoint `--resume PATH` continues from (`latest/`
    /// first), decoded as `T` (Training's settings: this module keeps them opaque); nil when it
    /// cannot be read (loading the checkpoint then says what is wrong with it).
    public static func savedTraining<T: Decodable>(_ type: T.Type, resume: String) -> T? {
        guard let checkpoint = try? Checkpoint.resolve(resume, preferLatest: true) else { return nil }
        let config = (checkpoint as NSString).appendingPathComponent("config.json")
        guard let data = try? Checkpoint.readJSON(config, fail: { CheckpointError(path: config, reason: $0) }) else {
            return nil
        }
        return (try? JSONDecoder().decode(TrainingSection<T>.self, from: data))?.training
    }
}

/// config.json's `training` section alone (the model's fields are `Checkpoint.load`'s).
private struct TrainingSection<T: Decodable>: Decodable { var training: T? }

/// Why a run directory cannot be used as asked. The cases carry the facts; the executable names
/// its flags (`--resume`, `--out`, `--overwrite`).
public enum RunDirectoryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A new run was to start in `path`, which holds a run already.
    case holdsRun(path: String, contents: RunDirectory.Contents)
    /// A resumed checkpoint is not part of a run directory: the continued run needs a directory.
    case checkpointOutsideRun(path: String)
    /// A branch of `source` could not be started in `path`.
    case cannotBranch(path: String, source: String, reason: String)
    /// The previous run's file could not be replaced by the new run's.
    case cannotReplace(path: String, reason: String)

    public var description: String {
        switch self {
        case .holdsRun(let path, let contents):
            return "\(path) already holds a run (\(contents)): continue that run, or start the new one in "
                + "another directory"
        case .checkpointOutsideRun(let path):
            return "\(path) is a checkpoint, not a run directory: give the continued run a directory of its own"
        case .cannotBranch(let path, let source, let reason):
            return "cannot start the run directory \(path) from \(source): \(reason)"
        case .cannotReplace(let path, let reason):
            return "cannot replace \(path) with the new run's: \(reason) (the new run is in the .replacing folder)"
        }
    }
}

import FileIO
import Foundation
import Models
import NeuralCore
import TensorIO
import Tokenization

/// A checkpoint directory:
///
/// ```
/// config.json            model architecture (cell, layers, hidden, embedding, dropout, vocab_size,
///                        format_version) and the training settings
/// vocab.json             the vocabulary (unit, normalization, tokens in id order)
/// model.safetensors      weights with PyTorch's names, float32
/// optimizer.safetensors  optimizer moments and the streams' hidden state (for resume)
/// trainer_state.json     step, epoch, stream position, RNG state, best validation loss, history
/// ```
///
/// Writes are atomic: everything goes to `DIR.tmp`, is fsynced, and replaces `DIR` by renames
/// (`DIR` → `DIR.old`, `DIR.tmp` → `DIR`). A process killed at any moment leaves either `DIR` or
/// `DIR.old` complete, and `Checkpoint.resolve` finds whichever exists.
///
/// This module knows the model, the vocabulary and the files; the trainer's documents (the
/// `training` section of config.json, trainer_state.json, the optimizer's tensors) are opaque here:
/// Training encodes, decodes and validates them (Training's `Checkpoint+Training.swift`), so that
/// sampling, evaluation and inspection load a model without the trainer.
public struct Checkpoint {
    public var config: ModelConfig
    public var vocabulary: Vocabulary
    public var model: LanguageModel
    /// config.json as read: the trainer decodes its `training` section from these bytes.
    public var configJSON: Data
    /// trainer_state.json as read (at most 256 MiB, no duplicate key), nil when absent.
    public var trainerStateJSON: Data?
    /// Optimizer and hidden-state tensors by name: empty for a weights-only checkpoint, and when
    /// loaded with `optimizerState: false` (then `restore` reads them from the file).
    public var extraTensors: [String: TensorRecord]
    /// The directory it was read from.
    public var path: String

    static let files = ["config.json", "vocab.json", "model.safetensors"]

    /// The path of `name` inside this checkpoint.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    // MARK: - Locating

    /// Resolves a path given by the user to a checkpoint directory: a checkpoint itself, or a run
    /// directory (then `best/`, falling back to `latest/`), each possibly left as `.old` by an
    /// interrupted write.
    public static func resolve(_ path: String, preferLatest: Bool = false) throws -> String {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
            if fm.fileExists(atPath: path + ".old") { return path + ".old" }
            throw CheckpointError(path: path, reason: "no such file or directory")
        }
        guard isDir.boolValue else {
            throw CheckpointError(
                path: path,
                reason:
                    "not a directory (a checkpoint is a directory holding config.json, vocab.json and model.safetensors)"
            )
        }
        if fm.fileExists(atPath: (path as NSString).appendingPathComponent("config.json")) { return path }
        if let checkpoint = RunDirectory(path).checkpoint(preferLatest: preferLatest) { return checkpoint }
        throw CheckpointError(path: path, reason: "holds no config.json, nor a best/ or latest/ checkpoint")
    }

    // MARK: - Loading

    /// Loads and validates a checkpoint (see `resolve` for the paths accepted).
    /// - Parameter optimizerState: also read optimizer.safetensors (the moments and streams a
    ///   resumed run needs, twice the weights with Adam) into `extraTensors`; sampling and
    ///   evaluation leave it on disk.
    public static func load(
        _ userPath: String, preferLatest: Bool = false, optimizerState: Bool = true
    ) throws -> Checkpoint {
        let dir = try resolve(userPath, preferLatest: preferLatest)
        func file(_ name: String) -> String { (dir as NSString).appendingPathComponent(name) }
        func fail(_ name: String, _ reason: String) -> CheckpointError {
            CheckpointError(path: file(name), reason: reason)
        }
        func reason(_ error: Error, _ name: String) -> String { Self.reason(error, path: file(name)) }
        for f in files where !FileManager.default.fileExists(atPath: file(f)) { throw fail(f, "missing") }
        // Sizes and kinds before any read: a link to /dev/zero or a FIFO would never end, and a
        // huge file must not be read into memory that cannot hold it.
        let present = (files + ["optimizer.safetensors", "trainer_state.json"]).filter {
            FileManager.default.fileExists(atPath: file($0))
        }
        var total = 0
        for name in present {
            let size = try regularFileSize(file(name))
            total = total.addingReportingOverflow(size).overflow ? Int.max : total + size
        }
        // Reading decodes each file once more in memory (the tensors, the model's own copy).
        try MemoryEstimate.require(
            total.multipliedReportingOverflow(by: 3).overflow ? nil : total * 3,
            for: "loading the checkpoint \(quotedPath(dir)) (\(MemoryEstimate.format(total)) on disk)")

        let configData = try readJSON(file("config.json"), fail: { fail("config.json", $0) })
        // The model's fields only: the `training` section is the trainer's to decode.
        let config: ModelConfig
        do { config = try JSONDecoder().decode(ModelConfig.self, from: configData) } catch let e as ModelError {
            throw fail("config.json", "\(e)")
        } catch {
            throw fail(
                "config.json",
                "not a valid charnn config (\(decodingProblem(error, in: configData, decoding: ModelConfig.self)))")
        }
        do { try config.validate() } catch { throw fail("config.json", "\(error)") }

        let vocabulary: Vocabulary
        do { vocabulary = try Vocabulary.load(from: file("vocab.json")) } catch {
            throw fail("vocab.json", reason(error, "vocab.json"))
        }
        guard vocabulary.count == config.vocabularySize else {
            throw fail(
                "vocab.json", "has \(vocabulary.count) tokens but config.json says vocab_size \(config.vocabularySize)")
        }

        // The header first (validated whole); the values go from the file straight into the model.
        let weights: SafeTensorsReader
        do { weights = try SafeTensorsReader(path: file("model.safetensors")) } catch {
            throw fail("model.safetensors", reason(error, "model.safetensors"))
        }
        // Before allocating the model: a config.json that claims a huge model (hostile or damaged)
        // must not make us allocate it; the weights on disk bound what is plausible. (Each count
        // is at most the file's size, so the sum cannot overflow.)
        let stored = weights.entries.reduce(0) { $0 + $1.count }
        guard stored == config.parameterCount else {
            throw fail(
                "config.json",
                "describes a model of \(config.parameterCount) parameters, but model.safetensors holds \(stored) values"
            )
        }
        let model = try LanguageModel(config: config)
        do { try assign(weights, to: model.parameters) } catch let error as SafeTensorsError {
            throw fail("model.safetensors", reason(error, "model.safetensors"))
        } catch { throw fail("model.safetensors", "\(error)") }

        var extra: [String: TensorRecord] = [:]
        if optimizerState && FileManager.default.fileExists(atPath: file("optimizer.safetensors")) {
            do {
                for t in try SafeTensors.read(path: file("optimizer.safetensors")).tensors { extra[t.name] = t }
            } catch { throw fail("optimizer.safetensors", reason(error, "optimizer.safetensors")) }
        }
        // Read and checked as JSON here (size, duplicate keys); decoded by the trainer.
        var state: Data? = nil
        if FileManager.default.fileExists(atPath: file("trainer_state.json")) {
            state = try readJSON(file("trainer_state.json"), fail: { fail("trainer_state.json", $0) })
        }
        return Checkpoint(
            config: config, vocabulary: vocabulary, model: model, configJSON: configData,
            trainerStateJSON: state, extraTensors: extra, path: dir)
    }

    /// The size of the regular file at `path` (symlinks followed); anything else is refused.
    static func regularFileSize(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CheckpointError(path: path, reason: errnoReason(errno))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            // A directory gets the system's own words (EISDIR), like any other reader's error.
            let kind =
                (info.st_mode & S_IFMT) == S_IFDIR
                ? errnoReason(EISDIR)
                : "not a regular file (a device or a FIFO)"
            throw CheckpointError(path: path, reason: kind)
        }
        return Int(info.st_size)
    }

    /// A checkpoint's JSON file: at most 256 MiB, and no key twice in one object.
    static func readJSON(_ path: String, fail: (String) -> CheckpointError) throws -> Data {
        let size = try regularFileSize(path)
        guard size <= 1 << 28 else {
            throw fail("\(MemoryEstimate.format(size)), too large for a checkpoint's JSON file")
        }
        let data: Data
        do { data = Data(try ReadableFile.bytes(at: path, limit: 1 << 28)) } catch {
            throw fail("cannot read: \(fileErrorReason(error))")
        }
        if let key = duplicateJSONKey(in: data) { throw fail("the key '\(key)' appears twice") }
        return data
    }

    /// The message of a file-level error without its leading "PATH: " (the checkpoint error names the file).
    package static func reason(_ error: Error, path: String) -> String {
        let text = fileErrorReason(error)
        for prefix in [quotedPath(path) + ": ", path + ": "] where text.hasPrefix(prefix) {
            return String(text.dropFirst(prefix.count))
        }
        return text
    }

    /// Reads the file's tensors into the parameters, checking names, shapes and finiteness.
    static func assign(_ file: SafeTensorsReader, to parameters: [Parameter]) throws {
        var byName: [String: SafeTensorsReader.Entry] = [:]
        for t in file.entries { byName[t.name] = t }
        for p in parameters {
            guard let t = byName.removeValue(forKey: p.name) else { throw ModelError.missingTensor(p.name) }
            guard t.shape == p.shape, t.count == p.count else {
                throw ModelError.shapeMismatch(name: p.name, expected: p.shape, found: t.shape)
            }
            let values = UnsafeMutableBufferPointer(start: p.value.pointer, count: p.count)
            try file.read(t, into: values)
            guard values.allSatisfy({ $0.isFinite }) else { throw ModelError.nonFiniteValues(p.name) }
        }
        if let name = byName.keys.sorted().first { throw ModelError.unexpectedTensor(name) }
    }

    // MARK: - Saving

    /// A tensor of optimizer.safetensors, written from its buffer (no copy of it is made).
    public struct Tensor {
        public var name: String
        public var shape: [Int]
        public var buffer: FloatBuffer

        public init(name: String, shape: [Int], buffer: FloatBuffer) {
            self.name = name
            self.shape = shape
            self.buffer = buffer
        }
    }

    /// `save` with the extra tensors as values (copied into buffers first).
    public static func save(
        to dir: String, model: LanguageModel, vocabulary: Vocabulary,
        training: (any Encodable)?, extraTensors extra: [TensorRecord],
        extraMetadata: [String: String] = [:], trainerState: (any Encodable)?
    ) throws {
        try save(
            to: dir, model: model, vocabulary: vocabulary, training: training,
            extraTensors: extra.map { Tensor(name: $0.name, shape: $0.shape, buffer: FloatBuffer($0.values)) },
            extraMetadata: extraMetadata, trainerState: trainerState)
    }

    /// Writes a checkpoint atomically to `dir`: the model and vocabulary, `training` as config.json's
    /// `training` section, `extraTensors` (if any) as optimizer.safetensors with `extraMetadata`, and
    /// `trainerState` (if any) as trainer_state.json. Training's overload fills the trainer's parts.
    /// The tensors go to the files straight from their buffers: saving a model allocates no copy
    /// of its weights or of the optimizer's state.
    public static func save(
        to dir: String, model: LanguageModel, vocabulary: Vocabulary,
        training: (any Encodable)?, extraTensors extra: [Tensor] = [],
        extraMetadata: [String: String] = [:], trainerState: (any Encodable)?
    ) throws {
        let fm = FileManager.default
        let tmp = dir + ".tmp", old = dir + ".old"
        func fail(_ reason: String) -> CheckpointError { CheckpointError(path: dir, reason: reason) }
        try checkReplaceable(dir)
        do {
            if fm.fileExists(atPath: tmp) { try fm.removeItem(atPath: tmp) }
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        } catch { throw fail("cannot create \(tmp): \(fileErrorReason(error))") }
        func file(_ name: String) -> String { (tmp as NSString).appendingPathComponent(name) }

        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeSynced(
                try encoder.encode(ConfigFile(model: model.config, training: training)), to: file("config.json"))
            try writeSynced(try vocabulary.jsonData(), to: file("vocab.json"))
            try writeTensors(
                model.parameters.map { Tensor(name: $0.name, shape: $0.shape, buffer: $0.value) },
                metadata: ["format": "pt", "producer": "charnn"], to: file("model.safetensors"))
            if !extra.isEmpty { try writeTensors(extra, metadata: extraMetadata, to: file("optimizer.safetensors")) }
            if let trainerState { try writeSynced(try encoder.encode(trainerState), to: file("trainer_state.json")) }
            try syncDirectory(tmp)
        } catch let e as CheckpointError { throw e } catch {
            throw fail(decodingProblem(error))
        }
        // Replace: DIR → DIR.old, DIR.tmp → DIR, then drop DIR.old. Each rename is atomic. When DIR
        // is missing (an earlier save stopped between the renames), DIR.old is the only complete
        // copy: it stays until the new DIR is in place.
        if fm.fileExists(atPath: dir) {
            if fm.fileExists(atPath: old) { try? fm.removeItem(atPath: old) }
            guard rename(dir, old) == 0 else {
                throw fail("cannot move the previous checkpoint aside: \(errnoReason(errno))")
            }
        }
        guard rename(tmp, dir) == 0 else {
            throw fail("cannot move the new checkpoint into place: \(errnoReason(errno))")
        }
        try syncDirectory((dir as NSString).deletingLastPathComponent)
        try? fm.removeItem(atPath: old)
    }

    /// Refuses a `latest` or `best` that is not a checkpoint (a regular file, or a directory of
    /// something else): saving would move it aside and delete it.
    public static func checkReplaceable(_ path: String) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        let why: String
        if !isDirectory.boolValue {
            why = "is a file, not a checkpoint directory"
        } else if !fm.fileExists(atPath: (path as NSString).appendingPathComponent("config.json")),
            let entries = try? fm.contentsOfDirectory(atPath: path), !entries.isEmpty
        {
            why = "is a directory that holds no checkpoint (no config.json)"
        } else {
            return
        }
        throw CheckpointError(path: path, reason: why + "; charnn will not replace it", remedy: .anotherRunDirectory)
    }

    /// Writes a file durably (DurableFile: temporary file, fsync, rename, fsync of the directory).
    static func writeSynced(_ data: Data, to path: String) throws {
        do { try DurableFile.write([UInt8](data), to: path) } catch {
            throw CheckpointError(path: path, reason: error.reason)
        }
    }

    /// Writes tensors durably from their buffers (`SafeTensors.write` of views).
    static func writeTensors(_ tensors: [Tensor], metadata: [String: String], to path: String) throws {
        let views = tensors.map {
            TensorView(
                name: $0.name, shape: $0.shape,
                values: UnsafeBufferPointer(start: $0.buffer.pointer, count: $0.buffer.count))
        }
        do {
            try withExtendedLifetime(tensors) {
                try SafeTensors.write(views: views, metadata: metadata, to: path, durable: true)
            }
        } catch let SafeTensorsError.cannotWrite(_, reason) {
            throw CheckpointError(path: path, reason: reason)
        }
    }

    static func syncDirectory(_ path: String) throws {
        do { try DurableFile.syncDirectory(path) } catch {
            throw CheckpointError(path: path, reason: error.reason)
        }
    }
}

/// `config.json` as written: the model's fields at top level, the trainer's settings under
/// `training`, and the producer.
struct ConfigFile: Encodable {
    var model: ModelConfig
    var training: (any Encodable)?

    enum Keys: String, CodingKey { case training, producer }

    func encode(to encoder: Encoder) throws {
        try model.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        if let training { try c.encode(training, forKey: .training) }
        try c.encode("charnn", forKey: .producer)
    }
}

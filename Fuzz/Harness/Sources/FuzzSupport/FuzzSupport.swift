// What every fuzz target shares: starting libFuzzer, a scratch folder, and a
// copy of a small valid checkpoint to damage one file at a time.
import CFuzzDriver
import Foundation

nonisolated(unsafe) private var oneInput: (UnsafeRawBufferPointer) -> Void = { _ in }

/// Runs libFuzzer with the process's arguments (`-max_total_time=60 corpus/…`), calling
/// `body` once per input. Every input must end without a trap; a trap is the crash libFuzzer reports.
///
/// SwiftPM links an executable target with `--defsym main=<Target>_main`; each target
/// defines that symbol (`@_cdecl`, built with `-parse-as-library`) and calls this.
public func runFuzzer(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                      _ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Int32 {
    oneInput = body
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        oneInput(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
}

/// A folder of this process's own (in /dev/shm when there is one: many small writes per second).
public let scratch: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = base + "/charnn-fuzz-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratch) }
    return path
}()

/// Writes `bytes` to `name` in the scratch folder; returns the path.
@discardableResult
public func writeScratch(_ bytes: UnsafeRawBufferPointer, name: String) -> String {
    let path = scratch + "/" + name
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

/// A fresh copy of the valid checkpoint in `Fuzz/base-checkpoint` (`FUZZ_BASE_CHECKPOINT`
/// names it; run.sh sets it) in the scratch folder; returns its path.
public func freshCheckpoint() -> String {
    let dir = scratch + "/checkpoint"
    if !FileManager.default.fileExists(atPath: dir + "/config.json") {
        guard let base = ProcessInfo.processInfo.environment["FUZZ_BASE_CHECKPOINT"] else {
            fatalError("set FUZZ_BASE_CHECKPOINT to Fuzz/base-checkpoint")
        }
        try? FileManager.default.removeItem(atPath: dir)
        try! FileManager.default.copyItem(atPath: base, toPath: dir)
    }
    return dir
}

/// Replaces one file of the scratch checkpoint with `bytes`, calls `body` with the
/// checkpoint's path, and puts the original back.
public func withDamagedCheckpoint(file: String, _ bytes: UnsafeRawBufferPointer, _ body: (String) -> Void) {
    let dir = freshCheckpoint()
    let path = dir + "/" + file
    let original = FileManager.default.contents(atPath: path)
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    body(dir)
    if let original { _ = FileManager.default.createFile(atPath: path, contents: original) }
}

/// Float arrays equal bit for bit (NaN payloads included).
public func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

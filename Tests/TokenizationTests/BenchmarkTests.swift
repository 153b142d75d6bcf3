import Foundation
import Tokenization
import XCTest
import _TestSupport

/// Throughput and memory of `CorpusEncoder.build` on ≥ 50 MB corpora. Opt-in:
///
///     swift build -c release --build-tests
///     RUN_BENCHMARKS=1 swift test -c release --skip-build --filter BenchmarkTests
///
/// The corpora are generated once into `$CHARNN_BENCH_DIR` (default: the
/// system's temporary directory): ASCII is the text of `$CHARNN_CORPUS` (default: the
/// complete works that `make corpora` writes to corpora/shakespeare.txt) repeated, CJK is
/// generated ideographs and punctuation in lines. Each test reports one
/// warm-up and three timed runs (p50 of wall time and of the thread's CPU
/// time, which other processes on a shared machine do not inflate), and the peak memory above the process's
/// resident size before the runs (Linux: VmHWM after resetting it through
/// /proc/self/clear_refs; elsewhere `getrusage`), next to the size of the ids.
final class BenchmarkTests: XCTestCase {
    private static let targetBytes = 52 * 1_000_000

    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["RUN_BENCHMARKS"] == "1" else {
            throw XCTSkip("benchmarks are opt-in: set RUN_BENCHMARKS=1 (and build with -c release)")
        }
    }

    func testBenchmarkASCII() throws {
        let path = try corpus(named: "charnn-bench-ascii.txt") { sink in
            let source =
                ProcessInfo.processInfo.environment["CHARNN_CORPUS"]
                ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("corpora/shakespeare.txt").path
            let text =
                (try? Data(contentsOf: URL(fileURLWithPath: source)))
                ?? Data(
                    String(
                        repeating: "First Citizen:\nBefore we proceed any further, hear me speak.\n\n", count: 20_000
                    ).utf8)
            var written = 0
            while written < BenchmarkTests.targetBytes { sink(text); written += text.count }
        }
        for unit in TextUnit.allCases { try measure(path, unit: unit, label: "ASCII") }
    }

    func testBenchmarkCJK() throws {
        let path = try corpus(named: "charnn-bench-cjk.txt") { sink in
            var random = SeededRandom(seed: 2024)
            var written = 0
            while written < BenchmarkTests.targetBytes {
                var block = String.UnicodeScalarView()
                for _ in 0..<2_000 {
                    let length = Int.random(in: 10...80, using: &random)
                    for k in 0..<length {
                        // 3,500 common ideographs, kana, and Chinese/Japanese punctuation.
                        let pick = Int.random(in: 0..<100, using: &random)
                        let value: UInt32 =
                            pick < 85
                            ? 0x4E00 + UInt32.random(in: 0..<3_500, using: &random)
                            : pick < 95
                                ? 0x3041 + UInt32.random(in: 0..<86, using: &random)
                                : [0x3001, 0x3002, 0xFF0C, 0x300C, 0x300D][Int.random(in: 0..<5, using: &random)]
                        block.append(Unicode.Scalar(value)!)
                        if k == length - 1 { block.append("\n") }
                    }
                }
                let data = Data(String(block).utf8)
                sink(data)
                written += data.count
            }
        }
        for unit in TextUnit.allCases { try measure(path, unit: unit, label: "CJK") }
    }

    /// Not a target, a check for pathologies: every family of `TextPieces` (emoji,
    /// decomposed accents, RTL, Indic, CJK) mixed with ASCII words.
    func testBenchmarkMixed() throws {
        let path = try corpus(named: "charnn-bench-mixed.txt") { sink in
            var written = 0
            var seed: UInt64 = 1
            while written < BenchmarkTests.targetBytes {
                let data = Data(TextPieces.text(seed: seed, count: 20_000).utf8)
                sink(data)
                written += data.count
                seed += 1
            }
        }
        for unit in TextUnit.allCases { try measure(path, unit: unit, label: "mixed") }
    }

    /// Writes a corpus once (streamed, so generating it costs no resident memory) and returns its path.
    private func corpus(named name: String, generate: (_ sink: (Data) -> Void) throws -> Void) throws -> String {
        let folder = ProcessInfo.processInfo.environment["CHARNN_BENCH_DIR"] ?? NSTemporaryDirectory()
        let path = (folder as NSString).appendingPathComponent(name)
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
            size >= BenchmarkTests.targetBytes
        {
            return path
        }
        _ = FileManager.default.createFile(atPath: path + ".tmp", contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path + ".tmp"))
        try generate { data in handle.write(data) }
        try handle.close()
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
        return path
    }

    private func measure(_ path: String, unit: TextUnit, label: String) throws {
        let bytes = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        _ = try CorpusEncoder.build(path: path, unit: unit)  // warm-up (page cache)
        let residentBefore = currentResidentBytes()
        resetPeakResident()
        var seconds: [Double] = []
        var cpuSeconds: [Double] = []
        var summary = ""
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = threadCPUSeconds()
            let corpus = try CorpusEncoder.build(path: path, unit: unit)
            cpuSeconds.append(threadCPUSeconds() - cpuStart)
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            let idBytes = corpus.ids.count * corpus.ids.bytesPerID
            summary =
                "\(corpus.ids.count) units, vocabulary \(corpus.vocabulary.count), ids \(mb(idBytes)) MB"
                + " (\(corpus.ids.bytesPerID) B/id)"
        }
        let peakAbove = max(0, peakResidentBytes() - residentBefore)
        let p50 = seconds.sorted()[1], cpuP50 = cpuSeconds.sorted()[1]
        print(
            String(
                format:
                    "[bench] %@ %@: %.1f MB; wall p50 %.3f s (min %.3f) = %.1f MB/s; thread CPU p50 %.3f s = %.1f MB/s; %@; peak RSS above start %@ MB",
                label, unit.rawValue, bytes / 1e6, p50, seconds.min()!, bytes / 1e6 / p50, cpuP50, bytes / 1e6 / cpuP50,
                summary, mb(peakAbove)))
    }

    private func mb(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1e6) }
}

/// CPU time of the calling thread (user + system), in seconds: unlike wall time,
/// not inflated by other processes competing for the cores.
private func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Resets the peak resident size (Linux: "5" to /proc/self/clear_refs resets VmHWM).
private func resetPeakResident() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

/// Peak resident memory of this process (since `resetPeakResident` on Linux), in bytes.
private func peakResidentBytes() -> Int {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
    {
        return kib * 1024
    }
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    #if canImport(Darwin)
    return Int(usage.ru_maxrss)  // bytes on Apple platforms
    #else
    return Int(usage.ru_maxrss) * 1024  // KiB on Linux
    #endif
}

/// Resident memory of this process now, in bytes (Linux: /proc/self/statm; elsewhere the peak).
private func currentResidentBytes() -> Int {
    if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
        let fields = statm.split(separator: " ")
        if fields.count > 1, let pages = Int(fields[1]) { return pages * Int(sysconf(Int32(_SC_PAGESIZE))) }
    }
    return peakResidentBytes()
}

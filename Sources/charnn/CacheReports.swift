// What the id cache did with a big corpus, said once per run (rank 0 alone speaks under mpirun).
import Foundation
import Tokenization

enum CacheReports {
    /// Prints every `CorpusCache` report worth a line: a cache written (with the encoding speed and
    /// the peak memory), a cache mapped, or a note (a damaged cache replaced, a folder not writable).
    static func install() {
        CorpusCache.observer = { report in
            for note in report.notes { Console.warning(note) }
            let name = (report.corpus as NSString).lastPathComponent
            let size = gigabytes(report.corpusBytes)
            let width = "\(report.bytesPerID) byte\(report.bytesPerID == 1 ? "" : "s") per id"
            switch report.outcome {
            case .built:
                Console.info(
                    String(
                        format: "encoded %@ (%@) in %.1f s, %.1f MB/s, peak memory %@; "
                            + "cached the ids in %@ (%@)", name, size, report.seconds,
                        Double(report.corpusBytes) / 1e6 / max(report.seconds, 1e-9),
                        gigabytes(report.peakResidentBytes), report.cachePath ?? "?", width))
            case .reused:
                Console.info(
                    String(
                        format: "mapped the ids of %@ (%@) from %@ in %.2f s (%@)", name, size,
                        report.cachePath ?? "?", report.seconds, width))
            case .uncached:
                // Small corpora are not cached: nothing to say unless something went wrong (the notes).
                if !report.notes.isEmpty {
                    Console.info(
                        String(
                            format: "encoded %@ (%@) in %.1f s, %.1f MB/s, peak memory %@; ids in memory",
                            name, size, report.seconds,
                            Double(report.corpusBytes) / 1e6 / max(report.seconds, 1e-9),
                            gigabytes(report.peakResidentBytes)))
                }
            }
        }
    }

    static func gigabytes(_ bytes: Int) -> String {
        bytes >= 1 << 30
            ? String(format: "%.2f GB", Double(bytes) / 1e9)
            : String(format: "%.1f MB", Double(bytes) / 1e6)
    }
}

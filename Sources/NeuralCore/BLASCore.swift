// OpenBLAS picks its kernels at load time from the CPU model. Releases that predate a CPU
// (Debian 12's 0.3.21 on Sapphire Rapids and later Xeons, for example) fall back to the
// generic "Prescott" SSE3 kernels, which train charnn 2.5× slower (docs/engine.md). OpenBLAS reads
// OPENBLAS_CORETYPE only while it loads, before `main`, so the fix is to start the program
// again with it set: `BLASCore.coreTypeForRestart` says when, the executable restarts.
#if !canImport(Accelerate)
import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
#endif

/// Which kernels the BLAS library uses, and the switch to better ones.
public enum BLASCore {
    /// Makes the BLAS map this thread's work buffer now (OpenBLAS maps 128 MiB at a thread's
    /// first product), so that a memory budget read after it sees the buffer in use.
    public static func mapThisThreadsBuffer() {
        let n = 64
        let a = [Float](repeating: 0, count: n * n), b = a
        var c = a
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    sgemm1(false, false, n, n, n, 1, pa.baseAddress!, n, pb.baseAddress!, n, 0, pc.baseAddress!, n)
                }
            }
        }
    }

    /// The kernel family in use ("Haswell", "SkylakeX", "Prescott"…; "Accelerate" on Apple).
    public static var name: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
        #endif
    }

    /// Core names that mean OpenBLAS did not recognise a CPU newer than its release.
    static let fallbacks: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "unknown"]

    /// The OPENBLAS_CORETYPE to ask for on a CPU with these /proc/cpuinfo flags, or nil when
    /// no better kernels than the fallback exist (no AVX2 and FMA).
    public static func preferredCore(cpuFlags flags: Set<Substring>) -> String? {
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// Whether to restart with `preferred`: OpenBLAS fell back to generic kernels and the user
    /// did not choose a core type.
    public static func shouldSwitch(current: String, preferred: String?, userChoice: String?) -> Bool {
        guard let preferred, userChoice == nil || userChoice!.isEmpty else { return false }
        return fallbacks.contains(current.lowercased()) && current.lowercased() != preferred.lowercased()
    }

    /// The OPENBLAS_CORETYPE a restart should set, or nil when there is nothing to fix: OpenBLAS
    /// runs kernels that fit the CPU, the CPU has no better ones, or the user chose a core type.
    /// (The restart itself is the executable's business: a library never replaces its process.)
    public static func coreTypeForRestart() -> String? {
        #if os(Linux)
        // The usual case, kernels that fit the CPU, returns before reading /proc/cpuinfo.
        guard fallbacks.contains(name.lowercased()) else { return nil }
        let user = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        let preferred = preferredCore(cpuFlags: cpuFlags())
        guard shouldSwitch(current: name, preferred: preferred, userChoice: user) else { return nil }
        return preferred
        #else
        return nil
        #endif
    }

    /// The instruction-set flags (as /proc/cpuinfo spells them) each OpenBLAS core type needs.
    /// A kernel family the CPU cannot run dies with SIGILL at the first product.
    static let requiredFlags: [String: [String]] = {
        let avx2 = ["avx2", "fma"]
        let avx512 = avx2 + ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
        return [
            "haswell": avx2, "zen": avx2, "skylakex": avx512,
            "cooperlake": avx512 + ["avx512_bf16"], "sapphirerapids": avx512 + ["avx512_bf16"],
        ]
    }()

    /// Why OPENBLAS_CORETYPE=`core` cannot run on a CPU with these flags, or nil when it can (or
    /// when nothing is known: no flags read, or a core type this table does not list).
    public static func unsupportedCoreReason(core: String, cpuFlags flags: Set<Substring>) -> String? {
        guard !flags.isEmpty, let needed = requiredFlags[core.lowercased()] else { return nil }
        let missing = needed.filter { !flags.contains(Substring($0)) }
        guard !missing.isEmpty else { return nil }
        return "OPENBLAS_CORETYPE=\(core) selects kernels this CPU cannot run "
            + "(it lacks \(missing.joined(separator: ", "))); "
            + "unset OPENBLAS_CORETYPE or choose a core type the CPU supports, such as "
            + (preferredCore(cpuFlags: flags) ?? "Prescott")
    }

    /// The error `checkCoreType` throws.
    public struct UnsupportedCore: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Checks, before the first BLAS call, that a core type the user forced with
    /// OPENBLAS_CORETYPE can run on this CPU (OpenBLAS would die with SIGILL inside its first
    /// product). The executable calls it at start; it does nothing when the variable is unset.
    public static func checkCoreType() throws(UnsupportedCore) {
        #if os(Linux)
        guard let raw = getenv("OPENBLAS_CORETYPE") else { return }
        let user = String(cString: raw)
        guard !user.isEmpty else { return }
        if let reason = unsupportedCoreReason(core: user, cpuFlags: cpuFlags()) {
            throw UnsupportedCore(description: reason)
        }
        #endif
    }

    /// The CPU's feature flags from /proc/cpuinfo (empty where unreadable).
    static func cpuFlags() -> Set<Substring> {
        #if os(Linux)
        guard let f = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0 {
            let s = String(cString: line!)
            if s.hasPrefix("flags") {
                return Set(s.drop(while: { $0 != ":" }).dropFirst().split(whereSeparator: { $0 == " " || $0 == "\n" }))
            }
        }
        #endif
        return []
    }
}

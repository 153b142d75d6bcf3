#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's memory use, as the kernel accounts it.
public enum ProcessMemory {
    /// Peak resident set size of this process so far, in bytes (getrusage's ru_maxrss: KiB on
    /// Linux — the same as /proc/self/status VmHWM — bytes on Apple platforms); nil if unknown.
    public static var peakResidentBytes: Int? {
        var usage = rusage()
        #if canImport(Darwin)
        let who = RUSAGE_SELF
        #else
        let who = __rusage_who_t(RUSAGE_SELF.rawValue)  // Glibc imports the enum, not its int
        #endif
        guard getrusage(who, &usage) == 0 else { return nil }
        #if canImport(Darwin)
        return Int(usage.ru_maxrss)
        #else
        return Int(usage.ru_maxrss) * 1024
        #endif
    }
}

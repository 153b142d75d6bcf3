// How much memory this process may still take: the least of what the machine has free and of
// every limit the process lives under (its cgroup, as in a container or a Slurm job, and its
// resource limits, as under `ulimit -v`).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory a new allocation may take, and where each bound comes from.
public enum MemoryBudget {
    /// Bytes this process can still allocate: the least of `MemAvailable` (/proc/meminfo; the
    /// physical memory where there is none), the cgroup's limit less its usage (v2 `memory.max −
    /// memory.current` of the process's cgroup and its ancestors; v1 `memory.limit_in_bytes −
    /// memory.usage_in_bytes`), `RLIMIT_AS` less the address space in use and `RLIMIT_DATA` less
    /// the data segment in use.
    public static func available() -> Int {
        bounds().map(\.bytes).min() ?? Int.max
    }

    /// Whether an address-space or data limit (`ulimit -v`, `ulimit -d`) applies: then memory that
    /// is only mapped, never touched, counts too.
    public static var limitsMappings: Bool {
        limitRoom(RLIMIT_AS_CODE, used: 0) != nil || limitRoom(RLIMIT_DATA_CODE, used: 0) != nil
    }

    /// One bound on the memory available: what it is ("MemAvailable", "cgroup memory.max",
    /// "RLIMIT_AS") and the bytes it leaves.
    public struct Bound: Sendable, Equatable, CustomStringConvertible {
        public var source: String
        public var bytes: Int
        public var description: String { "\(source): \(bytes) bytes" }
    }

    /// Every bound that applies to this process now.
    public static func bounds() -> [Bound] {
        var out: [Bound] = []
        if let free = memAvailable() {
            out.append(Bound(source: "MemAvailable", bytes: free))
        } else {
            let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
            if pages > 0, pageSize > 0 {
                out.append(
                    Bound(
                        source: "physical memory",
                        bytes: pages.multipliedReportingOverflow(by: pageSize).overflow ? Int.max : pages * pageSize))
            }
        }
        if let cgroup = cgroupRoom() { out.append(cgroup) }
        let usage = processUsage()
        if let room = limitRoom(RLIMIT_AS_CODE, used: usage?.addressSpace) {
            out.append(Bound(source: "RLIMIT_AS (ulimit -v)", bytes: room))
        }
        if let room = limitRoom(RLIMIT_DATA_CODE, used: usage?.data) {
            out.append(Bound(source: "RLIMIT_DATA (ulimit -d)", bytes: room))
        }
        return out
    }

    // MARK: - The sources

    /// `MemAvailable` of /proc/meminfo in bytes (Linux), nil elsewhere.
    static func memAvailable() -> Int? {
        guard let text = smallFile("/proc/meminfo") else { return nil }
        return parseMeminfo(text)
    }

    /// The `MemAvailable:` line of a /proc/meminfo text, in bytes.
    package static func parseMeminfo(_ text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
            let (bytes, overflow) = kib.multipliedReportingOverflow(by: 1024)
            return overflow ? Int.max : bytes
        }
        return nil
    }

    /// The room left by the cgroup memory limits of this process (the tightest of its cgroup and
    /// its ancestors), or nil where no limit applies or none can be read.
    package static func cgroupRoom(
        procSelfCgroup: String = "/proc/self/cgroup", v2Root: String = "/sys/fs/cgroup",
        v1Root: String = "/sys/fs/cgroup/memory"
    ) -> Bound? {
        guard let table = smallFile(procSelfCgroup) else { return nil }
        var best: Bound? = nil
        func consider(_ bytes: Int, _ source: String) {
            if best == nil || bytes < best!.bytes { best = Bound(source: source, bytes: bytes) }
        }
        for line in table.split(separator: "\n") {
            // "hierarchy-ID:controllers:path": v2 is "0::/path", v1's memory line names "memory".
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                var dir = path
                while true {
                    let base = v2Root + (dir == "/" ? "" : dir)
                    if let limit = readNumber(base + "/memory.max"), let used = readNumber(base + "/memory.current") {
                        consider(max(limit - used, 0), "cgroup \(dir) memory.max")
                    }
                    if dir == "/" || dir.isEmpty { break }
                    dir = DurableFile.parent(of: dir)
                }
            } else if parts[1].split(separator: ",").contains("memory") {
                var dir = path
                while true {
                    let base = v1Root + (dir == "/" ? "" : dir)
                    if let limit = readNumber(base + "/memory.limit_in_bytes"),
                        let used = readNumber(base + "/memory.usage_in_bytes"),
                        limit < Int.max / 2  // "no limit" is a huge page-aligned number
                    {
                        consider(max(limit - used, 0), "cgroup \(dir) memory.limit_in_bytes")
                    }
                    if dir == "/" || dir.isEmpty { break }
                    dir = DurableFile.parent(of: dir)
                }
            }
        }
        return best
    }

    /// A file holding one number ("max" reads as no limit: nil).
    private static func readNumber(_ path: String) -> Int? {
        guard let text = smallFile(path) else { return nil }
        let trimmed = text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first.map(String.init) ?? ""
        return Int(trimmed)
    }

    /// What this process uses now: its address space and its data segment (/proc/self/statm).
    static func processUsage() -> (addressSpace: Int, data: Int)? {
        guard let text = smallFile("/proc/self/statm") else { return nil }
        let fields = text.split(separator: " ").compactMap { Int($0.filter { $0.isNumber }) }
        let page = sysconf(Int32(_SC_PAGESIZE))
        guard fields.count >= 6, page > 0 else { return nil }
        return (fields[0] * page, fields[5] * page)
    }

    /// The soft limit less `used` (0 when already past it), nil when unlimited.
    static func limitRoom(_ resource: Int32, used: Int?) -> Int? {
        var limit = rlimit()
        #if os(Linux)
        guard getrlimit(__rlimit_resource_t(UInt32(resource)), &limit) == 0 else { return nil }
        #else
        guard getrlimit(resource, &limit) == 0 else { return nil }
        #endif
        // RLIM_INFINITY is the largest rlim_t: past Int.max, unlimited.
        guard limit.rlim_cur < rlim_t(Int.max) else { return nil }
        return max(Int(limit.rlim_cur) - (used ?? 0), 0)
    }

    /// A small text file (/proc, /sys), nil when it cannot be read.
    private static func smallFile(_ path: String) -> String? {
        guard let bytes = try? ReadableFile.bytes(at: path, limit: 1 << 20) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

#if os(Linux)
private let RLIMIT_AS_CODE = Int32(RLIMIT_AS.rawValue)
private let RLIMIT_DATA_CODE = Int32(RLIMIT_DATA.rawValue)
#else
private let RLIMIT_AS_CODE = RLIMIT_AS
private let RLIMIT_DATA_CODE = RLIMIT_DATA
#endif

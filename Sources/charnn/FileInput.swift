// Reading a whole small input file (bench's corpus, --prime-file) with POSIX calls: a FIFO is
// read like a file, and every failure is "PATH: <errno text>".
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FileInput {
    /// The bytes of `path`; at most `limit` of them (a larger input is refused, not allocated).
    static func bytes(_ path: String, limit: Int = 1 << 31) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CLIError("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            throw CLIError("\(path): \(String(cString: strerror(EISDIR)))")
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("\(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return out }
            guard out.count + n <= limit else { throw CLIError("\(path): larger than \(limit) bytes") }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// The text of `path`, which must be UTF-8.
    static func text(_ path: String, limit: Int = 1 << 31) throws -> String {
        let data = try bytes(path, limit: limit)
        guard let s = String(validating: data, as: UTF8.self) else { throw CLIError("\(path): not valid UTF-8 text") }
        return s
    }
}

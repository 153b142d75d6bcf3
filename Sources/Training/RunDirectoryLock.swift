import Checkpointing
import FileIO
import Foundation

/// A run directory is owned by one trainer at a time: `DIR/.lock`, held with `flock` for as long
/// as the session runs, and holding the owner's pid for the message the next trainer gets. The
/// kernel drops the lock when the process ends, however it ends, so a killed run never leaves the
/// directory locked.
final class RunDirectoryLock {
    let directory: String
    private var fd: Int32

    /// Takes the lock, or throws `TrainingError.runDirectoryInUse` naming the owner's pid.
    init(directory: String) throws {
        self.directory = directory
        let path = RunDirectory(directory).lock
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TrainingError.cannotWrite(path: path, reason: errnoReason(errno), what: .lockFile) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            fd = -1
            guard code == EWOULDBLOCK else {
                throw TrainingError.cannotWrite(
                    path: path, reason: "cannot lock: \(errnoReason(code))", what: .lockFile)
            }
            let text = String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self)
            throw TrainingError.runDirectoryInUse(
                path: directory,
                pid: Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
    }

    func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }
}

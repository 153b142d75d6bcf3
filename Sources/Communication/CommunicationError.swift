/// Errors of the communicator seam: facts about the job, for the executable to put into words.
public enum CommunicationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A collective named a root rank that does not exist.
    case invalidRoot(Int, size: Int)
    /// A gather would carry more bytes than one MPI call can address (counts are 32-bit).
    case messageTooLarge(bytes: Int)
    /// The transport reported an error: the call, MPI's error code and its message.
    case failed(call: String, code: Int32, message: String)
    /// Started by an MPI launcher (`variable` is the environment variable that said so) as one of `size`
    /// processes (nil: the launcher does not say), but this build has no MPI.
    case mpiNotBuilt(variable: String, size: Int?)
    /// MPI reported a world that disagrees with what the launcher announced.
    case worldMismatch(launcherSize: Int, mpiSize: Int)

    public var description: String {
        switch self {
        case .invalidRoot(let root, let size):
            return "root rank \(root) does not exist in a job of \(size) process\(size == 1 ? "" : "es")"
        case .messageTooLarge(let bytes):
            return "a gather of \(bytes) bytes is larger than one MPI call carries (\(Int(Int32.max)) bytes)"
        case .failed(let call, let code, let message):
            return "\(call) failed (MPI error \(code)): \(message)"
        case .mpiNotBuilt(let variable, let size):
            let count = size.map { "one of \($0) processes" } ?? "one of several processes"
            return "started by an MPI launcher (\(variable) is set) as \(count), but this build has no MPI"
        case .worldMismatch(let launcherSize, let mpiSize):
            return "the launcher started \(launcherSize) processes but MPI sees \(mpiSize)"
        }
    }
}

// Foundation's file errors (FileManager, Data(contentsOf:), String(contentsOfFile:)) in the
// system's words: the one turn of such an error into a reason.
import Foundation

/// The reason behind a file error, without the path: the POSIX reason of a Foundation error
/// ("File exists", "Not a directory") where it has one, the reason of this module's own errors,
/// else the error's own description.
public func fileErrorReason(_ error: any Error) -> String {
    switch error {
    case let e as FileWriteError: return e.reason
    case let e as FileReadError:
        switch e {
        case .unreadable(_, let reason): return reason
        case .notFound: return errnoReason(ENOENT)
        case .isDirectory: return errnoReason(EISDIR)
        case .tooLarge(_, let limit): return "larger than \(limit) bytes"
        case .emptyPath: return e.description
        }
    default: break
    }
    let ns = error as NSError
    if ns.domain == NSPOSIXErrorDomain { return errnoReason(Int32(ns.code)) }
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error {
        let u = underlying as NSError
        if u.domain == NSPOSIXErrorDomain { return errnoReason(Int32(u.code)) }
    }
    // Foundation's words for its own errors and for an error with a `LocalizedError` description
    // (the bridge reads `errorDescription`); any other error says itself (its `description`), not
    // "The operation could not be completed".
    if ns.domain == NSCocoaErrorDomain || error is any LocalizedError { return ns.localizedDescription }
    return String(describing: error)
}

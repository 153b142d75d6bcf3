import FileIO
import Foundation

// One way to turn any error into the text after "error: " (argument-parser's `Error.describe()`):
// our own messages, the libraries' structured errors (worded with flags, Describe+Flags.swift),
// and Foundation's file errors, which otherwise read "You don't have permission" or
// `Code=256 "(null)"` without naming the file.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A user error with a message of our own.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}

/// The message for an error, without the "error: " prefix.
func describe(_ error: any Error) -> String {
    switch error {
    case let e as CLIError: return e.description
    case let e as DecodingError: return describeDecoding(e)
    case let e as FileReadError: return e.description
    case let e as FileWriteError: return e.description
    default: break
    }
    if let text = describeWithFlags(error) { return text }
    // Before LocalizedError: Foundation's own errors conform to it with unhelpful texts.
    let ns = error as NSError
    if ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain { return describeFile(ns) }
    if let text = (error as? LocalizedError)?.errorDescription { return text }
    return String(describing: error)
}

/// "PATH: Permission denied" from a Foundation file error: the path from the user info, the
/// reason from the underlying POSIX error when there is one, else from the Cocoa code.
func describeFile(_ ns: NSError) -> String {
    var path = ns.userInfo[NSFilePathErrorKey] as? String
    if path == nil, let url = ns.userInfo[NSURLErrorKey] as? URL { path = url.path }
    var reason: String?
    let underlying = (ns.userInfo[NSUnderlyingErrorKey] as? any Error).map { $0 as NSError }
    if ns.domain == NSPOSIXErrorDomain || underlying?.domain == NSPOSIXErrorDomain { reason = fileErrorReason(ns) }
    if reason == nil {
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: reason = errnoReason(ENOENT)
        case .fileReadNoPermission, .fileWriteNoPermission: reason = errnoReason(EACCES)
        case .fileWriteOutOfSpace: reason = errnoReason(ENOSPC)
        case .fileWriteVolumeReadOnly: reason = errnoReason(EROFS)
        case .fileWriteFileExists: reason = errnoReason(EEXIST)
        case .fileReadInapplicableStringEncoding, .fileReadUnknownStringEncoding:
            reason = "not valid UTF-8 text"
        case .fileReadTooLarge: reason = "too large to read"
        case .fileReadCorruptFile: reason = "not in the expected format"
        case .fileReadUnknown: reason = "cannot be read"
        case .fileWriteUnknown: reason = "cannot be written"
        default: reason = nil
        }
    }
    // Foundation's catch-all codes (256 "fileReadUnknown", often with no underlying error):
    // ask the file system what is wrong with the path.
    if let path, reason == nil || reason == "cannot be read" || reason == "cannot be written",
        let found = fileProblem(path)
    {
        reason = found
    }
    let text = reason ?? "\(ns.domain) error \(ns.code)"
    return path.map { "\(quotedPath($0)): \(text)" } ?? text
}

/// Where in the JSON a decoding error happened, and what was wrong.
func describeDecoding(_ e: DecodingError) -> String {
    func at(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch e {
    case .dataCorrupted(let c): return "not valid JSON\(at(c.codingPath))"
    case .keyNotFound(let key, let c): return "missing key '\(key.stringValue)'\(at(c.codingPath))"
    case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(c.debugDescription)\(at(c.codingPath))"
    @unknown default: return "\(e)"
    }
}

/// What stops `path` from being read as a file: "Is a directory", or open(2)'s errno text.
func fileProblem(_ path: String) -> String? {
    var st = stat()
    if stat(path, &st) != 0 { return errnoReason(errno) }
    if (st.st_mode & S_IFMT) == S_IFDIR { return errnoReason(EISDIR) }
    let fd = open(path, O_RDONLY | O_NONBLOCK)
    if fd < 0 { return errnoReason(errno) }
    close(fd)
    return nil
}

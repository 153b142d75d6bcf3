// Creating the folder a file goes into (the corpus id cache's folder under ~/.cache).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `mkdir -p`: creates `path` and its missing parents (mode 0755).
///
/// - Returns: whether `path` exists afterwards.
public func makeFolders(_ path: String) -> Bool {
    if access(path, F_OK) == 0 { return true }
    let parent = DurableFile.parent(of: path)
    if parent != path && parent != "." && parent != "/" { _ = makeFolders(parent) }
    return mkdir(path, 0o755) == 0 || errno == EEXIST
}

// Memory for the corpus buffers: malloc and friends, trapping when the system is out of memory, and
// the variants that return nil for the large buffers (the ids, the chunk) whose refusal is an error.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
#error("Tokenization needs a POSIX C library (Glibc, Musl or Darwin)")
#endif

/// `malloc`; traps when the system is out of memory.
func allocateBytes(_ byteCount: Int) -> UnsafeMutableRawPointer {
    guard let p = malloc(max(byteCount, 1)) else { fatalError("out of memory allocating \(byteCount) bytes") }
    return p
}

/// Zero-filled memory (`calloc`): for large blocks the pages are mapped lazily,
/// so untouched parts of a big table cost no resident memory.
func allocateZeroedBytes(_ byteCount: Int) -> UnsafeMutableRawPointer {
    guard let p = calloc(max(byteCount, 1), 1) else { fatalError("out of memory allocating \(byteCount) bytes") }
    return p
}

/// `realloc`: grows or shrinks a block from `allocateBytes`, keeping its contents.
func reallocateBytes(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int) -> UnsafeMutableRawPointer {
    guard let p = realloc(pointer, max(byteCount, 1)) else { fatalError("out of memory allocating \(byteCount) bytes") }
    return p
}

/// `malloc` that returns nil when the system refuses (a memory limit): for the large buffers whose
/// refusal must be an error message, not a trap.
func allocateBytesIfPossible(_ byteCount: Int) -> UnsafeMutableRawPointer? { malloc(max(byteCount, 1)) }

/// `realloc` that returns nil, leaving the block as it was, when the system refuses.
func reallocateBytesIfPossible(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int) -> UnsafeMutableRawPointer? {
    realloc(pointer, max(byteCount, 1))
}

/// `free` for blocks from `allocateBytes`, `allocateZeroedBytes` or `reallocateBytes`.
func deallocateBytes(_ pointer: UnsafeMutableRawPointer) {
    free(pointer)
}

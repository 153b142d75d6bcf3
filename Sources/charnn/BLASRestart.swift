import NeuralCore

// The OpenBLAS restart: OpenBLAS reads OPENBLAS_CORETYPE only while it loads, so when it fell back
// to generic kernels on a CPU with AVX2 or AVX-512 (NeuralCore's `BLASCore.coreTypeForRestart`),
// the program starts again with the variable set. Only the executable replaces its process.
#if canImport(Glibc)
import Glibc
#endif

enum BLASRestart {
    /// Replaces the process image with the same program and arguments plus OPENBLAS_CORETYPE set
    /// to the kernels that fit the CPU. Returns (doing nothing) when there is nothing to fix, or
    /// when the restart fails (then the generic kernels run, slower but right).
    static func ifNeeded() {
        #if os(Linux)
        guard let core = BLASCore.coreTypeForRestart() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        // The binary's real path (not /proc/self/exe, which would rename the process "exe").
        var path = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &path, path.count - 1)
        execv(n > 0 ? path : Array("/proc/self/exe".utf8CString), CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
        #endif
    }
}

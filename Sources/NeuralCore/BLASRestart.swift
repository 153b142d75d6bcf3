// The OpenBLAS restart: OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS only while it
// loads, before `main`, so the fixes are to start the program again with them set. Only an
// executable replaces its process: charnn and charnn-serve call `BLASRestart.ifNeeded()` first
// thing in `main`.
//
// 1. The core type: when OpenBLAS fell back to generic kernels on a CPU with AVX2 or AVX-512
//    (NeuralCore's `BLASCore.coreTypeForRestart`).
// 2. One thread under an address-space or data limit (`ulimit -v`, `ulimit -d`): OpenBLAS starts
//    a worker thread per core as it loads, and each maps a 128 MiB buffer; where the limit refuses
//    it, the worker retries for ever, and `exit` then waits for it in OpenBLAS's shutdown (the
//    `error:` line is printed, the process never ends). charnn runs BLAS on one thread anyway
//    (`Parallelism` splits the products itself), so the workers only cost memory.
#if canImport(Glibc)
import Glibc
#endif

public enum BLASRestart {
    /// Replaces the process image with the same program and arguments plus OPENBLAS_CORETYPE set
    /// to the kernels that fit the CPU and, under a memory limit, OPENBLAS_NUM_THREADS=1. Returns
    /// (doing nothing) when there is nothing to fix, or when the restart fails (then the generic
    /// kernels run, slower but right, and the workers stay).
    public static func ifNeeded() {
        #if os(Linux)
        let core = BLASCore.coreTypeForRestart()
        let oneThread = oneThreadForLimit()
        guard core != nil || oneThread else { return }
        let threadsBefore = getenv("OPENBLAS_NUM_THREADS").map { String(cString: $0) }
        if let core { setenv("OPENBLAS_CORETYPE", core, 1) }
        if oneThread { setenv("OPENBLAS_NUM_THREADS", "1", 1) }
        // The binary's real path (not /proc/self/exe, which would rename the process "exe").
        var path = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &path, path.count - 1)
        execv(n > 0 ? path : Array("/proc/self/exe".utf8CString), CommandLine.unsafeArgv)
        if core != nil { unsetenv("OPENBLAS_CORETYPE") }
        if oneThread {
            if let threadsBefore {
                setenv("OPENBLAS_NUM_THREADS", threadsBefore, 1)
            } else {
                unsetenv("OPENBLAS_NUM_THREADS")
            }
        }
        #endif
    }

    #if os(Linux)
    /// Whether OpenBLAS should have started without workers and did not: a finite RLIMIT_AS or
    /// RLIMIT_DATA (whatever its size: the workers' buffers grow with the cores, 128 MiB each),
    /// and OPENBLAS_NUM_THREADS is not 1 already (which also ends the restart).
    static func oneThreadForLimit() -> Bool {
        if let value = getenv("OPENBLAS_NUM_THREADS"), String(cString: value) == "1" { return false }
        for resource in [RLIMIT_AS, RLIMIT_DATA] {
            var limit = rlimit()
            // RLIM_INFINITY is the largest rlim_t: past Int.max, unlimited.
            if getrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0 && limit.rlim_cur < rlim_t(Int.max) {
                return true
            }
        }
        return false
    }
    #endif
}

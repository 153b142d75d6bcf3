import Atomics
import Dispatch
import Foundation

/// Work a `SpinTeam` runs: `run(rank:)` is called once on every member, concurrently.
public protocol TeamJob: AnyObject {
    func run(rank: Int)
}

/// A fixed team of threads for work too fine-grained for Dispatch: one step of an RNN at
/// batch 1 takes tens of microseconds, about what it costs to wake a sleeping thread.
///
/// The caller is rank 0 and `size − 1` threads of the team's own are the others. Between
/// jobs they spin for `spin` (so the next step of a generation starts at once) and then
/// sleep on a semaphore (so an idle REPL costs no CPU). Inside a job, `barrier()` waits for
/// every member, spinning. Call `shutdown()` when done: the threads hold the team.
public final class SpinTeam: @unchecked Sendable {
    public let size: Int
    let spinNanoseconds: UInt64
    let epoch = ManagedAtomic<Int>(0)  // bumped once per job (and for shutdown)
    let finished = ManagedAtomic<Int>(0)  // members other than rank 0 done with the job
    let arrived = ManagedAtomic<Int>(0)  // members at the current barrier
    let generation = ManagedAtomic<Int>(0)  // barriers passed
    let stopping = ManagedAtomic<Bool>(false)
    let parked: [ManagedAtomic<Bool>]
    let wake: [DispatchSemaphore]
    let exited = DispatchSemaphore(value: 0)
    /// The current job; set before `epoch` is bumped (release) and read after it is seen (acquire).
    unowned(unsafe) var job: (any TeamJob)? = nil
    var isShutDown = false

    /// - Parameters:
    ///   - size: members including the caller (≥ 1; 1 runs everything on the caller).
    ///   - spin: how long an idle member spins before it sleeps.
    public init(size: Int, spin: Duration = .milliseconds(2)) {
        precondition(size >= 1, "a team needs at least one member")
        self.size = size
        let (s, atto) = spin.components
        spinNanoseconds = UInt64(max(0, s)) * 1_000_000_000 + UInt64(max(0, atto) / 1_000_000_000)
        parked = (0..<size).map { _ in ManagedAtomic(false) }
        wake = (0..<size).map { _ in DispatchSemaphore(value: 0) }
        for rank in 1..<max(1, size) {
            let thread = Thread { [self] in self.memberLoop(rank: rank) }
            thread.name = "charnn-team-\(rank)"
            thread.start()
        }
    }

    deinit { precondition(isShutDown || size == 1, "SpinTeam released without shutdown()") }

    /// Runs `job.run(rank:)` on every member and returns when all have finished.
    public func run(_ job: any TeamJob) {
        precondition(!isShutDown, "SpinTeam used after shutdown()")
        if size == 1 { job.run(rank: 0); return }
        self.job = job
        finished.store(0, ordering: .relaxed)
        epoch.wrappingIncrement(ordering: .sequentiallyConsistent)
        wakeParked()
        job.run(rank: 0)
        var spins = 0
        while finished.load(ordering: .acquiring) < size - 1 { Self.relax(&spins) }
        self.job = nil
    }

    /// Runs `job.run(rank:)` on every member and returns when the caller's own call returns,
    /// without waiting for the others: for a job that itself knows when its work is complete
    /// (work claimed in chunks, and counted as done), so that a member the OS has preempted does
    /// not hold the caller up. A member may then still be inside `run(rank:)` of an earlier
    /// start, and must find nothing there to do: the job has to tell its starts apart. A team
    /// runs either `run` jobs or `start` jobs, not both.
    public func start(_ job: any TeamJob) {
        precondition(!isShutDown, "SpinTeam used after shutdown()")
        if size == 1 { job.run(rank: 0); return }
        if self.job !== job { self.job = job }
        epoch.wrappingIncrement(ordering: .sequentiallyConsistent)
        wakeParked()
        job.run(rank: 0)
    }

    /// Waits until every member has reached this barrier. Only inside a job.
    public func barrier() {
        if size == 1 { return }
        let g = generation.load(ordering: .acquiring)
        if arrived.wrappingIncrementThenLoad(ordering: .acquiringAndReleasing) == size {
            arrived.store(0, ordering: .relaxed)
            generation.wrappingIncrement(ordering: .releasing)
        } else {
            var spins = 0
            while generation.load(ordering: .acquiring) == g { Self.relax(&spins) }
        }
    }

    /// Busy-waiting step: after ~100 µs of spinning (far longer than a member's share of a
    /// step), yield the core now and then, so a team larger than the free cores still makes
    /// progress.
    @inline(__always)
    public static func relax(_ spins: inout Int) {
        spins &+= 1
        if spins > 1 << 16 && spins & 255 == 0 { sched_yield() }
    }

    /// Stops the team's threads and waits for them to exit. Idempotent.
    public func shutdown() {
        if isShutDown { return }
        isShutDown = true
        if size == 1 { return }
        stopping.store(true, ordering: .sequentiallyConsistent)
        epoch.wrappingIncrement(ordering: .sequentiallyConsistent)
        wakeParked()
        for _ in 1..<size { exited.wait() }
    }

    func wakeParked() {
        for rank in 1..<size where parked[rank].exchange(false, ordering: .sequentiallyConsistent) {
            wake[rank].signal()
        }
    }

    func memberLoop(rank: Int) {
        var seen = 0
        while true {
            var e = epoch.load(ordering: .acquiring)
            var start = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while e == seen {
                Self.relax(&spins)
                if spins & 255 == 0 && DispatchTime.now().uptimeNanoseconds &- start > spinNanoseconds {
                    // Sleep. The sequentially consistent flag and epoch accesses on both sides
                    // make sure that either this thread sees the new epoch or `run` sees the flag.
                    parked[rank].store(true, ordering: .sequentiallyConsistent)
                    e = epoch.load(ordering: .sequentiallyConsistent)
                    if e != seen {
                        // Work arrived meanwhile; if `run` already took the flag, it signals: consume it.
                        if !parked[rank].exchange(false, ordering: .sequentiallyConsistent) { wake[rank].wait() }
                        break
                    }
                    wake[rank].wait()
                    start = DispatchTime.now().uptimeNanoseconds
                }
                e = epoch.load(ordering: .acquiring)
            }
            seen = e
            if stopping.load(ordering: .acquiring) { exited.signal(); return }
            job!.run(rank: rank)
            finished.wrappingIncrement(ordering: .releasing)
        }
    }
}

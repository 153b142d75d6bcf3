import Foundation
import XCTest

@testable import NeuralCore

/// A job that checks the barrier: in each phase every member writes the phase number into
/// its slot; after the barrier every member must see all slots at that phase.
final class PhaseJob: TeamJob, @unchecked Sendable {
    let team: SpinTeam
    let phases: Int
    let slots: UnsafeMutablePointer<Int>
    let errors: UnsafeMutablePointer<Int>  // one counter per member
    var round = 0

    init(team: SpinTeam, phases: Int) {
        self.team = team
        self.phases = phases
        slots = .allocate(capacity: team.size); slots.initialize(repeating: -1, count: team.size)
        errors = .allocate(capacity: team.size); errors.initialize(repeating: 0, count: team.size)
    }
    deinit { slots.deallocate(); errors.deallocate() }

    func run(rank: Int) {
        for p in 0..<phases {
            let value = round * phases + p
            slots[rank] = value
            team.barrier()
            for r in 0..<team.size where slots[r] != value { errors[rank] += 1 }
            team.barrier()
        }
    }
    var errorCount: Int { (0..<team.size).reduce(0) { $0 + errors[$1] } }
}

final class SpinTeamTests: XCTestCase {
    func testBarriersOrderEveryPhaseOnEveryTeamSize() {
        for size in [1, 2, 3, 4] {
            let team = SpinTeam(size: size)
            let job = PhaseJob(team: team, phases: 5)
            // More members than cores only progress by yielding: fewer rounds there.
            let rounds = size <= ProcessInfo.processInfo.activeProcessorCount ? 400 : 40
            for round in 0..<rounds {
                job.round = round
                team.run(job)
            }
            XCTAssertEqual(job.errorCount, 0, "team of \(size)")
            for r in 0..<size { XCTAssertEqual(job.slots[r], (rounds - 1) * 5 + 4) }
            team.shutdown()
        }
    }

    /// Members that have gone to sleep (past the spin time) wake up for the next job,
    /// whether the job comes just before, during or long after they park.
    func testMembersWakeFromSleep() {
        let team = SpinTeam(size: 3, spin: .microseconds(20))
        let job = PhaseJob(team: team, phases: 2)
        for round in 0..<200 {
            job.round = round
            team.run(job)
            usleep(UInt32(round % 7 == 0 ? 2_000 : round % 4 * 10))
        }
        XCTAssertEqual(job.errorCount, 0)
        team.shutdown()
        team.shutdown()  // idempotent
    }

    /// Every member runs the job exactly once per `run`.
    func testEveryMemberRunsOncePerJob() {
        final class Count: TeamJob, @unchecked Sendable {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 4)
            init() { counts.initialize(repeating: 0, count: 4) }
            func run(rank: Int) { counts[rank] += 1 }
        }
        let team = SpinTeam(size: 4, spin: .microseconds(5))
        let job = Count()
        for i in 0..<300 {
            team.run(job)
            if i % 50 == 0 { usleep(500) }
        }
        XCTAssertEqual((0..<4).map { job.counts[$0] }, [300, 300, 300, 300])
        team.shutdown()
        job.counts.deallocate()
    }
}

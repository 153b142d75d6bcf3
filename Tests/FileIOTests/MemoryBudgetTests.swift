import FileIO
import Foundation
import XCTest
import _TestSupport

/// The memory budget: the least of MemAvailable, the cgroup's room and the resource limits.
final class MemoryBudgetTests: XCTestCase {
    func testMeminfo() {
        let text = "MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    8000000 kB\n"
        XCTAssertEqual(MemoryBudget.parseMeminfo(text), 8_000_000 * 1024)
        XCTAssertNil(MemoryBudget.parseMeminfo("MemTotal: 1 kB\n"))
    }

    /// A cgroup v2 tree: the process's cgroup and an ancestor with a tighter limit.
    func testCgroupV2TakesTheTightestAncestor() throws {
        let root = try temporaryDirectory(self, "cgroup")
        func put(_ relative: String, _ text: String) throws {
            let url = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try put("proc-self-cgroup", "0::/jobs/job1\n")
        try put("v2/jobs/job1/memory.max", "max\n")
        try put("v2/jobs/job1/memory.current", "1000\n")
        try put("v2/jobs/memory.max", "5000000\n")
        try put("v2/jobs/memory.current", "1000000\n")
        let bound = MemoryBudget.cgroupRoom(
            procSelfCgroup: root.appendingPathComponent("proc-self-cgroup").path,
            v2Root: root.appendingPathComponent("v2").path, v1Root: "/nonexistent")
        XCTAssertEqual(bound?.bytes, 4_000_000)
        XCTAssertEqual(bound?.source, "cgroup /jobs memory.max")
    }

    func testCgroupV1MemoryController() throws {
        let root = try temporaryDirectory(self, "cgroup")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("v1/docker/abc"), withIntermediateDirectories: true)
        try Data("12:cpu,cpuacct:/docker/abc\n9:memory:/docker/abc\n".utf8)
            .write(to: root.appendingPathComponent("cgroup"))
        try Data("268435456\n".utf8).write(to: root.appendingPathComponent("v1/docker/abc/memory.limit_in_bytes"))
        try Data("68435456\n".utf8).write(to: root.appendingPathComponent("v1/docker/abc/memory.usage_in_bytes"))
        let bound = MemoryBudget.cgroupRoom(
            procSelfCgroup: root.appendingPathComponent("cgroup").path, v2Root: "/nonexistent",
            v1Root: root.appendingPathComponent("v1").path)
        XCTAssertEqual(bound?.bytes, 200_000_000)
        // v1's "no limit" is a huge number: no bound.
        try Data("9223372036854771712\n".utf8).write(
            to: root.appendingPathComponent("v1/docker/abc/memory.limit_in_bytes"))
        XCTAssertNil(
            MemoryBudget.cgroupRoom(
                procSelfCgroup: root.appendingPathComponent("cgroup").path, v2Root: "/nonexistent",
                v1Root: root.appendingPathComponent("v1").path))
    }

    func testTheBudgetIsTheLeastOfItsBounds() {
        let bounds = MemoryBudget.bounds()
        XCTAssertFalse(bounds.isEmpty)
        XCTAssertEqual(MemoryBudget.available(), bounds.map(\.bytes).min())
        XCTAssertTrue(bounds.contains { $0.source == "MemAvailable" || $0.source == "physical memory" }, "\(bounds)")
    }
}

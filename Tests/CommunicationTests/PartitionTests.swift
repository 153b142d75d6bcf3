import Communication
import XCTest

/// `evenShare`: the split of B streams over N ranks that keeps one process's data order.
final class PartitionTests: XCTestCase {
    func testSharesOfSevenOverThree() {
        XCTAssertEqual((0..<3).map { evenShare(of: 7, part: $0, parts: 3) }, [0..<2, 2..<4, 4..<7])
        XCTAssertEqual(
            (0..<4).map { evenShare(of: 64, part: $0, parts: 4) },
            [0..<16, 16..<32, 32..<48, 48..<64])
    }

    func testSharesTileTheRangeInOrderAndDifferByAtMostOne() {
        for parts in 1...9 {
            for count in 0...40 {
                let shares = (0..<parts).map { evenShare(of: count, part: $0, parts: parts) }
                XCTAssertEqual(shares.first?.lowerBound, 0)
                XCTAssertEqual(shares.last?.upperBound, count)
                for (a, b) in zip(shares, shares.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                let sizes = shares.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "\(count) over \(parts)")
            }
        }
    }

    func testFewerItemsThanPartsLeavesSomeEmpty() {
        let shares = (0..<4).map { evenShare(of: 2, part: $0, parts: 4) }
        XCTAssertEqual(shares.map(\.count), [0, 1, 0, 1])
    }
}

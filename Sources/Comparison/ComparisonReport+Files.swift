import FileIO
import Foundation

extension ComparisonReport {
    /// The files a comparison writes in its directory.
    public static let jsonName = "compare.json", figureName = "compare.svg"

    /// `compare.json`: the report, keys sorted, non-finite numbers as "inf", "-inf", "nan".
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// Writes `compare.json` and `compare.svg` into `directory`, each durably (FileIO).
    ///
    /// - Returns: the two paths.
    /// - Throws: `FileWriteError` naming the file.
    @discardableResult
    public func write(into directory: String) throws -> (json: String, figure: String) {
        let jsonPath = (directory as NSString).appendingPathComponent(Self.jsonName)
        let figurePath = (directory as NSString).appendingPathComponent(Self.figureName)
        let data: Data
        do { data = try json() } catch { throw FileWriteError(path: jsonPath, reason: "\(error)") }
        try DurableFile.write([UInt8](data), to: jsonPath)
        try DurableFile.write(Array(Comparison.figure(self).utf8), to: figurePath)
        return (jsonPath, figurePath)
    }
}

import Foundation

// The batcher's part of trainer_state.json ("batch", "seq", "stream_length", "position", "epoch").
// Every number is checked while decoding, so a damaged file gives an error naming the field.

extension StreamBatcher: Codable {
    enum CodingKeys: String, CodingKey { case batch, steps = "seq", streamLength = "stream_length", position, epoch }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys, in range: ClosedRange<Int>) throws -> Int {
            let v = try c.decode(Int.self, forKey: key)
            guard range.contains(v) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: c.codingPath + [key],
                        debugDescription: "\(key.stringValue) is \(v), not in \(range.lowerBound)...\(range.upperBound)"
                    ))
            }
            return v
        }
        let max = TrainingSettings.maximumCount
        let batch = try value(.batch, in: 1...(1 << 20)), steps = try value(.steps, in: 1...(1 << 20))
        // streamLength × batch + 1 is the length of the corpus this describes: it must not overflow.
        let length = try value(.streamLength, in: 0...(max / batch))
        self = StreamBatcher(count: length * batch + 1, batch: batch, steps: steps)
        position = try value(.position, in: 0...length)
        epoch = try value(.epoch, in: 0...max)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(batch, forKey: .batch)
        try c.encode(steps, forKey: .steps)
        try c.encode(streamLength, forKey: .streamLength)
        try c.encode(position, forKey: .position)
        try c.encode(epoch, forKey: .epoch)
    }
}

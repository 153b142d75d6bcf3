import Foundation

// trainer_state.json is read back by every command that loads a checkpoint. Its numbers index the
// corpus, size products and count steps: each is checked while decoding or right after, so a
// damaged file gives an error naming the field, never a trap.

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

extension TrainerProgress {
    /// What is wrong with a decoded state (naming the field as the file spells it), or nil.
    public var problem: String? {
        let max = TrainingSettings.maximumCount
        guard (0...max).contains(step) else { return "'step' is \(step), not in 0...\(max)" }
        guard lrBackoff.isFinite, lrBackoff > 0, lrBackoff <= 1 else {
            return "'lr_backoff' is \(lrBackoff), not in (0, 1]"
        }
        guard trainingSeconds.isFinite, trainingSeconds >= 0 else {
            return "'training_seconds' is \(trainingSeconds), not a duration"
        }
        if let b = bestValidationLoss, !(b.isFinite && b >= 0) { return "'best_val_loss' is \(b), not a loss" }
        if let f = corpusFingerprint, f.count != 16 || !f.allSatisfy(\.isHexDigit) {
            return "'corpus_fnv1a64' is \"\(f)\", not 16 hex digits"
        }
        for (i, r) in history.enumerated()
        where !(0...max).contains(r.step) || !r.seconds.isFinite || !r.epoch.isFinite {
            return "'history[\(i)]' has step \(r.step), epoch \(r.epoch), seconds \(r.seconds)"
        }
        return nil
    }
}

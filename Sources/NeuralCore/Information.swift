/// Losses are in nats (natural logarithms) throughout, as the cross-entropy kernels compute them;
/// this is the one conversion to bits (bits per character = nats per character / ln 2).
@inlinable
public func bits(fromNats nats: Double) -> Double { nats / 0.693_147_180_559_945_3 }

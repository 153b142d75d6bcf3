// The NFC backend: ICU through the CICU shim on Linux and other POSIX systems, Foundation's
// `precomposedStringWithCanonicalMapping` on Apple platforms.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
#error("Tokenization needs a POSIX C library (Glibc, Musl or Darwin)")
#endif
#if canImport(Darwin)
import Foundation
#else
internal import CICU
#endif

#if canImport(Darwin)

/// NFC through Foundation (Apple platforms ship no public ICU C API).
final class NFCBackend {
    private var output: UnsafeMutablePointer<UInt8>
    private var outputCapacity: Int
    /// The memory this process may still take, asked before a buffer grows.
    let available: () -> Int

    init(available: @escaping () -> Int = availableMemoryBytes) {
        self.available = available
        outputCapacity = 1 << 12
        output = allocateBytes(outputCapacity).assumingMemoryBound(to: UInt8.self)
    }

    deinit { deallocateBytes(output) }

    /// Normalizes valid UTF-8 text to NFC.
    ///
    /// - Returns: `nil` when `text` is already in NFC, else the normalized text in a
    ///   buffer owned by the backend, valid until the next call.
    func normalize(
        _ text: UnsafeBufferPointer<UInt8>
    ) throws(NormalizationMemoryRefused) -> UnsafeBufferPointer<UInt8>? {
        let source = String(decoding: text, as: UTF8.self)
        let normalized = source.precomposedStringWithCanonicalMapping
        if normalized.utf8.elementsEqual(text) { return nil }
        let count = normalized.utf8.count
        if count > outputCapacity {
            output = try regrow(output, to: count, available: available).assumingMemoryBound(to: UInt8.self)
            outputCapacity = count
        }
        var i = 0
        for b in normalized.utf8 { output[i] = b; i += 1 }
        return UnsafeBufferPointer(start: output, count: count)
    }
}

#else

/// NFC through ICU (`unorm2_spanQuickCheckYes`, then `unorm2_normalize` only for
/// text that is not certainly in NFC already). ICU works on UTF-16, so the text
/// is transcoded into reused buffers.
final class NFCBackend {
    private var utf16: UnsafeMutablePointer<UInt16>
    private var utf16Capacity = 0
    private var normalized16: UnsafeMutablePointer<UInt16>
    private var normalized16Capacity = 0
    private var output: UnsafeMutablePointer<UInt8>
    private var outputCapacity = 0
    /// The memory this process may still take, asked before a buffer grows.
    let available: () -> Int

    init(available: @escaping () -> Int = availableMemoryBytes) {
        self.available = available
        utf16Capacity = 1 << 12
        normalized16Capacity = 1 << 12
        outputCapacity = 1 << 12
        utf16 = allocateBytes(utf16Capacity * 2).assumingMemoryBound(to: UInt16.self)
        normalized16 = allocateBytes(normalized16Capacity * 2).assumingMemoryBound(to: UInt16.self)
        output = allocateBytes(outputCapacity).assumingMemoryBound(to: UInt8.self)
    }

    deinit {
        deallocateBytes(utf16)
        deallocateBytes(normalized16)
        deallocateBytes(output)
    }

    /// Normalizes valid UTF-8 text to NFC.
    ///
    /// - Returns: `nil` when `text` is already in NFC, else the normalized text in a
    ///   buffer owned by the backend, valid until the next call.
    /// - Throws: when a buffer would grow past the memory available (the text of one stretch
    ///   between two ASCII bytes, up to a chunk: 256 MiB of UTF-8 takes up to 2.3 GiB here).
    func normalize(
        _ text: UnsafeBufferPointer<UInt8>
    ) throws(NormalizationMemoryRefused) -> UnsafeBufferPointer<UInt8>? {
        // One UTF-16 unit per UTF-8 byte at most.
        precondition(text.count < Int(Int32.max) / 4, "text segment too long for ICU: \(text.count) bytes")
        if text.count > utf16Capacity {
            utf16 = try regrow(utf16, to: text.count * 2, available: available).assumingMemoryBound(to: UInt16.self)
            utf16Capacity = text.count
        }
        let length16 = transcodeUTF8ToUTF16(text, into: utf16)
        let span = cicu_nfc_span_quick_check_yes(utf16, Int32(length16))
        precondition(span >= 0, "ICU NFC normalizer unavailable")
        if Int(span) == length16 { return nil }

        var written = Int(cicu_nfc_normalize(utf16, Int32(length16), normalized16, Int32(normalized16Capacity)))
        if written > normalized16Capacity {
            normalized16 = try regrow(normalized16, to: written * 2, available: available)
                .assumingMemoryBound(to: UInt16.self)
            normalized16Capacity = written
            written = Int(cicu_nfc_normalize(utf16, Int32(length16), normalized16, Int32(normalized16Capacity)))
        }
        precondition(written >= 0 && written <= normalized16Capacity, "ICU NFC normalization failed")

        // Three UTF-8 bytes per UTF-16 unit at most.
        if written * 3 > outputCapacity {
            output = try regrow(output, to: written * 3, available: available).assumingMemoryBound(to: UInt8.self)
            outputCapacity = written * 3
        }
        let count = transcodeUTF16ToUTF8(UnsafeBufferPointer(start: normalized16, count: written), into: output)
        return UnsafeBufferPointer(start: output, count: count)
    }
}

#endif

/// A normalization buffer grown to `bytes` (contents kept), if the memory available allows it and
/// the system gives it; else the buffer is left as it was and the refusal thrown.
private func regrow<T>(
    _ buffer: UnsafeMutablePointer<T>, to bytes: Int, available: () -> Int
) throws(NormalizationMemoryRefused) -> UnsafeMutableRawPointer {
    guard bytes <= available(), let grown = reallocateBytesIfPossible(UnsafeMutableRawPointer(buffer), bytes) else {
        throw NormalizationMemoryRefused(bytes: bytes)
    }
    return grown
}

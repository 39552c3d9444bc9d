import Crypto
public import struct Foundation.UUID
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Cryptographically secure randomness, injected so tests can make it repeatable where that matters.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]
    /// Fills `buffer` (ids take 16 bytes twice a call: straight into the caller's memory, no array).
    func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

extension RandomSource {
    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        bytes(buffer.count).withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: buffer.count) }
    }
}

extension RandomSource {
    /// A uniform integer in `0..<upperBound` without modulo bias.
    public func uniform(_ upperBound: Int) -> Int {
        precondition(upperBound > 0)
        let limit = UInt64.max - (UInt64.max % UInt64(upperBound))
        while true {
            let raw = bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if raw < limit { return Int(raw % UInt64(upperBound)) }
        }
    }

    public func uuid() -> UUID {
        var b = bytes(16)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// A lowercase UUID string, the form AWS uses for version ids and request ids.
    public func uuidString() -> String {
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { fill($0) }
        // Formatted by hand into one buffer: every call makes two (request id, event id).
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: words) { raw in
            let b = raw.assumingMemoryBound(to: UInt8.self)
            return String(unsafeUninitializedCapacity: 36) { out in
                digits.withUTF8Buffer { hex in
                    var position = 0
                    for index in 0..<16 {
                        if index == 4 || index == 6 || index == 8 || index == 10 {
                            out[position] = UInt8(ascii: "-")
                            position += 1
                        }
                        let byte = index == 6 ? (b[6] & 0x0F) | 0x40 : index == 8 ? (b[8] & 0x3F) | 0x80 : b[index]
                        out[position] = hex[Int(byte >> 4)]
                        out[position + 1] = hex[Int(byte & 0x0F)]
                        position += 2
                    }
                }
                return 36
            }
        }
    }
}

/// The operating system's CSPRNG.
public struct SystemRandomSource: RandomSource {
    public init() {}
    public func bytes(_ count: Int) -> [UInt8] {
        if count <= RandomPool.size / 4 { return RandomPool.shared.withLock { $0.take(count) } }
        return RandomPool.fill(count)
    }

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        if buffer.count <= RandomPool.size / 4 {
            RandomPool.shared.withLock { $0.take(into: base, count: buffer.count) }
        } else {
            RandomPool.fill(buffer.count).withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: buffer.count) }
        }
    }
}

/// Operating-system random bytes drawn a page at a time: request and event ids take 16 bytes on
/// every call, and a system call each was a measurable part of a read. Bytes are handed out once
/// and overwritten as they go.
struct RandomPool {
    static let size = 4096
    static let shared = Mutex(RandomPool())
    private var buffer = [UInt8](repeating: 0, count: size)
    private var offset = size

    mutating func take(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        // At most `size` bytes, so the closure always answers.
        return ByteArrays.make(count: count) { out in
            take(into: out.baseAddress!, count: count)
            return count
        }!
    }

    /// Copies `count` bytes (at most `size`) straight into `destination`, for a caller that has the memory.
    mutating func take(into destination: UnsafeMutableRawPointer, count: Int) {
        precondition(count <= Self.size)
        if offset + count > Self.size {
            buffer = Self.fill(Self.size)
            offset = 0
        }
        let start = offset
        buffer.withUnsafeMutableBytes { raw in
            destination.copyMemory(from: raw.baseAddress! + start, byteCount: count)
            (raw.baseAddress! + start).initializeMemory(as: UInt8.self, repeating: 0, count: count)
        }
        offset += count
    }

    static func fill(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        // glibc's arc4random_buf is one getrandom(2) call for the whole buffer.
        out.withUnsafeMutableBytes { raw in arc4random_buf(raw.baseAddress!, count) }
        return out
    }
}

import Crypto
public import struct Foundation.UUID

/// Cryptographically secure randomness, injected so tests can make it repeatable where that matters.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]
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
        var b = bytes(16)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        // Formatted by hand: Foundation's uppercase form plus lowercasing costs more, on every request.
        let hex = Array(Hex.encode(b).utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (index, digit) in hex.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { out.append(UInt8(ascii: "-")) }
            out.append(digit)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The operating system's CSPRNG.
public struct SystemRandomSource: RandomSource {
    public init() {}
    public func bytes(_ count: Int) -> [UInt8] {
        // Eight bytes per draw from the OS generator rather than one: this runs on every request.
        var generator = SystemRandomNumberGenerator()
        var out = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = generator.next()
            withUnsafeBytes(of: &word) { raw in
                for byte in raw.prefix(count - index) {
                    out[index] = byte
                    index += 1
                }
            }
        }
        return out
    }
}

import Foundation

/// Byte-level helpers for detectors: character classes, boundaries, entropy, base64. Detectors
/// work on the raw bytes of a file, never on `String`s, so that scanning stays cheap.
enum ByteClass {
    static func isAlnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) }
    static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    static func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66) }
    static func isBase32Upper(_ b: UInt8) -> Bool { isUpper(b) || (b >= 0x32 && b <= 0x37) }
    static func isBase64(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "/") }
    static func isBase64URL(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") }
    static func isWord(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: "_") }
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    static func isNewline(_ b: UInt8) -> Bool { b == 0x0A || b == 0x0D }
}

/// A view of the bytes being scanned with the small operations detectors share.
struct ByteText {
    let bytes: UnsafeBufferPointer<UInt8>
    var count: Int { bytes.count }

    subscript(i: Int) -> UInt8 { bytes[i] }

    /// The byte before `i`, or a space at the start.
    func before(_ i: Int) -> UInt8 { i > 0 ? bytes[i - 1] : 0x20 }
    func at(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0x20 }

    /// How far from `start` bytes satisfy `predicate`, at most `limit`.
    func run(from start: Int, limit: Int = .max, _ predicate: (UInt8) -> Bool) -> Int {
        var i = start
        let end = min(bytes.count, start &+ limit < start ? bytes.count : start + limit)
        while i < end, predicate(bytes[i]) { i += 1 }
        return i - start
    }

    func matches(_ literal: StaticString, at i: Int) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard i >= 0, i + n <= bytes.count else { return false }
        let p = literal.utf8Start
        for k in 0..<n where bytes[i + k] != p[k] { return false }
        return true
    }

    func slice(_ range: Range<Int>) -> [UInt8] { Array(bytes[range]) }
    func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

}

enum Entropy {
    /// Shannon entropy in bits per byte.
    static func shannon(_ bytes: some Collection<UInt8>) -> Double {
        guard !bytes.isEmpty else { return 0 }
        var counts = [Int](repeating: 0, count: 256)
        for b in bytes { counts[Int(b)] += 1 }
        let n = Double(bytes.count)
        var h = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / n
            h -= p * log2(p)
        }
        return h
    }

}

enum Base64 {
    /// Decodes standard or URL-safe base64 (padding optional, whitespace skipped); nil if invalid.
    static func decode(_ bytes: some Sequence<UInt8>, urlSafe: Bool = false) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for b in bytes {
            let v: UInt32
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(b - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(b - 97 + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(b - 48 + 52)
            case UInt8(ascii: "+") where !urlSafe, UInt8(ascii: "-") where urlSafe: v = 62
            case UInt8(ascii: "/") where !urlSafe, UInt8(ascii: "_") where urlSafe: v = 63
            case UInt8(ascii: "="), 0x20, 0x09, 0x0A, 0x0D: continue
            default: return nil
            }
            buffer = buffer << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}

enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// Base62 (`0-9A-Za-z`), left-padded to `width`, as GitHub and npm tokens end.
    static func base62(_ value: UInt32, width: Int) -> [UInt8] {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var v = value
        var digits: [UInt8] = []
        while v > 0 {
            digits.append(alphabet[Int(v % 62)])
            v /= 62
        }
        while digits.count < width { digits.append(UInt8(ascii: "0")) }
        return digits.reversed()
    }
}

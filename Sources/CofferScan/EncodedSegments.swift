/// Credentials written base64-encoded: a Kubernetes Secret's `data`, a `.dockerconfigjson`, a CI
/// variable holding a whole key file. Runs of the base64 alphabet long enough to hold a credential
/// are decoded, and what decodes to text is scanned again (see ``SecretScanner``).
enum EncodedSegments {
    /// 24 characters encode 18 bytes, about the shortest credential a detector confirms; shorter runs
    /// are words and identifiers.
    static let minimumLength = 24
    /// Longer runs are images, archives and key stores: binary once decoded.
    static let maximumLength = 1 << 20

    private static let standard: UInt8 = 1, urlSafe: UInt8 = 2
    /// 1 for `+` and `/`, 2 for `-` and `_`, 3 for letters and digits.
    private static let classes: [UInt8] = (0..<256).map { b in
        let byte = UInt8(b)
        if ByteClass.isAlnum(byte) { return standard | urlSafe }
        if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") { return standard }
        if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") { return urlSafe }
        return 0
    }

    /// Each run of one base64 alphabet (its `=` padding included) of at least `minimumLength`.
    static func each(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, _ urlSafe: Bool) -> Void) {
        classes.withUnsafeBufferPointer { table in
            var i = 0
            let count = bytes.count
            while i < count {
                guard table[Int(bytes[i])] != 0 else {
                    i &+= 1
                    continue
                }
                let start = i
                var seen: UInt8 = standard | urlSafe
                while i < count {
                    let kind = table[Int(bytes[i])]
                    guard kind != 0, seen & kind != 0 else { break }
                    seen &= kind
                    i &+= 1
                }
                var end = i
                while end < count, end - i < 2, bytes[end] == UInt8(ascii: "=") { end &+= 1 }
                let length = end - start
                if length >= minimumLength, length <= maximumLength { body(start..<end, seen == urlSafe) }
                // A run cut short by the other alphabet's character starts again after it.
                i = max(end, i)
            }
        }
    }

    /// Six bits for each character of either alphabet, 0xFF for any other byte.
    private static let values: [UInt8] = (0..<256).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt8(b) - 65
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt8(b) - 97 + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt8(b) - 48 + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): return 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): return 63
        default: return 0xFF
        }
    }

    /// Whether the first 16 characters decode to 12 bytes of printable ASCII or whitespace. Most long
    /// runs in source (identifiers, hex digests, test vectors) fail within the first few, and are
    /// then neither decoded whole nor allocated for.
    static func startsAsText(_ run: UnsafeBufferPointer<UInt8>) -> Bool {
        guard run.count >= 16 else { return false }
        return values.withUnsafeBufferPointer { values in
            for quad in 0..<4 {
                var word: UInt32 = 0
                for k in 0..<4 {
                    let value = values[Int(run[quad &* 4 &+ k])]
                    guard value != 0xFF else { return false }
                    word = word << 6 | UInt32(value)
                }
                for shift in [16, 8, 0] as [UInt32] {
                    let byte = UInt8(truncatingIfNeeded: word >> shift)
                    guard (byte >= 0x20 && byte < 0x7F) || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return false }
                }
            }
            return true
        }
    }

    /// What a run decodes to, if it is text worth scanning: UTF-8 without control characters other
    /// than whitespace (random identifiers, hashes and binary decode to bytes that are not).
    static func text(of run: UnsafeBufferPointer<UInt8>, urlSafe: Bool) -> [UInt8]? {
        guard startsAsText(run) else { return nil }
        guard let decoded = Base64.decode(run, urlSafe: urlSafe), decoded.count >= 16 else { return nil }
        for byte in decoded where byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D || byte == 0x7F { return nil }
        guard String(validating: decoded, as: UTF8.self) != nil else { return nil }
        return decoded
    }
}

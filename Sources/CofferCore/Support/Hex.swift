public import Crypto

/// Lowercase hex, as SigV4 writes digests and signatures.
public enum Hex {
    // Written into the string's or array's storage from a literal's bytes: appending digit by digit
    // from an array (a capacity check and a global's access a byte) and validating the result as
    // UTF-8 was ~50 instructions a byte; a read encodes two digests.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        if let text = bytes.withContiguousStorageIfAvailable(encode(contiguous:)) { return text }
        return Array(bytes).withUnsafeBufferPointer(encode(contiguous:))
    }

    private static func encode(contiguous bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard !bytes.isEmpty else { return "" }
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            write(bytes, to: out.baseAddress!)
            return bytes.count * 2
        }
    }

    public static func append(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        func append(contiguous bytes: UnsafeBufferPointer<UInt8>) {
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: bytes.count * 2))
            out.withUnsafeMutableBufferPointer { buffer in write(bytes, to: buffer.baseAddress! + start) }
        }
        guard bytes.withContiguousStorageIfAvailable(append(contiguous:)) != nil else {
            return Array(bytes).withUnsafeBufferPointer(append(contiguous:))
        }
    }

    @inline(__always)
    private static func write(_ bytes: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) {
        let digits = ("0123456789abcdef" as StaticString).utf8Start
        for (index, byte) in bytes.enumerated() {
            out[2 &* index] = digits[Int(byte &>> 4)]
            out[2 &* index &+ 1] = digits[Int(byte & 0x0F)]
        }
    }

    /// A digest by its bytes: iterating a swift-crypto digest as a Sequence copies it into an array
    /// first and then steps through generic code, ~45 instructions a byte; SigV4 encodes three a request.
    public static func encode(_ digest: some Digest) -> String { digest.withUnsafeBytes { encode($0) } }

    public static func append(_ digest: some Digest, to out: inout [UInt8]) { digest.withUnsafeBytes { append($0, to: &out) } }

    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = value(utf8[i]), let low = value(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    /// Inlinable: KMS key ids are checked a byte at a time on every KMS call and sealed read, and a
    /// call into this module per byte cost ~26 instructions of the ~30 a byte took.
    @inlinable
    public static func isDigit(_ c: UInt8) -> Bool { value(c) != nil }

    @inlinable
    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    // Over contiguous bytes where both have them: zipping two String views cost ~240 instructions a byte.
    if let result = a.withContiguousStorageIfAvailable({ x in b.withContiguousStorageIfAvailable { y in constantTimeEquals(x, y) } }),
        let result
    {
        return result
    }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}

public func constantTimeEquals(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in 0..<a.count { difference |= a[index] ^ b[index] }
    return difference == 0
}

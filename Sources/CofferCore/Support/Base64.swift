/// Standard base64 (RFC 4648's alphabet, padded), as AWS's JSON protocols carry blobs.
///
/// A KMS Encrypt decodes its plaintext and encodes its ciphertext: through Foundation's `Data`
/// that was about 21,000 instructions for a 1 KiB plaintext (callgrind), plus a `Data` and an array
/// copy each way. Here three bytes are two table reads written straight into the String's storage,
/// and four characters four reads into the array's. The decoder accepts what `Data(base64Encoded:)`
/// accepts, except a `=` that is not the text's padding, which Foundation lets through (a test
/// compares them).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Two output characters for each 12 bits of input, little-endian: three input bytes are two
    /// table reads (8 KiB, in cache after the first blob).
    private static let pairs: [UInt16] = (0..<4096).map { (UInt16(alphabet[$0 >> 6]) | UInt16(alphabet[$0 & 0x3F]) << 8).littleEndian }

    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer(encode(contiguous:))
    }

    private static func encode(contiguous bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard let base = bytes.baseAddress else { return "" }
        let count = (bytes.count + 2) / 3 * 4
        return pairs.withUnsafeBufferPointer { pairs in
            String(unsafeUninitializedCapacity: count) { out in
                let raw = UnsafeMutableRawPointer(out.baseAddress!)
                var input = 0
                var output = 0
                while input &+ 3 <= bytes.count {
                    let word = Int(base[input]) &<< 16 | Int(base[input &+ 1]) &<< 8 | Int(base[input &+ 2])
                    raw.storeBytes(of: pairs[word &>> 12], toByteOffset: output, as: UInt16.self)
                    raw.storeBytes(of: pairs[word & 0xFFF], toByteOffset: output &+ 2, as: UInt16.self)
                    input &+= 3
                    output &+= 4
                }
                let left = bytes.count &- input
                if left > 0 {
                    let second = left == 2 ? Int(base[input &+ 1]) : 0
                    let word = Int(base[input]) &<< 16 | second &<< 8
                    raw.storeBytes(of: pairs[word &>> 12], toByteOffset: output, as: UInt16.self)
                    out[output &+ 2] = left == 2 ? alphabet[word &>> 6 & 0x3F] : UInt8(ascii: "=")
                    out[output &+ 3] = UInt8(ascii: "=")
                }
                return count
            }
        }
    }

    /// The bytes `text` encodes, or nil when it is not padded base64 (what `Data(base64Encoded:)` refuses).
    public static func decode(_ text: String) -> [UInt8]? {
        text.withUTF8Bytes(decode(contiguous:))
    }

    /// Four tables of 256: a character's six bits already shifted to their place in a quad's 24
    /// (table k for the k-th character), or bit 24 for a byte outside the alphabet, so a quad is four
    /// reads ORed together and one test.
    private static let values: [UInt32] = {
        var table = [UInt32](repeating: 1 << 24, count: 1024)
        for (index, byte) in alphabet.enumerated() {
            for place in 0..<4 { table[place * 256 + Int(byte)] = UInt32(index) << (18 - 6 * place) }
        }
        return table
    }()

    private static func decode(contiguous text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard let base = text.baseAddress, text.count > 0 else { return [] }
        guard text.count % 4 == 0 else { return nil }
        let padding = text[text.count - 1] == UInt8(ascii: "=") ? (text[text.count - 2] == UInt8(ascii: "=") ? 2 : 1) : 0
        let count = text.count / 4 * 3 - padding
        var out = [UInt8](repeating: 0, count: count)
        let valid = values.withUnsafeBufferPointer { table in
            out.withUnsafeMutableBufferPointer { out -> Bool in
                let table = table.baseAddress!
                let full = (text.count - (padding > 0 ? 4 : 0)) / 4
                var bad: UInt32 = 0
                var output = 0
                for quad in 0..<full {
                    let at = base + quad &* 4
                    let word = table[Int(at[0])] | table[256 &+ Int(at[1])] | table[512 &+ Int(at[2])] | table[768 &+ Int(at[3])]
                    bad |= word
                    out[output] = UInt8(truncatingIfNeeded: word &>> 16)
                    out[output &+ 1] = UInt8(truncatingIfNeeded: word &>> 8)
                    out[output &+ 2] = UInt8(truncatingIfNeeded: word)
                    output &+= 3
                }
                guard bad < 1 << 24 else { return false }
                guard padding > 0 else { return true }
                let at = base + full &* 4
                let third = padding == 1 ? table[512 &+ Int(at[2])] : 0
                let word = table[Int(at[0])] | table[256 &+ Int(at[1])] | third
                guard word < 1 << 24 else { return false }
                out[output] = UInt8(truncatingIfNeeded: word &>> 16)
                if padding == 1 { out[output &+ 1] = UInt8(truncatingIfNeeded: word &>> 8) }
                return true
            }
        }
        return valid ? out : nil
    }
}

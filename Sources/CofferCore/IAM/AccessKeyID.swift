/// Access key IDs as AWS makes them: a four-letter prefix (AKIA for a user's key, ASIA for session
/// credentials), then 16 base32 characters whose first 48 bits carry the account number in bits 7
/// to 46. STS GetAccessKeyInfo reads the account back from any key ID, and so do secret scanners.
public enum AccessKeyID {
    /// A new key ID for `account`, random apart from the account's bits.
    public static func make(prefix: String, account: String, random: any RandomSource) -> String {
        var bytes = random.bytes(10)
        let number = UInt64(account) ?? 0
        // The top bit set, as in the keys AWS issues (their fifth character is Q to Z or 2 to 7).
        let head = 1 << 47 | (number & 0xFF_FFFF_FFFF) << 7 | UInt64(bytes[5] & 0x7F)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: head >> (40 - 8 * index)) }
        return prefix + Base32.encode(bytes)
    }

    /// A secret access key: 40 characters of the base64 alphabet.
    public static func secret(random: any RandomSource) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        return String((0..<40).map { _ in alphabet[random.uniform(alphabet.count)] })
    }

    /// The account a key ID (AKIA or ASIA) belongs to; nil for anything else.
    public static func account(of accessKeyID: String) -> String? {
        let utf8 = Array(accessKeyID.utf8)
        guard utf8.count == 20, accessKeyID.hasPrefix("AKIA") || accessKeyID.hasPrefix("ASIA"),
            let bytes = Base32.decode(String(decoding: utf8[4...], as: UTF8.self)), bytes.count >= 6
        else { return nil }
        let head = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let digits = String((head & 0x7FFF_FFFF_FF80) >> 7)
        return String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }
}

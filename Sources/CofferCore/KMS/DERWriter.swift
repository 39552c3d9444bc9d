/// The few DER shapes the asymmetric key formats need (PKCS#8 and SubjectPublicKeyInfo for the key
/// specs swift-crypto has no serialisation for). Writing only; `DERReader` reads.
enum DERWriter {
    static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tag]
        if content.count < 0x80 {
            out.append(UInt8(content.count))
        } else {
            var length = content.count, bytes: [UInt8] = []
            while length > 0 { bytes.insert(UInt8(length & 0xFF), at: 0); length >>= 8 }
            out.append(0x80 | UInt8(bytes.count))
            out += bytes
        }
        return out + content
    }

    static func sequence(_ parts: [UInt8]...) -> [UInt8] { element(0x30, parts.flatMap { $0 }) }

    /// An object identifier from its encoded arcs.
    static func oid(_ encoded: [UInt8]) -> [UInt8] { element(0x06, encoded) }

    /// SubjectPublicKeyInfo: the algorithm (its OID and parameters, already encoded) and the key's bits.
    static func subjectPublicKeyInfo(algorithm: [UInt8], publicKey: [UInt8]) -> [UInt8] {
        sequence(element(0x30, algorithm), element(0x03, [0] + publicKey))
    }

    /// PKCS#8 OneAsymmetricKey, version 0: the algorithm and the private key's own encoding.
    static func pkcs8(algorithm: [UInt8], privateKey: [UInt8]) -> [UInt8] {
        sequence([0x02, 0x01, 0x00], element(0x30, algorithm), element(0x04, privateKey))
    }
}

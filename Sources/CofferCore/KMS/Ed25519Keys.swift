import Crypto

/// Ed25519 keys (ECC_NIST_EDWARDS25519, RFC 8032) in RFC 8410's PKCS#8 and SubjectPublicKeyInfo forms,
/// which swift-crypto reads and writes only as raw 32-byte values.
enum Ed25519Keys {
    /// id-Ed25519 (1.3.101.112), parameters absent.
    static let algorithm = DERWriter.oid([0x2B, 0x65, 0x70])

    static func pkcs8(seed: [UInt8]) -> [UInt8] {
        DERWriter.pkcs8(algorithm: algorithm, privateKey: DERWriter.element(0x04, seed))
    }

    static func generate() -> [UInt8] { pkcs8(seed: Array(Curve25519.Signing.PrivateKey().rawRepresentation)) }

    static func privateKey(_ material: [UInt8]) throws(CofferError) -> Curve25519.Signing.PrivateKey {
        let template = pkcs8(seed: [UInt8](repeating: 0, count: 32))
        guard material.count == template.count, material.dropLast(32).elementsEqual(template.dropLast(32)),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: material.suffix(32))
        else { throw CofferError(.internalFailure, "key material is unreadable") }
        return key
    }

    static func subjectPublicKeyInfo(_ material: [UInt8]) throws(CofferError) -> [UInt8] {
        DERWriter.subjectPublicKeyInfo(algorithm: algorithm, publicKey: Array(try privateKey(material).publicKey.rawRepresentation))
    }

    static func sign(_ material: [UInt8], message: [UInt8]) throws(CofferError) -> [UInt8] {
        do { return Array(try privateKey(material).signature(for: message)) } catch let error as CofferError { throw error } catch {
            throw CofferError(.internalFailure, "signing failed")
        }
    }

    static func verify(_ material: [UInt8], message: [UInt8], signature: [UInt8]) throws(CofferError) -> Bool {
        try privateKey(material).publicKey.isValidSignature(signature, for: message)
    }
}

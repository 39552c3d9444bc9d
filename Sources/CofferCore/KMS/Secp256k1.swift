// CCryptoBoringSSL is swift-crypto's own copy of BoringSSL, which this target already links through
// Crypto; swift-crypto offers no Swift API for the curves and algorithms used here.
internal import CCryptoBoringSSL

/// ECDSA over secp256k1 (ECC_SECG_P256K1). BoringSSL has no named curve for it, so the curve's SEC 2
/// parameters are given once as a custom group; BoringSSL's generic curve code then does the scalar
/// multiplications in constant time, as it does for its named curves.
enum Secp256k1 {
    /// The group, built once and only read afterwards (BoringSSL groups are immutable once their
    /// generator is set, and safe to share across threads).
    final class Group: @unchecked Sendable {
        let pointer: OpaquePointer

        init() {
            func number(_ hex: String) -> UnsafeMutablePointer<BIGNUM> {
                var value: UnsafeMutablePointer<BIGNUM>?
                guard CCryptoBoringSSL_BN_hex2bn(&value, hex) > 0, let value else { fatalError("secp256k1 parameter") }
                return value
            }
            // SEC 2, version 2, section 2.4.1.
            let p = number("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F")
            let a = number("0"), b = number("7")
            let order = number("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141")
            let gx = number("79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798")
            let gy = number("483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8")
            defer { [p, a, b, order, gx, gy].forEach { CCryptoBoringSSL_BN_free($0) } }
            guard let group = CCryptoBoringSSL_EC_GROUP_new_curve_GFp(p, a, b, nil), let generator = CCryptoBoringSSL_EC_POINT_new(group) else {
                fatalError("secp256k1 group")
            }
            defer { CCryptoBoringSSL_EC_POINT_free(generator) }
            guard CCryptoBoringSSL_EC_POINT_set_affine_coordinates_GFp(group, generator, gx, gy, nil) == 1,
                CCryptoBoringSSL_EC_GROUP_set_generator(group, generator, order, CCryptoBoringSSL_BN_value_one()) == 1
            else { fatalError("secp256k1 generator") }
            pointer = group
        }
    }

    static let group = Group()

    /// id-ecPublicKey with the secp256k1 curve, as an AlgorithmIdentifier's content.
    static let algorithm = DERWriter.oid([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]) + DERWriter.oid([0x2B, 0x81, 0x04, 0x00, 0x0A])

    /// Where the 32-byte private scalar sits in `pkcs8(privateKey:)`'s fixed layout.
    static let scalarOffset = 33

    /// A new private key in PKCS#8 (with its public point, as OpenSSL writes it).
    static func generate() throws(CofferError) -> [UInt8] {
        guard let key = CCryptoBoringSSL_EC_KEY_new() else { throw CofferError(.internalFailure, "key generation failed") }
        defer { CCryptoBoringSSL_EC_KEY_free(key) }
        var scalar = [UInt8](repeating: 0, count: 32)
        guard CCryptoBoringSSL_EC_KEY_set_group(key, group.pointer) == 1, CCryptoBoringSSL_EC_KEY_generate_key(key) == 1,
            CCryptoBoringSSL_BN_bn2bin_padded(&scalar, 32, CCryptoBoringSSL_EC_KEY_get0_private_key(key)) == 1
        else { throw CofferError(.internalFailure, "key generation failed") }
        return try pkcs8(privateKey: scalar)
    }

    static func pkcs8(privateKey scalar: [UInt8]) throws(CofferError) -> [UInt8] {
        let point = try publicPoint(scalar)
        let ecPrivateKey = DERWriter.sequence([0x02, 0x01, 0x01], DERWriter.element(0x04, scalar),
                                              DERWriter.element(0xA1, DERWriter.element(0x03, [0] + point)))
        return DERWriter.pkcs8(algorithm: algorithm, privateKey: ecPrivateKey)
    }

    /// The private scalar of material `pkcs8(privateKey:)` wrote.
    static func scalar(_ material: [UInt8]) throws(CofferError) -> [UInt8] {
        let template = DERWriter.pkcs8(algorithm: algorithm, privateKey: DERWriter.sequence(
            [0x02, 0x01, 0x01], DERWriter.element(0x04, [UInt8](repeating: 0, count: 32)),
            DERWriter.element(0xA1, DERWriter.element(0x03, [UInt8](repeating: 0, count: 66)))))
        guard material.count == template.count, material.prefix(scalarOffset).elementsEqual(template.prefix(scalarOffset)) else {
            throw CofferError(.internalFailure, "key material is unreadable")
        }
        return Array(material[scalarOffset..<scalarOffset + 32])
    }

    /// The uncompressed public point (0x04, x, y) of a private scalar.
    static func publicPoint(_ scalar: [UInt8]) throws(CofferError) -> [UInt8] {
        guard let number = CCryptoBoringSSL_BN_bin2bn(scalar, scalar.count, nil) else { throw CofferError(.internalFailure, "key material is unreadable") }
        defer { CCryptoBoringSSL_BN_clear_free(number) }
        guard let point = CCryptoBoringSSL_EC_POINT_new(group.pointer) else { throw CofferError(.internalFailure, "key material is unreadable") }
        defer { CCryptoBoringSSL_EC_POINT_free(point) }
        var out = [UInt8](repeating: 0, count: 65)
        guard CCryptoBoringSSL_EC_POINT_mul(group.pointer, point, number, nil, nil, nil) == 1,
            CCryptoBoringSSL_EC_POINT_point2oct(group.pointer, point, POINT_CONVERSION_UNCOMPRESSED, &out, out.count, nil) == 65
        else { throw CofferError(.internalFailure, "key material is unreadable") }
        return out
    }

    static func subjectPublicKeyInfo(_ material: [UInt8]) throws(CofferError) -> [UInt8] {
        DERWriter.subjectPublicKeyInfo(algorithm: algorithm, publicKey: try publicPoint(try scalar(material)))
    }

    /// An ECDSA signature (DER) over a 32-byte digest.
    static func sign(digest: [UInt8], material: [UInt8]) throws(CofferError) -> [UInt8] {
        let scalar = try scalar(material)
        guard let key = CCryptoBoringSSL_EC_KEY_new(), let number = CCryptoBoringSSL_BN_bin2bn(scalar, scalar.count, nil) else {
            throw CofferError(.internalFailure, "signing failed")
        }
        defer { CCryptoBoringSSL_EC_KEY_free(key); CCryptoBoringSSL_BN_clear_free(number) }
        var signature = [UInt8](repeating: 0, count: 80)
        var length: UInt32 = 0
        guard CCryptoBoringSSL_EC_KEY_set_group(key, group.pointer) == 1, CCryptoBoringSSL_EC_KEY_set_private_key(key, number) == 1,
            CCryptoBoringSSL_ECDSA_size(key) <= signature.count,
            CCryptoBoringSSL_ECDSA_sign(0, digest, digest.count, &signature, &length, key) == 1
        else { CCryptoBoringSSL_ERR_clear_error(); throw CofferError(.internalFailure, "signing failed") }
        return Array(signature.prefix(Int(length)))
    }

    static func verify(digest: [UInt8], signature: [UInt8], material: [UInt8]) throws(CofferError) -> Bool {
        let point = try publicPoint(try scalar(material))
        guard let key = CCryptoBoringSSL_EC_KEY_new(), let publicKey = CCryptoBoringSSL_EC_POINT_new(group.pointer) else {
            throw CofferError(.internalFailure, "verification failed")
        }
        defer { CCryptoBoringSSL_EC_KEY_free(key); CCryptoBoringSSL_EC_POINT_free(publicKey) }
        guard CCryptoBoringSSL_EC_KEY_set_group(key, group.pointer) == 1,
            CCryptoBoringSSL_EC_POINT_oct2point(group.pointer, publicKey, point, point.count, nil) == 1,
            CCryptoBoringSSL_EC_KEY_set_public_key(key, publicKey) == 1
        else { CCryptoBoringSSL_ERR_clear_error(); throw CofferError(.internalFailure, "verification failed") }
        let valid = CCryptoBoringSSL_ECDSA_verify(0, digest, digest.count, signature, signature.count, key) == 1
        CCryptoBoringSSL_ERR_clear_error()
        return valid
    }
}

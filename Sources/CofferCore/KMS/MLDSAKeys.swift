// swift-crypto's Swift API has ML-DSA-65 and -87 only and no signing of an external μ; its BoringSSL
// has all three parameter sets and both (see Secp256k1.swift on the import).
internal import CCryptoBoringSSL

/// ML-DSA (FIPS 204) keys: ML_DSA_44, ML_DSA_65 and ML_DSA_87 with ML_DSA_SHAKE_256. The material is
/// the 32-byte seed in PKCS#8 (RFC 9881's `seed` choice); the expanded key is derived per call.
enum MLDSAKeys {
    enum Level: Sendable { case mlDSA44, mlDSA65, mlDSA87 }

    static func level(_ spec: KeySpec) -> Level? {
        switch spec {
        case .mlDSA44: .mlDSA44
        case .mlDSA65: .mlDSA65
        case .mlDSA87: .mlDSA87
        default: nil
        }
    }

    /// id-ml-dsa-44/65/87 (2.16.840.1.101.3.4.3.17/18/19), parameters absent.
    static func algorithm(_ level: Level) -> [UInt8] {
        let last: UInt8 = switch level { case .mlDSA44: 0x11; case .mlDSA65: 0x12; case .mlDSA87: 0x13 }
        return DERWriter.oid([0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, last])
    }

    static func pkcs8(seed: [UInt8], _ level: Level) -> [UInt8] {
        DERWriter.pkcs8(algorithm: algorithm(level), privateKey: [0x80, 0x20] + seed)
    }

    static func seed(_ material: [UInt8], _ level: Level) throws(CofferError) -> [UInt8] {
        let template = pkcs8(seed: [UInt8](repeating: 0, count: 32), level)
        guard material.count == template.count, material.dropLast(32).elementsEqual(template.dropLast(32)) else {
            throw CofferError(.internalFailure, "key material is unreadable")
        }
        return Array(material.suffix(32))
    }

    /// The private key expanded from its seed, for the length of `body`, then wiped.
    private static func withPrivateKey<Key, Result>(_ seed: [UInt8], _ type: Key.Type,
                                                    _ expand: (UnsafeMutablePointer<Key>, UnsafePointer<UInt8>, Int) -> Int32,
                                                    _ body: (UnsafeMutablePointer<Key>) throws(CofferError) -> Result) throws(CofferError) -> Result {
        let key = UnsafeMutablePointer<Key>.allocate(capacity: 1)
        defer {
            UnsafeMutableRawPointer(key).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<Key>.size)
            key.deallocate()
        }
        guard seed.count == 32, seed.withUnsafeBufferPointer({ expand(key, $0.baseAddress!, 32) }) == 1 else {
            throw CofferError(.internalFailure, "key material is unreadable")
        }
        return try body(key)
    }

    private static func marshal(_ write: (UnsafeMutablePointer<CBB>) -> Int32) throws(CofferError) -> [UInt8] {
        var cbb = CBB()
        guard CCryptoBoringSSL_CBB_init(&cbb, 2048) == 1 else { throw CofferError(.internalFailure, "key material is unreadable") }
        defer { CCryptoBoringSSL_CBB_cleanup(&cbb) }
        guard write(&cbb) == 1, CCryptoBoringSSL_CBB_flush(&cbb) == 1 else { throw CofferError(.internalFailure, "key material is unreadable") }
        return Array(UnsafeBufferPointer(start: CCryptoBoringSSL_CBB_data(&cbb), count: CCryptoBoringSSL_CBB_len(&cbb)))
    }

    /// The encoded public key (FIPS 204's pkEncode).
    static func publicKey(_ material: [UInt8], _ level: Level) throws(CofferError) -> [UInt8] {
        let seed = try seed(material, level)
        switch level {
        case .mlDSA44:
            return try withPrivateKey(seed, MLDSA44_private_key.self, CCryptoBoringSSL_MLDSA44_private_key_from_seed) { key throws(CofferError) in
                var publicKey = MLDSA44_public_key()
                guard CCryptoBoringSSL_MLDSA44_public_from_private(&publicKey, key) == 1 else { throw CofferError(.internalFailure, "key material is unreadable") }
                return try marshal { CCryptoBoringSSL_MLDSA44_marshal_public_key($0, &publicKey) }
            }
        case .mlDSA65:
            return try withPrivateKey(seed, MLDSA65_private_key.self, CCryptoBoringSSL_MLDSA65_private_key_from_seed) { key throws(CofferError) in
                var publicKey = MLDSA65_public_key()
                guard CCryptoBoringSSL_MLDSA65_public_from_private(&publicKey, key) == 1 else { throw CofferError(.internalFailure, "key material is unreadable") }
                return try marshal { CCryptoBoringSSL_MLDSA65_marshal_public_key($0, &publicKey) }
            }
        case .mlDSA87:
            return try withPrivateKey(seed, MLDSA87_private_key.self, CCryptoBoringSSL_MLDSA87_private_key_from_seed) { key throws(CofferError) in
                var publicKey = MLDSA87_public_key()
                guard CCryptoBoringSSL_MLDSA87_public_from_private(&publicKey, key) == 1 else { throw CofferError(.internalFailure, "key material is unreadable") }
                return try marshal { CCryptoBoringSSL_MLDSA87_marshal_public_key($0, &publicKey) }
            }
        }
    }

    static func subjectPublicKeyInfo(_ material: [UInt8], _ level: Level) throws(CofferError) -> [UInt8] {
        DERWriter.subjectPublicKeyInfo(algorithm: algorithm(level), publicKey: try publicKey(material, level))
    }

    /// A signature over `message` with an empty context, or over `mu` (the external μ, 64 bytes) when given.
    static func sign(_ material: [UInt8], _ level: Level, message: [UInt8], isMu: Bool) throws(CofferError) -> [UInt8] {
        let seed = try seed(material, level)
        func signed(_ size: Int32, _ produce: (UnsafeMutablePointer<UInt8>) -> Int32) throws(CofferError) -> [UInt8] {
            var signature = [UInt8](repeating: 0, count: Int(size))
            guard signature.withUnsafeMutableBufferPointer({ produce($0.baseAddress!) }) == 1 else { throw CofferError(.internalFailure, "signing failed") }
            return signature
        }
        switch level {
        case .mlDSA44:
            return try withPrivateKey(seed, MLDSA44_private_key.self, CCryptoBoringSSL_MLDSA44_private_key_from_seed) { key throws(CofferError) in
                try signed(MLDSA44_SIGNATURE_BYTES) { out in
                    isMu ? CCryptoBoringSSL_MLDSA44_sign_message_representative(out, key, message)
                        : CCryptoBoringSSL_MLDSA44_sign(out, key, message, message.count, nil, 0)
                }
            }
        case .mlDSA65:
            return try withPrivateKey(seed, MLDSA65_private_key.self, CCryptoBoringSSL_MLDSA65_private_key_from_seed) { key throws(CofferError) in
                try signed(MLDSA65_SIGNATURE_BYTES) { out in
                    isMu ? CCryptoBoringSSL_MLDSA65_sign_message_representative(out, key, message)
                        : CCryptoBoringSSL_MLDSA65_sign(out, key, message, message.count, nil, 0)
                }
            }
        case .mlDSA87:
            return try withPrivateKey(seed, MLDSA87_private_key.self, CCryptoBoringSSL_MLDSA87_private_key_from_seed) { key throws(CofferError) in
                try signed(MLDSA87_SIGNATURE_BYTES) { out in
                    isMu ? CCryptoBoringSSL_MLDSA87_sign_message_representative(out, key, message)
                        : CCryptoBoringSSL_MLDSA87_sign(out, key, message, message.count, nil, 0)
                }
            }
        }
    }

    static func verify(_ material: [UInt8], _ level: Level, message: [UInt8], signature: [UInt8]) throws(CofferError) -> Bool {
        let encoded = try publicKey(material, level)
        func parsed<Key>(_ type: Key.Type, _ parse: (UnsafeMutablePointer<Key>, UnsafeMutablePointer<CBS>) -> Int32,
                         _ check: (UnsafeMutablePointer<Key>) -> Int32) -> Bool {
            let key = UnsafeMutablePointer<Key>.allocate(capacity: 1)
            defer { key.deallocate() }
            return encoded.withUnsafeBufferPointer { bytes in
                var cbs = CBS(data: bytes.baseAddress, len: bytes.count)
                return parse(key, &cbs) == 1 && check(key) == 1
            }
        }
        switch level {
        case .mlDSA44:
            return parsed(MLDSA44_public_key.self, CCryptoBoringSSL_MLDSA44_parse_public_key) {
                CCryptoBoringSSL_MLDSA44_verify($0, signature, signature.count, message, message.count, nil, 0)
            }
        case .mlDSA65:
            return parsed(MLDSA65_public_key.self, CCryptoBoringSSL_MLDSA65_parse_public_key) {
                CCryptoBoringSSL_MLDSA65_verify($0, signature, signature.count, message, message.count, nil, 0)
            }
        case .mlDSA87:
            return parsed(MLDSA87_public_key.self, CCryptoBoringSSL_MLDSA87_parse_public_key) {
                CCryptoBoringSSL_MLDSA87_verify($0, signature, signature.count, message, message.count, nil, 0)
            }
        }
    }
}

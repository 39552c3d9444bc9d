import Crypto
import _CryptoExtras
import struct Foundation.Data

/// The cryptography behind each KMS key spec, over raw key material. Pure: no storage, no state.
public enum KeyCrypto {
    /// Fresh material for a key of `spec`: 32 random bytes for symmetric keys, the HMAC key for
    /// HMAC keys, the private key in PKCS#8 DER for asymmetric keys.
    public static func generateMaterial(_ spec: KeySpec, random: any RandomSource) throws(CofferError) -> [UInt8] {
        switch spec {
        case .symmetricDefault: return random.bytes(32)
        case .hmac224: return random.bytes(28)
        case .hmac256: return random.bytes(32)
        case .hmac384: return random.bytes(48)
        case .hmac512: return random.bytes(64)
        case .rsa2048, .rsa3072, .rsa4096:
            let bits = spec == .rsa2048 ? 2048 : spec == .rsa3072 ? 3072 : 4096
            do {
                return Array(try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits)).pkcs8DERRepresentation)
            } catch { throw CofferError(.internalFailure, "key generation failed") }
        case .eccNistP256: return Array(P256.Signing.PrivateKey().derRepresentation)
        case .eccNistP384: return Array(P384.Signing.PrivateKey().derRepresentation)
        case .eccNistP521: return Array(P521.Signing.PrivateKey().derRepresentation)
        case .eccSecgP256K1: return try Secp256k1.generate()
        case .eccNistEdwards25519: return Ed25519Keys.generate()
        case .mlDSA44, .mlDSA65, .mlDSA87: return MLDSAKeys.pkcs8(seed: random.bytes(32), MLDSAKeys.level(spec)!)
        }
    }

    // MARK: Asymmetric keys

    /// The public key in DER (SubjectPublicKeyInfo), as GetPublicKey returns it.
    public static func publicKey(_ spec: KeySpec, material: [UInt8]) throws(CofferError) -> [UInt8] {
        do {
            switch spec {
            case .rsa2048, .rsa3072, .rsa4096:
                return Array(try _RSA.Signing.PrivateKey(derRepresentation: material).publicKey.derRepresentation)
            case .eccNistP256: return Array(try P256.Signing.PrivateKey(derRepresentation: material).publicKey.derRepresentation)
            case .eccNistP384: return Array(try P384.Signing.PrivateKey(derRepresentation: material).publicKey.derRepresentation)
            case .eccNistP521: return Array(try P521.Signing.PrivateKey(derRepresentation: material).publicKey.derRepresentation)
            case .eccSecgP256K1: return try Secp256k1.subjectPublicKeyInfo(material)
            case .eccNistEdwards25519: return try Ed25519Keys.subjectPublicKeyInfo(material)
            case .mlDSA44, .mlDSA65, .mlDSA87: return try MLDSAKeys.subjectPublicKeyInfo(material, MLDSAKeys.level(spec)!)
            default: throw CofferError(.unsupportedOperation, "This key has no public key.")
            }
        } catch let error as CofferError { throw error } catch { throw CofferError(.internalFailure, "key material is unreadable") }
    }

    /// A new key pair for GenerateDataKeyPair: (private key PKCS#8 DER, public key SPKI DER).
    public static func dataKeyPair(_ spec: KeySpec) throws(CofferError) -> (privateKey: [UInt8], publicKey: [UInt8]) {
        guard spec.isAsymmetric else { throw CofferError(.validation, "Unsupported key pair spec.") }
        let material = try generateMaterial(spec, random: SystemRandomSource())
        return (material, try publicKey(spec, material: material))
    }

    /// What a signature is computed over, after the checks AWS makes of the message type against the key
    /// spec and the algorithm (Floci's KMS tests, checked against AWS: ML-DSA takes RAW or a 64-byte
    /// EXTERNAL_MU; ED25519_SHA_512 takes RAW only, ED25519_PH_SHA_512 a 64-byte DIGEST only).
    static func signingInput(_ spec: KeySpec, message: [UInt8], type: SigningMessageType, algorithm: String) throws(CofferError) -> [UInt8] {
        if spec.isMLDSA {
            switch type {
            case .raw: return message
            case .digest: throw CofferError(.validation, "Message type DIGEST is incompatible with key spec \(spec.rawValue).")
            case .externalMu:
                guard message.count == 64 else { throw CofferError(.validation, "Digest is invalid length for algorithm \(algorithm).") }
                return message
            }
        }
        if type == .externalMu { throw CofferError(.validation, "Message type EXTERNAL_MU is incompatible with key spec \(spec.rawValue).") }
        if spec == .eccNistEdwards25519 {
            if algorithm == "ED25519_SHA_512" {
                guard type == .raw else { throw CofferError(.validation, "Message type DIGEST is incompatible with algorithm \(algorithm).") }
                return message
            }
            guard type == .digest else { throw CofferError(.validation, "Message type RAW is incompatible with algorithm \(algorithm).") }
            guard message.count == 64 else { throw CofferError(.validation, "Digest is invalid length for algorithm \(algorithm).") }
            return message
        }
        return try digest(message, algorithm: algorithm, isDigest: type == .digest)
    }

    /// Ed25519ph needs RFC 8032's prehash domain separation inside the signature, which neither
    /// swift-crypto nor its BoringSSL offers.
    static let ed25519phUnsupported = CofferError(.unsupportedOperation, "Coffer does not support the ED25519_PH_SHA_512 signing algorithm yet.")

    /// The digest of `message` for a signing algorithm, or the message itself when it is already one.
    static func digest(_ message: [UInt8], algorithm: String, isDigest: Bool) throws(CofferError) -> [UInt8] {
        let size = algorithm.hasSuffix("256") ? 32 : algorithm.hasSuffix("384") ? 48 : 64
        if isDigest {
            guard message.count == size else {
                throw CofferError(.validation, "Digest is invalid length for algorithm \(algorithm).")
            }
            return message
        }
        switch size {
        case 32: return Array(SHA256.hash(data: message))
        case 48: return Array(SHA384.hash(data: message))
        default: return Array(SHA512.hash(data: message))
        }
    }

    /// A swift-crypto digest value holding `bytes`. swift-crypto offers no initialiser from raw bytes,
    /// and its RSA code picks the hash by the digest's type, so this overwrites the bytes of a
    /// digest value of the right type; the size check keeps it from touching anything else.
    static func unsafeTypedDigest<D: Digest>(_ template: D, _ bytes: [UInt8]) throws(CofferError) -> D {
        var digest = template
        guard MemoryLayout<D>.size == bytes.count else { throw CofferError(.internalFailure, "digest size mismatch") }
        withUnsafeMutableBytes(of: &digest) { $0.copyBytes(from: bytes) }
        return digest
    }

    public static func sign(_ spec: KeySpec, material: [UInt8], message: [UInt8], type: SigningMessageType, algorithm: String)
        throws(CofferError) -> [UInt8]
    {
        let digest = try signingInput(spec, message: message, type: type, algorithm: algorithm)
        do {
            switch spec {
            case .mlDSA44, .mlDSA65, .mlDSA87:
                return try MLDSAKeys.sign(material, MLDSAKeys.level(spec)!, message: digest, isMu: type == .externalMu)
            case .eccSecgP256K1: return try Secp256k1.sign(digest: digest, material: material)
            case .eccNistEdwards25519:
                guard algorithm == "ED25519_SHA_512" else { throw ed25519phUnsupported }
                return try Ed25519Keys.sign(material, message: digest)
            case .rsa2048, .rsa3072, .rsa4096:
                let key = try _RSA.Signing.PrivateKey(derRepresentation: material)
                let padding: _RSA.Signing.Padding = algorithm.hasPrefix("RSASSA_PSS") ? .PSS : .insecurePKCS1v1_5
                switch digest.count {
                case 32: return Array(try key.signature(for: try unsafeTypedDigest(SHA256.hash(data: []), digest), padding: padding).rawRepresentation)
                case 48: return Array(try key.signature(for: try unsafeTypedDigest(SHA384.hash(data: []), digest), padding: padding).rawRepresentation)
                default: return Array(try key.signature(for: try unsafeTypedDigest(SHA512.hash(data: []), digest), padding: padding).rawRepresentation)
                }
            case .eccNistP256:
                return Array(try P256.Signing.PrivateKey(derRepresentation: material).signature(for: try unsafeTypedDigest(SHA256.hash(data: []), digest)).derRepresentation)
            case .eccNistP384:
                return Array(try P384.Signing.PrivateKey(derRepresentation: material).signature(for: try unsafeTypedDigest(SHA384.hash(data: []), digest)).derRepresentation)
            case .eccNistP521:
                return Array(try P521.Signing.PrivateKey(derRepresentation: material).signature(for: try unsafeTypedDigest(SHA512.hash(data: []), digest)).derRepresentation)
            default:
                throw CofferError(.invalidKeyUsage, "This key cannot sign.")
            }
        } catch let error as CofferError { throw error } catch { throw CofferError(.internalFailure, "signing failed") }
    }

    public static func verify(_ spec: KeySpec, material: [UInt8], message: [UInt8], type: SigningMessageType, algorithm: String,
                              signature: [UInt8]) throws(CofferError) -> Bool {
        let digest = try signingInput(spec, message: message, type: type, algorithm: algorithm)
        do {
            switch spec {
            case .mlDSA44, .mlDSA65, .mlDSA87:
                // BoringSSL signs over an external μ but does not verify over one.
                guard type == .raw else { throw CofferError(.unsupportedOperation, "Coffer does not verify ML-DSA signatures over an external mu yet.") }
                return try MLDSAKeys.verify(material, MLDSAKeys.level(spec)!, message: digest, signature: signature)
            case .eccSecgP256K1: return try Secp256k1.verify(digest: digest, signature: signature, material: material)
            case .eccNistEdwards25519:
                guard algorithm == "ED25519_SHA_512" else { throw ed25519phUnsupported }
                return try Ed25519Keys.verify(material, message: digest, signature: signature)
            case .rsa2048, .rsa3072, .rsa4096:
                let key = try _RSA.Signing.PrivateKey(derRepresentation: material).publicKey
                let padding: _RSA.Signing.Padding = algorithm.hasPrefix("RSASSA_PSS") ? .PSS : .insecurePKCS1v1_5
                let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
                switch digest.count {
                case 32: return key.isValidSignature(sig, for: try unsafeTypedDigest(SHA256.hash(data: []), digest), padding: padding)
                case 48: return key.isValidSignature(sig, for: try unsafeTypedDigest(SHA384.hash(data: []), digest), padding: padding)
                default: return key.isValidSignature(sig, for: try unsafeTypedDigest(SHA512.hash(data: []), digest), padding: padding)
                }
            case .eccNistP256:
                guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
                return try P256.Signing.PrivateKey(derRepresentation: material).publicKey.isValidSignature(sig, for: try unsafeTypedDigest(SHA256.hash(data: []), digest))
            case .eccNistP384:
                guard let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
                return try P384.Signing.PrivateKey(derRepresentation: material).publicKey.isValidSignature(sig, for: try unsafeTypedDigest(SHA384.hash(data: []), digest))
            case .eccNistP521:
                guard let sig = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
                return try P521.Signing.PrivateKey(derRepresentation: material).publicKey.isValidSignature(sig, for: try unsafeTypedDigest(SHA512.hash(data: []), digest))
            default:
                throw CofferError(.invalidKeyUsage, "This key cannot verify.")
            }
        } catch let error as CofferError { throw error } catch { throw CofferError(.internalFailure, "verification failed") }
    }


    public static func rsaEncrypt(material: [UInt8], plaintext: [UInt8], algorithm: String) throws(CofferError) -> [UInt8] {
        let key: _RSA.Encryption.PublicKey
        do { key = try _RSA.Encryption.PrivateKey(derRepresentation: material).publicKey } catch {
            throw CofferError(.internalFailure, "encryption failed")
        }
        // OAEP leaves the modulus less two hashes and two bytes for the message.
        let sha1 = algorithm == "RSAES_OAEP_SHA_1"
        let limit = key.keySizeInBits / 8 - 2 * (sha1 ? 20 : 32) - 2
        guard plaintext.count <= limit else {
            throw CofferError(.validation, "Algorithm \(algorithm) and key spec RSA_\(key.keySizeInBits) cannot encrypt data larger than \(limit) bytes.")
        }
        do {
            return Array(try key.encrypt(plaintext, padding: sha1 ? .PKCS1_OAEP : .PKCS1_OAEP_SHA256))
        } catch { throw CofferError(.internalFailure, "encryption failed") }
    }

    public static func rsaDecrypt(material: [UInt8], ciphertext: [UInt8], algorithm: String) throws(CofferError) -> [UInt8] {
        do {
            let key = try _RSA.Encryption.PrivateKey(derRepresentation: material)
            return Array(try key.decrypt(ciphertext, padding: algorithm == "RSAES_OAEP_SHA_1" ? .PKCS1_OAEP : .PKCS1_OAEP_SHA256))
        } catch { throw CofferError(.invalidCiphertext, "") }
    }

    // MARK: Key agreement

    /// The raw ECDH shared secret of the key's private half and a peer's public key (SubjectPublicKeyInfo
    /// DER) on the same curve, as DeriveSharedSecret returns it.
    public static func sharedSecret(_ spec: KeySpec, material: [UInt8], peer: [UInt8]) throws(CofferError) -> [UInt8] {
        // The private half is ours (unreadable is our failure); the public half is the caller's (invalid is theirs).
        func derive<Private, Public>(_ privateKey: () throws -> Private, _ publicKey: () throws -> Public,
                                     _ agree: (Private, Public) throws -> SharedSecret) throws(CofferError) -> [UInt8] {
            let ours: Private
            do { ours = try privateKey() } catch { throw CofferError(.internalFailure, "key material is unreadable") }
            do { return try agree(ours, try publicKey()).withUnsafeBytes { Array($0) } } catch {
                throw CofferError(.validation, "The public key is not a valid \(spec.rawValue) public key.")
            }
        }
        switch spec {
        case .eccNistP256:
            return try derive({ try P256.KeyAgreement.PrivateKey(derRepresentation: material) },
                              { try P256.KeyAgreement.PublicKey(derRepresentation: peer) }) { try $0.sharedSecretFromKeyAgreement(with: $1) }
        case .eccNistP384:
            return try derive({ try P384.KeyAgreement.PrivateKey(derRepresentation: material) },
                              { try P384.KeyAgreement.PublicKey(derRepresentation: peer) }) { try $0.sharedSecretFromKeyAgreement(with: $1) }
        case .eccNistP521:
            return try derive({ try P521.KeyAgreement.PrivateKey(derRepresentation: material) },
                              { try P521.KeyAgreement.PublicKey(derRepresentation: peer) }) { try $0.sharedSecretFromKeyAgreement(with: $1) }
        default: throw CofferError(.invalidKeyUsage, "This key cannot derive shared secrets.")
        }
    }

    // MARK: HMAC

    public static func mac(_ spec: KeySpec, material: [UInt8], message: [UInt8]) throws(CofferError) -> [UInt8] {
        let key = SymmetricKey(data: material)
        switch spec {
        case .hmac224: return hmac224(key: material, message: message)
        case .hmac256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .hmac384: return Array(HMAC<SHA384>.authenticationCode(for: message, using: key))
        case .hmac512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        default: throw CofferError(.invalidKeyUsage, "This key cannot generate MACs.")
        }
    }

    /// SHA-224, exposed for its test vectors.
    public static func sha224ForTesting(_ bytes: [UInt8]) -> [UInt8] { SHA224.hash(bytes) }

    /// HMAC (RFC 2104) over Coffer's own SHA-224, since swift-crypto has no SHA-224.
    static func hmac224(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let blockSize = 64
        var k = key.count > blockSize ? SHA224.hash(key) : key
        k += [UInt8](repeating: 0, count: blockSize - k.count)
        let inner = SHA224.hash(k.map { $0 ^ 0x36 } + message)
        return SHA224.hash(k.map { $0 ^ 0x5C } + inner)
    }
}

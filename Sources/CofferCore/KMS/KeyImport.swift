public import Crypto
import _CryptoExtras
public import struct Foundation.Date

/// Importing key material into a KMS key (AWS's "bring your own key"): the wrapping key pair, the
/// unwrapping of what the owner encrypted under it, the import token's contents and the checks on
/// the material. Pure: sealing the token under the root key and storing the material are the
/// service's.
public enum KeyImport {
    /// The wrapping algorithms AWS offers outside China's regions (SM2PKE is China's; RSAES_PKCS1_V1_5
    /// AWS no longer accepts).
    public enum WrappingAlgorithm: String, Sendable, CaseIterable {
        case rsaesOAEPSHA1 = "RSAES_OAEP_SHA_1", rsaesOAEPSHA256 = "RSAES_OAEP_SHA_256"
        case rsaAESKeyWrapSHA1 = "RSA_AES_KEY_WRAP_SHA_1", rsaAESKeyWrapSHA256 = "RSA_AES_KEY_WRAP_SHA_256"

        var usesSHA1: Bool { self == .rsaesOAEPSHA1 || self == .rsaAESKeyWrapSHA1 }
        var wrapsAnAESKey: Bool { self == .rsaAESKeyWrapSHA1 || self == .rsaAESKeyWrapSHA256 }
    }

    /// RSA wrapping key specs and their sizes in bits.
    public static let wrappingKeySpecs: [String: Int] = ["RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096]
    /// How long a public key and its import token may be used.
    public static let parametersLifetime: Double = 86_400
    /// The latest ValidTo AWS accepts, from the time of the import.
    public static let longestValidity: Double = 365 * 86_400

    /// What an import token carries, sealed by the service so that only Coffer can read it: the key
    /// it is for, the algorithm the owner was told to use, when it stops being valid, and the
    /// wrapping key's private half (so no state is kept between the two calls).
    public struct Token: Sendable, Equatable {
        public let keyARN: String
        public let algorithm: WrappingAlgorithm
        public let validTo: Date
        let privateKey: [UInt8]

        static let magic: [UInt8] = Array("CIT1".utf8)

        public init(keyARN: String, algorithm: WrappingAlgorithm, validTo: Date, privateKey: [UInt8]) {
            self.keyARN = keyARN
            self.algorithm = algorithm
            self.validTo = validTo
            self.privateKey = privateKey
        }

        /// "CIT1" | i64 seconds | u16 length, algorithm | u16 length, key ARN | private key (PKCS#8 DER).
        public var bytes: [UInt8] {
            var out = Self.magic
            withUnsafeBytes(of: Int64(validTo.timeIntervalSince1970.rounded(.down)).bigEndian) { out.append(contentsOf: $0) }
            for text in [algorithm.rawValue, keyARN] {
                withUnsafeBytes(of: UInt16(text.utf8.count).bigEndian) { out.append(contentsOf: $0) }
                out.append(contentsOf: text.utf8)
            }
            out.append(contentsOf: privateKey)
            return out
        }

        public init?(bytes: [UInt8]) {
            var reader = ByteReader(bytes)
            guard reader.take(4).map(Array.init) == Self.magic, let seconds = reader.take(8) else { return nil }
            let time = seconds.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            func text(_ reader: inout ByteReader) -> String? {
                guard let length = reader.u16(), let utf8 = reader.take(Int(length)) else { return nil }
                return String(decoding: utf8, as: UTF8.self)
            }
            guard let name = text(&reader), let algorithm = WrappingAlgorithm(rawValue: name), let arn = text(&reader) else { return nil }
            self.init(keyARN: arn, algorithm: algorithm, validTo: Date(timeIntervalSince1970: Double(Int64(bitPattern: time))),
                      privateKey: Array(reader.rest))
        }
    }

    /// A new RSA wrapping key pair: (private key PKCS#8 DER, public key SubjectPublicKeyInfo DER).
    public static func newWrappingKey(bits: Int) throws(CofferError) -> (privateKey: [UInt8], publicKey: [UInt8]) {
        do {
            let key = try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits))
            return (Array(key.pkcs8DERRepresentation), Array(key.publicKey.derRepresentation))
        } catch { throw CofferError(.internalFailure, "key generation failed") }
    }

    /// The material the owner encrypted under the token's public key, decrypted with its private half.
    public static func unwrap(_ encrypted: [UInt8], token: Token) throws(CofferError) -> [UInt8] {
        let invalid = CofferError(.invalidCiphertext, "")
        let key: _RSA.Encryption.PrivateKey
        do { key = try _RSA.Encryption.PrivateKey(derRepresentation: token.privateKey) } catch { throw invalid }
        let padding: _RSA.Encryption.Padding = token.algorithm.usesSHA1 ? .PKCS1_OAEP : .PKCS1_OAEP_SHA256
        // RSA_AES: an ephemeral AES key under RSA-OAEP (one modulus long), then the material under
        // that key with AES key wrap with padding (RFC 5649).
        let rsaLength = token.algorithm.wrapsAnAESKey ? key.keySizeInBits / 8 : encrypted.count
        guard encrypted.count >= rsaLength else { throw invalid }
        let decrypted: [UInt8]
        do { decrypted = Array(try key.decrypt(encrypted[..<rsaLength], padding: padding)) } catch { throw invalid }
        guard token.algorithm.wrapsAnAESKey else { return decrypted }
        guard [16, 24, 32].contains(decrypted.count), let material = unwrapWithPadding(Array(encrypted[rsaLength...]), kek: SymmetricKey(data: decrypted))
        else { throw invalid }
        return material
    }

    /// AES key wrap with padding (RFC 5649), unwrapping: nil unless the integrity check holds.
    static func unwrapWithPadding(_ wrapped: [UInt8], kek: SymmetricKey) -> [UInt8]? {
        guard wrapped.count >= 16, wrapped.count % 8 == 0 else { return nil }
        let n = wrapped.count / 8 - 1
        var a = Array(wrapped[0..<8])
        var r = (0..<n).map { Array(wrapped[8 * ($0 + 1)..<8 * ($0 + 2)]) }
        do {
            if n == 1 {
                var block = wrapped
                try AES.inversePermute(&block, key: kek)
                a = Array(block[0..<8])
                r = [Array(block[8..<16])]
            } else {
                for j in stride(from: 5, through: 0, by: -1) {
                    for i in stride(from: n, through: 1, by: -1) {
                        let t = UInt64(n * j + i)
                        var block = a
                        for k in 0..<8 { block[k] ^= UInt8(truncatingIfNeeded: t >> (56 - 8 * k)) }
                        block += r[i - 1]
                        try AES.inversePermute(&block, key: kek)
                        a = Array(block[0..<8])
                        r[i - 1] = Array(block[8..<16])
                    }
                }
            }
        } catch { return nil }
        // The alternative initial value: A65959A6 and the message length, which the padding must fit.
        guard a[0..<4].elementsEqual([0xA6, 0x59, 0x59, 0xA6]) else { return nil }
        let length = a[4..<8].reduce(0) { $0 << 8 | Int($1) }
        let plain = r.flatMap { $0 }
        guard length > 8 * (n - 1), length <= 8 * n, plain[length...].allSatisfy({ $0 == 0 }) else { return nil }
        return Array(plain[..<length])
    }

    /// The material as the key keeps it, or IncorrectKeyMaterialException for material that cannot be
    /// the key's: a symmetric key of 256 bits, an HMAC key of the lengths AWS takes for its spec, a
    /// private key (PKCS#8 or the key type's own DER) of the spec's type and size.
    public static func material(_ plaintext: [UInt8], for spec: KeySpec) throws(CofferError) -> [UInt8] {
        let incorrect = CofferError(.incorrectKeyMaterial, "The key material is not valid for a key with key spec \(spec.rawValue).")
        let lengths: ClosedRange<Int>? = switch spec {
        case .symmetricDefault: 32...32
        case .hmac224: 28...64
        case .hmac256: 32...64
        case .hmac384: 48...128
        case .hmac512: 64...128
        default: nil
        }
        if let lengths {
            guard lengths.contains(plaintext.count) else { throw incorrect }
            return plaintext
        }
        do {
            switch spec {
            case .rsa2048, .rsa3072, .rsa4096:
                let key = try _RSA.Signing.PrivateKey(derRepresentation: plaintext)
                guard key.keySizeInBits == (spec == .rsa2048 ? 2048 : spec == .rsa3072 ? 3072 : 4096) else { throw incorrect }
                return Array(key.pkcs8DERRepresentation)
            case .eccNistP256: return Array(try P256.Signing.PrivateKey(derRepresentation: plaintext).derRepresentation)
            case .eccNistP384: return Array(try P384.Signing.PrivateKey(derRepresentation: plaintext).derRepresentation)
            case .eccNistP521: return Array(try P521.Signing.PrivateKey(derRepresentation: plaintext).derRepresentation)
            default: throw incorrect
            }
        } catch { throw incorrect }
    }

    /// AWS's KeyMaterialId for imported material: 64 hex digits that depend on the key and the
    /// material only, so importing the same material again names the same id. Keyed, so the id
    /// tells nothing about the material.
    public static func materialID(keyID: String, material: [UInt8], key: SymmetricKey) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(keyID.utf8) + [0] + material, using: key))
    }
}

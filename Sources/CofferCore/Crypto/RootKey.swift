public import Crypto

/// The 256-bit key at the top of Coffer's key hierarchy.
///
/// It lives outside the database (a 0600 file or the environment) and seals everything that must
/// not sit in the database in the clear: KMS key material and IAM secret access keys. It never
/// reaches a log; its description is redacted.
public struct RootKey: Sendable, CustomStringConvertible {
    let key: SymmetricKey

    public init(bytes: [UInt8]) throws(CofferError) {
        guard bytes.count == 32 else { throw CofferError(.internalFailure, "the root key must be 32 bytes") }
        key = SymmetricKey(data: bytes)
    }

    public static func generate(random: any RandomSource) -> RootKey {
        // 32 bytes always satisfies the initializer.
        try! RootKey(bytes: random.bytes(32))
    }

    /// The raw bytes, for writing the key file only.
    public var unsafeRawBytes: [UInt8] { key.withUnsafeBytes { Array($0) } }

    public var description: String { "RootKey(<redacted>)" }

    /// A subkey bound to `purpose`, so that each use of the root key gets an independent key.
    public func derive(_ purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, salt: Array("coffer-root-v1".utf8), info: Array(purpose.utf8), outputByteCount: 32)
    }

    /// Seals `plaintext` under a subkey for `purpose`, bound to `context` as associated data.
    public func seal(_ plaintext: [UInt8], purpose: String, context: String) throws(CofferError) -> [UInt8] {
        try AEAD.seal(plaintext, key: derive(purpose), aad: Array(context.utf8))
    }

    public func open(_ sealed: [UInt8], purpose: String, context: String) throws(CofferError) -> [UInt8] {
        try AEAD.open(sealed, key: derive(purpose), aad: Array(context.utf8))
    }
}

/// AES-256-GCM with the nonce, ciphertext and tag in one byte string.
enum AEAD {
    static func seal(_ plaintext: [UInt8], key: SymmetricKey, aad: [UInt8]) throws(CofferError) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: aad)
            guard let combined = box.combined else { throw CofferError(.encryptionFailure, "encryption failed") }
            return Array(combined)
        } catch let error as CofferError {
            throw error
        } catch {
            throw CofferError(.encryptionFailure, "encryption failed")
        }
    }

    static func open(_ sealed: [UInt8], key: SymmetricKey, aad: [UInt8]) throws(CofferError) -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: aad))
        } catch {
            throw CofferError(.decryptionFailure, "decryption failed")
        }
    }
}

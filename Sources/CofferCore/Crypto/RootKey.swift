public import Crypto
import Synchronization
// swift-crypto's own BoringSSL (see KMS/Secp256k1.swift on the import).
internal import CCryptoBoringSSL

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

/// AES-GCM with the nonce, ciphertext and tag in one byte string (swift-crypto's `combined` layout:
/// 12-byte nonce, ciphertext, 16-byte tag), through BoringSSL's AEAD interface directly. Every read
/// opens two of these; swift-crypto's wrapper around the same BoringSSL call spent about three times
/// the cipher's own work converting between Data, slices and generic buffers (perf, GetSecretValue).
enum AEAD {
    static let nonceSize = 12, tagSize = 16

    /// Sets up `context` for `key` (AES-256- or AES-128-GCM by its length).
    private static func initialize(_ context: UnsafeMutablePointer<EVP_AEAD_CTX>, _ key: SymmetricKey) -> Bool {
        key.withUnsafeBytes { bytes -> Bool in
            guard let cipher = bytes.count == 32 ? CCryptoBoringSSL_EVP_aead_aes_256_gcm()
                : bytes.count == 16 ? CCryptoBoringSSL_EVP_aead_aes_128_gcm() : nil
            else { return false }
            return CCryptoBoringSSL_EVP_AEAD_CTX_init(context, cipher, bytes.baseAddress, bytes.count, tagSize, nil) == 1
        }
    }

    /// Cleans `context` up and zeroes it: it holds the expanded key.
    private static func release(_ context: UnsafeMutablePointer<EVP_AEAD_CTX>) {
        CCryptoBoringSSL_EVP_AEAD_CTX_cleanup(context)
        UnsafeMutableRawPointer(context).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<EVP_AEAD_CTX>.size)
    }

    private static func withContext<Result>(_ key: SymmetricKey, _ body: (UnsafePointer<EVP_AEAD_CTX>) throws(CofferError) -> Result)
        throws(CofferError) -> Result
    {
        var context = EVP_AEAD_CTX()
        return try withUnsafeMutablePointer(to: &context) { pointer throws(CofferError) in
            guard initialize(pointer, key) else { throw CofferError(.internalFailure, "the key is not an AES key") }
            defer { release(pointer) }
            return try body(pointer)
        }
    }

    /// A key with BoringSSL's context set up once: setting it up (the key schedule and the GHASH
    /// table) was ~1,700 instructions of every read's opening. Seal and open may run concurrently on
    /// one context (BoringSSL's aead.h), so one instance serves every thread.
    final class Prepared: @unchecked Sendable {
        private let context: UnsafeMutablePointer<EVP_AEAD_CTX>

        init(_ key: SymmetricKey) throws(CofferError) {
            // Set up before it is stored: a failed set-up frees it here, and no deinit frees it again.
            let context = UnsafeMutablePointer<EVP_AEAD_CTX>.allocate(capacity: 1)
            context.initialize(to: EVP_AEAD_CTX())
            guard AEAD.initialize(context, key) else {
                context.deallocate()
                throw CofferError(.internalFailure, "the key is not an AES key")
            }
            self.context = context
        }

        deinit {
            AEAD.release(context)
            context.deallocate()
        }

        func open(_ sealed: [UInt8], aad: [UInt8]) throws(CofferError) -> [UInt8] { try AEAD.open(sealed, context: context, aad: aad) }
    }

    static func seal(_ plaintext: [UInt8], key: SymmetricKey, aad: [UInt8]) throws(CofferError) -> [UInt8] {
        try withContext(key) { context throws(CofferError) in
            var out = [UInt8](repeating: 0, count: nonceSize + plaintext.count + tagSize)
            var written = 0
            let sealed = out.withUnsafeMutableBufferPointer { buffer -> Bool in
                let base = buffer.baseAddress!
                // The nonce from the operating system's generator through the shared pool (no system call per
                // seal): `SystemRandomNumberGenerator.next()` per byte was a getrandom(2) for each of the twelve
                // bytes, 24 a PutSecretValue. BoringSSL's RAND_bytes would set up its own generator state in
                // every process that seals.
                RandomPool.shared.withLock { $0.take(into: UnsafeMutableRawPointer(base), count: nonceSize) }
                return plaintext.withUnsafeBufferPointer { input in
                    aad.withUnsafeBufferPointer { ad in
                        CCryptoBoringSSL_EVP_AEAD_CTX_seal(context, base + nonceSize, &written, buffer.count - nonceSize, base, nonceSize,
                                                           input.baseAddress, input.count, ad.baseAddress, ad.count) == 1
                    }
                }
            }
            guard sealed, written == plaintext.count + tagSize else {
                CCryptoBoringSSL_ERR_clear_error()
                throw CofferError(.encryptionFailure, "encryption failed")
            }
            return out
        }
    }

    static func open(_ sealed: [UInt8], key: SymmetricKey, aad: [UInt8]) throws(CofferError) -> [UInt8] {
        try withContext(key) { context throws(CofferError) in try open(sealed, context: context, aad: aad) }
    }

    private static func open(_ sealed: [UInt8], context: UnsafePointer<EVP_AEAD_CTX>, aad: [UInt8]) throws(CofferError) -> [UInt8] {
        guard sealed.count >= nonceSize + tagSize else { throw CofferError(.decryptionFailure, "decryption failed") }
        let opened = ByteArrays.make(count: sealed.count - nonceSize - tagSize) { buffer -> Int? in
            var written = 0
            let done = sealed.withUnsafeBufferPointer { input in
                aad.withUnsafeBufferPointer { ad in
                    CCryptoBoringSSL_EVP_AEAD_CTX_open(context, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), &written, buffer.count,
                                                       input.baseAddress, nonceSize, input.baseAddress! + nonceSize, input.count - nonceSize,
                                                       ad.baseAddress, ad.count) == 1
                }
            }
            return done ? written : nil
        }
        guard let opened else {
            CCryptoBoringSSL_ERR_clear_error()
            throw CofferError(.decryptionFailure, "decryption failed")
        }
        return opened
    }
}

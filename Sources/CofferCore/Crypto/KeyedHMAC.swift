public import Crypto
// swift-crypto's own BoringSSL (see KMS/Secp256k1.swift on the import).
internal import CCryptoBoringSSL

/// HMAC-SHA-256 under one key that serves many messages (SigV4's derived keys, the audit chain, the
/// redaction of audited values, the digests that recognise a secret's value): the key's pads are
/// hashed once, and each message starts from a copy of the keyed states.
///
/// Built on BoringSSL's SHA-256 context (a plain C struct, copied by value) as RFC 2104 defines HMAC.
/// `HMAC<SHA256>`'s `update(data:)` is generic and not inlinable (a type metadata lookup per step),
/// and swift-crypto's `SHA256` keeps its state in a copy-on-write class, so each message's copy of
/// the keyed states allocated twice. Tests compare it with `HMAC<SHA256>` over keys and messages of
/// every length around the block.
public struct KeyedHMAC: @unchecked Sendable {
    // Immutable after init; a Message copies them by value.
    private let inner: SHA256_CTX
    private let outer: SHA256_CTX
    private static let blockSize = 64

    public init(key: SymmetricKey) {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        key.withUnsafeBytes { raw in
            if raw.count > Self.blockSize {
                _ = CCryptoBoringSSL_SHA256(raw.baseAddress, raw.count, &block)
            } else {
                block.replaceSubrange(0..<raw.count, with: raw)
            }
        }
        var inner = SHA256_CTX(), outer = SHA256_CTX()
        CCryptoBoringSSL_SHA256_Init(&inner)
        CCryptoBoringSSL_SHA256_Init(&outer)
        var pad = block.map { $0 ^ 0x36 }
        CCryptoBoringSSL_SHA256_Update(&inner, pad, pad.count)
        pad = block.map { $0 ^ 0x5C }
        CCryptoBoringSSL_SHA256_Update(&outer, pad, pad.count)
        for index in block.indices {
            block[index] = 0
            pad[index] = 0
        }
        self.inner = inner
        self.outer = outer
    }

    /// One message's MAC in progress.
    public struct Message: @unchecked Sendable {
        fileprivate var inner: SHA256_CTX
        fileprivate let outer: SHA256_CTX

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            CCryptoBoringSSL_SHA256_Update(&inner, bytes.baseAddress, bytes.count)
        }

        public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

        public func finalize() -> [UInt8] {
            var inner = self.inner, outer = self.outer
            return ByteArrays.digest { digest in
                CCryptoBoringSSL_SHA256_Final(digest, &inner)
                CCryptoBoringSSL_SHA256_Update(&outer, digest, 32)
                CCryptoBoringSSL_SHA256_Final(digest, &outer)
            }
        }
    }

    /// The keyed states with nothing else absorbed: ready for a message.
    public var started: Message { Message(inner: inner, outer: outer) }

    public func authenticationCode(for bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var message = started
        message.update(bytes)
        return message.finalize()
    }

    public func authenticationCode(for bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { authenticationCode(for: $0) } }
}

/// SHA-256 in one call into a plain byte array (swift-crypto's one-shot hash builds a class-held
/// context first): SigV4 hashes every request's payload and canonical request with it.
public enum SHA256Bytes {
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        ByteArrays.digest { _ = CCryptoBoringSSL_SHA256(bytes.baseAddress, bytes.count, $0) }
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { hash($0) } }
}

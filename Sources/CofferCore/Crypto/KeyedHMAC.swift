public import Crypto

/// HMAC-SHA-256 under one key that serves many messages (the audit chain, the redaction of audited
/// values, the digests that recognise a secret's value): the key schedule runs once, and each
/// message starts from a copy of the keyed state instead of absorbing the key again.
public struct KeyedHMAC: Sendable {
    /// The MAC with the key absorbed and nothing else: a copy is ready for a message.
    public let started: HMAC<SHA256>

    public init(key: SymmetricKey) { started = HMAC<SHA256>(key: key) }

    public func authenticationCode(for bytes: [UInt8]) -> HMAC<SHA256>.MAC {
        var mac = started
        mac.update(data: bytes)
        return mac.finalize()
    }
}

public import CofferCore
import Crypto

/// Supplies the keys that wrap secret values' data keys.
///
/// Until Coffer has KMS, every account and region gets one AWS-managed key for Secrets Manager,
/// derived from the root key. The KMS issue replaces this with real keys; the envelope format
/// already names key and material version, so stored values need no migration.
public protocol Keyring: Sendable {
    func wrappingKey(for scope: ResourceScope, kmsKeyID: String?) throws(CofferError) -> WrappingKey
    func wrappingKey(for header: Envelope.Header) throws(CofferError) -> WrappingKey
    /// A keyed digest, so equal values can be recognised without keeping them.
    func digest(_ bytes: [UInt8]) -> String
}

public struct RootDerivedKeyring: Keyring {
    let root: RootKey
    let digestKey: SymmetricKey

    public init(root: RootKey) {
        self.root = root
        digestKey = root.derive("value-digest")
    }

    public func wrappingKey(for scope: ResourceScope, kmsKeyID: String?) throws(CofferError) -> WrappingKey {
        let keyID = "aws/secretsmanager:\(scope.account):\(scope.region)"
        return WrappingKey(keyID: keyID, version: 1, key: root.derive("managed-key/\(keyID)/1"))
    }

    public func wrappingKey(for header: Envelope.Header) throws(CofferError) -> WrappingKey {
        guard header.version == 1, header.keyID.hasPrefix("aws/secretsmanager:") else {
            throw CofferError(.decryptionFailure, "Secrets Manager can't decrypt the protected secret text using the provided KMS key.")
        }
        return WrappingKey(keyID: header.keyID, version: 1, key: root.derive("managed-key/\(header.keyID)/1"))
    }

    public func digest(_ bytes: [UInt8]) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: bytes, using: digestKey))
    }
}

public import CofferCore
import Crypto

/// Supplies the keys that wrap the data keys of sealed values (secret versions, SecureStrings).
public protocol Keyring: Sendable {
    /// The wrapping key for new values: the named KMS key, or the service's AWS-managed key.
    func wrappingKey(for scope: ResourceScope, kmsKeyID: String?, service: String) async throws -> WrappingKey
    /// The wrapping key a sealed value names in its header.
    func wrappingKey(for header: Envelope.Header, scope: ResourceScope, service: String) async throws -> WrappingKey
    /// A keyed digest, so equal values can be recognised without keeping them.
    func digest(_ bytes: [UInt8]) -> String
    /// Data keys this keyring has unwrapped, if it keeps them.
    var dataKeys: DataKeyCache? { get }
}

extension Keyring {
    /// Opens a sealed value with the key its header names (resolved, and its state checked, on
    /// every call), or with `local` where the header names that key instead of a KMS key.
    func open(_ sealed: [UInt8], context: String, scope: ResourceScope, service: String, local: WrappingKey? = nil) async throws -> [UInt8] {
        let parts = try Envelope.Parsed(sealed)
        let wrapping = if let local, parts.header.keyID == local.keyID { local } else {
            try await wrappingKey(for: parts.header, scope: scope, service: service)
        }
        return try Envelope.open(parts, context: context, under: wrapping, dataKeys: dataKeys)
    }
}

/// Wraps data keys with real KMS keys: the key and material version are named in each envelope,
/// so a disabled or deleted key really stops decryption and rotated keys still open old values.
public struct KMSKeyring: Keyring {
    let kms: KMSService
    let digestMAC: KeyedHMAC
    public let dataKeys: DataKeyCache? = DataKeyCache()

    public init(kms: KMSService, root: RootKey) {
        self.kms = kms
        digestMAC = KeyedHMAC(key: root.derive("value-digest"))
    }

    public func wrappingKey(for scope: ResourceScope, kmsKeyID: String?, service: String) async throws -> WrappingKey {
        let key: KMSKey
        do {
            if let kmsKeyID {
                key = try await kms.resolve(kmsKeyID, in: scope)
            } else {
                key = try await kms.managedKey(service: service, in: scope)
            }
            try KMSService.requireUsable(key, usage: .encryptDecrypt, operation: "GenerateDataKey")
        } catch let error as CofferError {
            throw KMSKeyring.failure(error, service: service, encrypting: true)
        }
        guard key.keySpec == .symmetricDefault, let current = key.currentMaterial else {
            throw KMSKeyring.failure(CofferError(.invalidKeyUsage, "\(key.arn) is not a symmetric encryption key."), service: service, encrypting: true)
        }
        return WrappingKey(keyID: key.keyID, version: current.version,
                           key: SymmetricKey(data: try await kms.material(key, version: current.version)))
    }

    public func wrappingKey(for header: Envelope.Header, scope: ResourceScope, service: String) async throws -> WrappingKey {
        do {
            let key = try await kms.resolve(header.keyID, in: scope)
            try KMSService.requireUsable(key, usage: .encryptDecrypt, operation: "Decrypt")
            guard key.decrypts(version: header.version) else { throw CofferError(.invalidCiphertext, "") }
            return WrappingKey(keyID: key.keyID, version: header.version,
                               key: SymmetricKey(data: try await kms.material(key, version: header.version)))
        } catch let error as CofferError {
            throw KMSKeyring.failure(error, service: service, encrypting: false)
        }
    }

    /// How each service reports a KMS key it cannot use.
    static func failure(_ error: CofferError, service: String, encrypting: Bool) -> CofferError {
        switch service {
        case "ssm":
            return CofferError(.invalidKeyID, error.message.isEmpty ? "The ciphertext is invalid." : error.message)
        default:
            if error.code == .notFound && encrypting { return CofferError(.resourceNotFound, error.message) }
            let what = encrypting ? "encrypt" : "decrypt"
            let detail = error.message.isEmpty ? "" : " \(error.message)"
            return CofferError(encrypting ? .encryptionFailure : .decryptionFailure,
                               "Secrets Manager can't \(what) the protected secret text using the provided KMS key.\(detail)")
        }
    }

    public func digest(_ bytes: [UInt8]) -> String {
        Hex.encode(digestMAC.authenticationCode(for: bytes))
    }
}

public import CofferCore
public import struct Foundation.Date

/// A change to one secret, committed atomically: the new metadata, the sealed values of new
/// versions, and the versions to forget.
public struct SecretWrite: Sendable {
    public enum Kind: Sendable {
        /// A new secret; fails with ``StorageError/nameTaken`` if the name is in use in the scope.
        case create
        /// An update of the secret at `expectedRevision`; fails with ``StorageError/conflict`` if it moved on.
        case update(expectedRevision: Int)
    }

    public var kind: Kind
    public var scope: ResourceScope
    public var secret: Secret
    public var newValues: [(versionID: String, sealed: [UInt8])]
    public var removedVersionIDs: [String]

    public init(kind: Kind, scope: ResourceScope, secret: Secret, newValues: [(versionID: String, sealed: [UInt8])] = [], removedVersionIDs: [String] = []) {
        self.kind = kind
        self.scope = scope
        self.secret = secret
        self.newValues = newValues
        self.removedVersionIDs = removedVersionIDs
    }
}

public enum StorageError: Error, Sendable, Equatable {
    /// Another writer changed the record first; re-read and try again.
    case conflict
    /// A secret with this name already exists in the scope.
    case nameTaken
}

/// Where secrets live. Small on purpose: lookups, one atomic write, removal.
public protocol SecretStore: Sendable {
    func secret(named name: String, in scope: ResourceScope) async throws -> Secret?
    func secret(arn: String) async throws -> Secret?
    /// Every secret of the scope, scheduled deletions included.
    func secrets(in scope: ResourceScope) async throws -> [Secret]
    func sealedValue(arn: String, versionID: String) async throws -> [UInt8]?
    func write(_ write: SecretWrite) async throws
    /// Removes the secret and every value it had.
    func removeSecret(arn: String) async throws
    /// Secrets whose recovery window ended at or before `date`, across all scopes.
    func secretsDue(forDeletionAt date: Date) async throws -> [String]
}

/// An access key as storage keeps it: the secret half sealed under the root key.
public struct StoredAccessKey: Sendable, Equatable {
    public var accessKeyID: String
    public var account: String
    public var principalARN: String
    public var sealedSecret: [UInt8]
    public var createdDate: Date

    public init(accessKeyID: String, account: String, principalARN: String, sealedSecret: [UInt8], createdDate: Date) {
        self.accessKeyID = accessKeyID
        self.account = account
        self.principalARN = principalARN
        self.sealedSecret = sealedSecret
        self.createdDate = createdDate
    }
}

public protocol CredentialStore: Sendable {
    func accessKey(id: String) async throws -> StoredAccessKey?
    func putAccessKey(_ key: StoredAccessKey) async throws
}

/// Small named settings that must survive restarts (the account id).
public protocol SettingStore: Sendable {
    func setting(_ name: String) async throws -> String?
    func setSetting(_ name: String, _ value: String) async throws
}

/// Everything a Coffer node keeps.
public typealias CofferStore = SecretStore & CredentialStore & SettingStore

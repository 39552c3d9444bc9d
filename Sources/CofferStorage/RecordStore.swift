public import CofferCore
public import struct Foundation.Date

/// Something Coffer keeps: a secret, a parameter, a KMS key, an alias. Metadata lives in one
/// document per record; sealed values (one per version) are stored apart so that reading one
/// version never loads the others.
public protocol Record: Codable, Sendable, Equatable {
    /// Distinguishes kinds that share a scope and could share a name.
    static var kind: String { get }
    var arn: String { get }
    var name: String { get }
    /// Bumped on every change; storage refuses a write based on a stale revision.
    var revision: Int { get set }
    /// When the record is due to be removed for good, if it is scheduled for deletion.
    var deletionDate: Date? { get }
    /// When background work (a secret's rotation) must next look at the record; indexed, so that
    /// finding what is due costs the number due, not the number of records.
    var dueDate: Date? { get }
    /// The record's date in a date order (``RecordOrder/lastChanged``, ``RecordOrder/lastAccessed``),
    /// as seconds since 1970; stores index it. Nil for kinds that are not listed by dates.
    func date(in order: RecordOrder) -> Double?
}

extension Record {
    public var dueDate: Date? { nil }
    public func date(in order: RecordOrder) -> Double? { nil }
}

/// A change to one record, committed atomically: the new document, the sealed values of new
/// versions, and the versions to forget.
public struct RecordWrite<R: Record>: Sendable {
    public enum Kind: Sendable {
        /// A new record; fails with ``StorageError/nameTaken`` if the name is in use in the scope.
        case create
        /// An update of the record at `expectedRevision`; fails with ``StorageError/conflict`` if it moved on.
        case update(expectedRevision: Int)
    }

    public var kind: Kind
    public var scope: ResourceScope
    public var record: R
    public var newValues: [(versionID: String, sealed: [UInt8])]
    public var removedVersionIDs: [String]
    /// The audit record of the call making this change, committed in the same transaction.
    public var audit: AuditAppend?
    /// Service events the change causes (a rotation abandoned by a new value, a rotation started
    /// by RotateSecret), committed after the call's own record in the same transaction.
    public var alsoRecord: [AuditAppend] = []

    public init(_ kind: Kind, scope: ResourceScope, record: R, newValues: [(versionID: String, sealed: [UInt8])] = [], removedVersionIDs: [String] = [],
                audit: AuditAppend? = nil) {
        self.kind = kind
        self.scope = scope
        self.record = record
        self.newValues = newValues
        self.removedVersionIDs = removedVersionIDs
        self.audit = audit
    }
}

extension RecordWrite {
    public var isCreation: Bool {
        if case .create = kind { return true }
        return false
    }
}

extension RecordStore {
    /// Optimistically, for stores without a place to run `change` in their order of writes: read,
    /// work out the change, write at the revision read, and again if another writer came first.
    public func update<R: Record>(_ type: R.Type, arn: String, _ change: @escaping @Sendable (R) throws -> RecordWrite<R>?) async throws -> R? {
        var attempt = 0
        while true {
            guard let current = try await record(R.self, arn: arn) else { return nil }
            guard let write = try change(current) else { return current }
            do {
                try await self.write(write)
                return write.record
            } catch StorageError.conflict where attempt < 16 {
                attempt += 1
            }
        }
    }
}

public enum StorageError: Error, Sendable, Equatable {
    /// Another writer changed the record first; re-read and try again.
    case conflict
    /// A record of this kind with this name already exists in the scope.
    case nameTaken
}

/// Where records live. Small on purpose: lookups, one atomic write, removal.
public protocol RecordStore: Sendable {
    func record<R: Record>(_ type: R.Type, named name: String, in scope: ResourceScope) async throws -> R?
    func record<R: Record>(_ type: R.Type, arn: String) async throws -> R?
    /// Every record of the kind in the scope, oldest first, scheduled deletions included.
    func records<R: Record>(_ type: R.Type, in scope: ResourceScope) async throws -> [R]
    func sealedValue(arn: String, versionID: String) async throws -> [UInt8]?
    func write<R: Record>(_ write: RecordWrite<R>) async throws
    /// One page of the kind's records in the scope (see ``RecordQuery``), read through an index, so
    /// a page costs what it reads, not what the store holds.
    func page<R: Record>(_ query: RecordQuery<R>) async throws -> RecordPage<R>
    /// Reads the record at `arn` and commits the write `change` works out from it, as one step in the
    /// store's order of writes: changes of one record made at the same time queue rather than
    /// conflict, each seeing the one before it. `change` runs where the store writes (it must be quick
    /// and must not wait), returns nil to write nothing, and what it throws is thrown. Answers the
    /// record as it stands afterwards, or nil when there is none.
    func update<R: Record>(_ type: R.Type, arn: String, _ change: @escaping @Sendable (R) throws -> RecordWrite<R>?) async throws -> R?
    /// Removes the record and every value it had.
    func removeRecord(arn: String) async throws
    /// Records whose deletion date is at or before `date`, across all scopes and kinds.
    func recordsDue(forDeletionAt date: Date) async throws -> [(kind: String, arn: String)]
    /// ARNs of records of `kind` whose ``Record/dueDate`` is at or before `date`, earliest first.
    func recordsDue(kind: String, at date: Date, limit: Int) async throws -> [String]
}

/// An access key as storage keeps it: the secret half sealed under the root key.
public struct StoredAccessKey: Sendable, Equatable {
    public var accessKeyID: String
    public var account: String
    public var principalARN: String
    public var sealedSecret: [UInt8]
    public var createdDate: Date
    /// "Active" or "Inactive".
    public var status: String
    public var lastUsedDate: Date?
    public var lastUsedService: String?
    public var lastUsedRegion: String?

    public init(accessKeyID: String, account: String, principalARN: String, sealedSecret: [UInt8], createdDate: Date,
                status: String = "Active") {
        self.accessKeyID = accessKeyID
        self.account = account
        self.principalARN = principalARN
        self.sealedSecret = sealedSecret
        self.createdDate = createdDate
        self.status = status
    }
}

public protocol CredentialStore: Sendable {
    func accessKey(id: String) async throws -> StoredAccessKey?
    /// Inserts or replaces the key.
    func putAccessKey(_ key: StoredAccessKey) async throws
    func accessKeys(principalARN: String) async throws -> [StoredAccessKey]
    func deleteAccessKey(id: String) async throws
}

/// Small named settings that must survive restarts (the account id).
public protocol SettingStore: Sendable {
    func setting(_ name: String) async throws -> String?
    func setSetting(_ name: String, _ value: String) async throws
}

/// Everything a Coffer node keeps.
public typealias CofferStore = RecordStore & CredentialStore & SettingStore & AuditStore

extension Secret: Record {
    public static let kind = "secret"
    public var dueDate: Date? { RotationLabels.dueDate(self) }

    /// A secret never read sorts as the earliest access. The SQLite and PostgreSQL migrations that
    /// added these columns filled them with the same rule from the documents' keys.
    public func date(in order: RecordOrder) -> Double? {
        switch order {
        case .lastChanged: lastChangedDate.timeIntervalSince1970
        case .lastAccessed: (lastAccessedDate ?? .distantPast).timeIntervalSince1970
        case .created, .name: nil
        }
    }
}

/// A record with a list of parts that a store may keep apart from its document, so that a change
/// writes the parts that changed instead of the whole list: a secret's up to 100 versions, of which
/// a new value adds one and relabels two.
public protocol PartedRecord: Record {
    associatedtype Part: Codable, Equatable, Sendable
    /// In order; each part's key is unique within the record.
    var parts: [Part] { get set }
    static func key(of part: Part) -> String
    /// What moves between parts on most changes (a secret's staging labels: a new version takes
    /// AWSCURRENT, and AWSPREVIOUS moves along): a store keeps it with the record's document, which
    /// every change rewrites anyway, so that moving it rewrites no part.
    static func labels(of part: Part) -> [String]
    static func part(_ part: Part, labeled labels: [String]) -> Part
}

extension Secret: PartedRecord {
    public var parts: [SecretVersion] {
        get { versions }
        set { versions = newValue }
    }
    public static func key(of part: SecretVersion) -> String { part.versionID }
    public static func labels(of part: SecretVersion) -> [String] { part.stages }
    public static func part(_ part: SecretVersion, labeled labels: [String]) -> SecretVersion {
        var labeled = part
        labeled.stages = labels
        return labeled
    }
}

extension KMSKey: Record {
    public static let kind = "kms-key"
}

extension KMSAlias: Record {
    public static let kind = "kms-alias"
}

extension Parameter: Record {
    public static let kind = "ssm-parameter"
    public var dueDate: Date? { nextNotification }
}

extension IAMUser: Record {
    public static let kind = "iam-user"
}

extension ManagedPolicy: Record {
    public static let kind = "iam-policy"
}

extension IAMRole: Record {
    public static let kind = "iam-role"
}

extension IAMGroup: Record {
    public static let kind = "iam-group"
}

extension STSSession: Record {
    public static let kind = "sts-session"
}

extension Trail: Record {
    public static let kind = "cloudtrail-trail"
}

extension OIDCProvider: Record {
    public static let kind = "iam-oidc-provider"
}

extension SAMLProvider: Record {
    public static let kind = "iam-saml-provider"
}

extension VirtualMFADevice: Record {
    public static let kind = "iam-mfa-device"
}

extension CredentialReport: Record {
    public static let kind = "iam-credential-report"
}

extension InstanceProfile: Record {
    public static let kind = "iam-instance-profile"
}

extension ServerCertificate: Record {
    public static let kind = "iam-server-certificate"
}

public import struct Foundation.Date

/// A resource tag.
public struct Tag: Sendable, Codable, Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

extension Array where Element == Tag {
    /// TagResource's rule in every service: a new key is added, an existing key takes the new value.
    public mutating func merge(_ tags: [Tag]) {
        for tag in tags {
            if let index = firstIndex(where: { $0.key == tag.key }) { self[index].value = tag.value } else { append(tag) }
        }
    }
}

/// A secret's metadata and the metadata of its versions; the sealed values are stored apart so
/// that reading one version never loads the others.
///
/// Its fields are kept copy-on-write: a read of a secret passes it along several times (the cache,
/// authorization, the service), and copying its ~20 members was ~100 reference-count operations a
/// GetSecretValue (callgrind).
public struct Secret: Sendable, Codable, Equatable {
    struct Fields: Sendable, Codable, Equatable {
        var arn: String
        var name: String
        var description: String?
        var kmsKeyID: String?
        var tags: [Tag]
        var tagged: Bool?
        var resourcePolicy: String?
        var createdDate: Date
        var lastChangedDate: Date
        var lastAccessedDate: Date?
        var deletedDate: Date?
        var deletionDate: Date?
        var versions: [SecretVersion]
        var revision: Int
        var rotation: RotationConfiguration?
        var lastRotatedDate: Date?
        var rotationJob: RotationJob?
        var replicas: [SecretReplica]?
        var primaryRegion: String?
    }

    private var storage: CopyOnWrite<Fields>

    public var arn: String {
        get { storage.fields.arn }
        _modify { yield &storage.fields.arn }
    }
    public var name: String {
        get { storage.fields.name }
        _modify { yield &storage.fields.name }
    }
    public var description: String? {
        get { storage.fields.description }
        _modify { yield &storage.fields.description }
    }
    /// The key the caller named; `nil` means the AWS-managed `aws/secretsmanager` key.
    public var kmsKeyID: String? {
        get { storage.fields.kmsKeyID }
        _modify { yield &storage.fields.kmsKeyID }
    }
    public var tags: [Tag] {
        get { storage.fields.tags }
        _modify {
            yield &storage.fields.tags
            storage.fields.tagged = true
        }
    }
    /// Once a secret has had tags, AWS reports its tag list even when it is empty again.
    public var tagged: Bool? {
        get { storage.fields.tagged }
        _modify { yield &storage.fields.tagged }
    }
    public var resourcePolicy: String? {
        get { storage.fields.resourcePolicy }
        _modify { yield &storage.fields.resourcePolicy }
    }
    public var createdDate: Date {
        get { storage.fields.createdDate }
        _modify { yield &storage.fields.createdDate }
    }
    public var lastChangedDate: Date {
        get { storage.fields.lastChangedDate }
        _modify { yield &storage.fields.lastChangedDate }
    }
    public var lastAccessedDate: Date? {
        get { storage.fields.lastAccessedDate }
        _modify { yield &storage.fields.lastAccessedDate }
    }
    /// When DeleteSecret was called; set while the secret waits out its recovery window.
    public var deletedDate: Date? {
        get { storage.fields.deletedDate }
        _modify { yield &storage.fields.deletedDate }
    }
    /// When the secret will really be removed.
    public var deletionDate: Date? {
        get { storage.fields.deletionDate }
        _modify { yield &storage.fields.deletionDate }
    }
    /// Oldest first.
    public var versions: [SecretVersion] {
        get { storage.fields.versions }
        _modify { yield &storage.fields.versions }
    }
    /// Bumped on every change; storage refuses a write based on a stale revision.
    public var revision: Int {
        get { storage.fields.revision }
        _modify { yield &storage.fields.revision }
    }
    /// Set once RotateSecret was accepted; absent for a secret never configured for rotation.
    public var rotation: RotationConfiguration? {
        get { storage.fields.rotation }
        _modify { yield &storage.fields.rotation }
    }
    public var lastRotatedDate: Date? {
        get { storage.fields.lastRotatedDate }
        _modify { yield &storage.fields.lastRotatedDate }
    }
    /// The rotation under way, if any.
    public var rotationJob: RotationJob? {
        get { storage.fields.rotationJob }
        _modify { yield &storage.fields.rotationJob }
    }
    /// On a primary secret: the regions it is replicated to, and how each replica fares.
    public var replicas: [SecretReplica]? {
        get { storage.fields.replicas }
        _modify { yield &storage.fields.replicas }
    }
    /// On a replica: its primary's region. A replica is read-only and follows its primary.
    public var primaryRegion: String? {
        get { storage.fields.primaryRegion }
        _modify { yield &storage.fields.primaryRegion }
    }

    public var isReplica: Bool { primaryRegion != nil }

    public init(arn: String, name: String, createdDate: Date) {
        storage = CopyOnWrite(Fields(arn: arn, name: name, tags: [], createdDate: createdDate, lastChangedDate: createdDate,
                                     versions: [], revision: 0))
    }

    public init(from decoder: any Decoder) throws {
        storage = CopyOnWrite(try Fields(from: decoder))
    }

    public var isScheduledForDeletion: Bool { deletedDate != nil }

    /// The rotation schedule counted again from `now`; the ARN spreads the start within the window.
    public mutating func rescheduleRotation(from now: Date) {
        let arn = arn
        rotation?.reschedule(from: now, key: arn)
    }

    // Written by hand, as the synthesized conformance would (optionals left out when nil): a write
    // of a secret encodes its document every time, and the direct path skips the keyed containers.
    public func encode(to encoder: any Encoder) throws {
        if let stream = encoder as? JSONStreamWriter {
            var object = stream.directObject()
            try encodeMembers(&object)
            object.end()
        } else {
            var object = KeyedMembers(encoder)
            try encodeMembers(&object)
        }
    }

    private func encodeMembers<M: ObjectMembers>(_ object: inout M) throws {
        try object.string("arn", arn)
        try object.string("name", name)
        if let description { try object.string("description", description) }
        if let kmsKeyID { try object.string("kmsKeyID", kmsKeyID) }
        try object.value("tags", tags)
        if let tagged { try object.bool("tagged", tagged) }
        if let resourcePolicy { try object.string("resourcePolicy", resourcePolicy) }
        try object.date("createdDate", createdDate)
        try object.date("lastChangedDate", lastChangedDate)
        if let lastAccessedDate { try object.date("lastAccessedDate", lastAccessedDate) }
        if let deletedDate { try object.date("deletedDate", deletedDate) }
        if let deletionDate { try object.date("deletionDate", deletionDate) }
        try object.value("versions", versions)
        try object.integer("revision", revision)
        if let rotation { try object.value("rotation", rotation) }
        if let lastRotatedDate { try object.date("lastRotatedDate", lastRotatedDate) }
        if let rotationJob { try object.value("rotationJob", rotationJob) }
        if let replicas { try object.value("replicas", replicas) }
        if let primaryRegion { try object.string("primaryRegion", primaryRegion) }
    }

    // Ids and labels are unique within a secret; looked up from the newest end, where the versions
    // that calls name (the one just written, AWSCURRENT, AWSPENDING) usually are among up to 100.
    public func version(id: String) -> SecretVersion? {
        let prefix = SecretVersion.idPrefix(id)
        return versions.last { $0.hasID(id, prefix: prefix) }
    }

    public func version(stage: String) -> SecretVersion? { versions.last { $0.stages.contains(stage) } }
}

/// One region a primary secret is replicated to, as ReplicationStatus reports it.
public struct SecretReplica: Sendable, Codable, Equatable {
    public var region: String
    /// The key the replica is sealed under in its region; nil is that region's `aws/secretsmanager`.
    public var kmsKeyID: String?
    /// `InSync` or `Failed`.
    public var status: String
    public var statusMessage: String
    public init(region: String, kmsKeyID: String?, status: String, statusMessage: String) {
        self.region = region
        self.kmsKeyID = kmsKeyID
        self.status = status
        self.statusMessage = statusMessage
    }
}

/// One version of a secret's value.
///
/// Its fields live in one shared, immutable box, replaced when the version changes: a write of a secret copies
/// its list of up to 100 versions (the record it replaces is still cached) and compares it with the
/// list before, and with every version one reference that is one retain and one identity check
/// instead of a retain per string and array in it.
public struct SecretVersion: Sendable, Codable, Equatable {
    struct Fields: Sendable, Codable, Equatable {
        var versionID: String
        var stages: [String]
        var createdDate: Date
        var lastAccessedDate: Date?
        var isString: Bool
        var valueDigest: String
        var kmsKeyIDs: [String]?
        var isPendingStub: Bool?
    }

    // Immutable: a changed version gets a new box. Reading one field of a box is then one load (a
    // mutable box's getter copied all of `Fields`, a retain and release of each member, on every
    // read: a write reads ids and labels of up to 100 versions several times).
    private final class Box: Sendable {
        let fields: Fields
        /// The id's first bytes: a write looks its token up among up to 100 versions twice, and
        /// comparing a word first leaves one string comparison instead of 100.
        let idPrefix: UInt64
        init(_ fields: Fields) {
            self.fields = fields
            idPrefix = SecretVersion.idPrefix(fields.versionID)
        }
    }

    // Over the bytes directly: through `utf8.prefix(7).enumerated()` it was ~400 instructions a
    // call, 19 calls and 1.2% of a PutSecretValue's instructions (callgrind).
    static func idPrefix(_ id: String) -> UInt64 {
        id.withUTF8Bytes { bytes in
            var prefix = UInt64(truncatingIfNeeded: bytes.count)
            for index in 0..<Swift.min(7, bytes.count) { prefix |= UInt64(bytes[index]) << (8 * (index + 1)) }
            return prefix
        }
    }

    func hasID(_ id: String, prefix: UInt64) -> Bool { box.idPrefix == prefix && box.fields.versionID == id }

    private var box: Box

    var fields: Fields {
        get { box.fields }
        set { box = Box(newValue) }
    }

    public var versionID: String {
        get { box.fields.versionID }
        set { fields.versionID = newValue }
    }
    public var stages: [String] {
        get { box.fields.stages }
        set { fields.stages = newValue }
    }
    public var createdDate: Date {
        get { box.fields.createdDate }
        set { fields.createdDate = newValue }
    }
    public var lastAccessedDate: Date? {
        get { box.fields.lastAccessedDate }
        set { fields.lastAccessedDate = newValue }
    }
    /// Whether the value was given as SecretString (otherwise SecretBinary).
    public var isString: Bool {
        get { box.fields.isString }
        set { fields.isString = newValue }
    }
    /// A keyed digest of the value, so an idempotent retry can be recognised without decrypting.
    public var valueDigest: String {
        get { box.fields.valueDigest }
        set { fields.valueDigest = newValue }
    }
    /// The KMS key that sealed this version, as ListSecretVersionIds reports it: the key ARN, or
    /// `DefaultEncryptionKey` for the AWS-managed key.
    public var kmsKeyIDs: [String]? {
        get { box.fields.kmsKeyIDs }
        set { fields.kmsKeyIDs = newValue }
    }
    /// The empty version a rotation starts with, until its function writes the value.
    public var isPendingStub: Bool? {
        get { box.fields.isPendingStub }
        set { fields.isPendingStub = newValue }
    }

    public init(versionID: String, stages: [String], createdDate: Date, isString: Bool, valueDigest: String) {
        box = Box(Fields(versionID: versionID, stages: stages, createdDate: createdDate, isString: isString, valueDigest: valueDigest))
    }

    public init(from decoder: any Decoder) throws {
        box = Box(try Fields(from: decoder))
    }

    public static func == (lhs: SecretVersion, rhs: SecretVersion) -> Bool {
        lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
    }

    // Written by hand, as the synthesized conformance would (optionals left out when nil), so that
    // the streaming encoder can write a version's bytes directly: every write of a secret encodes
    // its up to 100 versions, and through the keyed containers that was a quarter of a write's CPU.
    public func encode(to encoder: any Encoder) throws {
        if let stream = encoder as? JSONStreamWriter {
            var object = stream.directObject()
            object.string("versionID", versionID)
            object.strings("stages", stages)
            try object.date("createdDate", createdDate)
            if let lastAccessedDate { try object.date("lastAccessedDate", lastAccessedDate) }
            object.bool("isString", isString)
            object.string("valueDigest", valueDigest)
            if let kmsKeyIDs { object.strings("kmsKeyIDs", kmsKeyIDs) }
            if let isPendingStub { object.bool("isPendingStub", isPendingStub) }
            object.end()
            return
        }
        try box.fields.encode(to: encoder)
    }
}

/// A secret value in the clear: it exists only in memory, between decryption and the response.
public enum SecretValue: Sendable, Equatable {
    case string(String)
    case binary([UInt8])

    public var bytes: [UInt8] {
        switch self {
        case .string(let s): Array(s.utf8)
        case .binary(let b): b
        }
    }

    public var isString: Bool { if case .string = self { true } else { false } }
}

public enum StagingLabel {
    public static let current = "AWSCURRENT"
    public static let previous = "AWSPREVIOUS"
    public static let pending = "AWSPENDING"
}

public import struct Foundation.Date

/// A KMS key's metadata and the metadata of its key material versions. The material itself is
/// sealed under the root key and stored apart, one value per material version.
///
/// Its fields are kept copy-on-write: every Encrypt, Decrypt and read of a sealed secret or
/// parameter resolves its key, and copying the ~20 members was ~40 reference-count operations a call.
public struct KMSKey: Sendable, Codable, Equatable {
    struct Fields: Sendable, Codable, Equatable {
        var arn: String
        var name: String
        var revision: Int
        var deletionDate: Date?
        var description: String
        var keySpec: KeySpec
        var keyUsage: KeyUsage
        var state: KeyState
        var keyManager: String
        var creationDate: Date
        var pendingWindowDays: Int?
        var policy: String
        var rotationEnabled: Bool
        var rotationPeriodDays: Int?
        var nextRotationDate: Date?
        var materials: [KeyMaterialVersion]
        var tags: [Tag]
        var grants: [KMSGrant]
        var primaryRegion: String?
        var replicaRegions: [String]?
        var origin: KeyOrigin?
    }

    private var storage: CopyOnWrite<Fields>

    public var arn: String {
        get { storage.fields.arn }
        _modify { yield &storage.fields.arn }
    }
    /// The key id (a UUID); records are looked up by it.
    public var name: String {
        get { storage.fields.name }
        _modify { yield &storage.fields.name }
    }
    public var revision: Int {
        get { storage.fields.revision }
        _modify { yield &storage.fields.revision }
    }
    public var deletionDate: Date? {
        get { storage.fields.deletionDate }
        _modify { yield &storage.fields.deletionDate }
    }
    public var description: String {
        get { storage.fields.description }
        _modify { yield &storage.fields.description }
    }
    public var keySpec: KeySpec {
        get { storage.fields.keySpec }
        _modify { yield &storage.fields.keySpec }
    }
    public var keyUsage: KeyUsage {
        get { storage.fields.keyUsage }
        _modify { yield &storage.fields.keyUsage }
    }
    public var state: KeyState {
        get { storage.fields.state }
        _modify { yield &storage.fields.state }
    }
    /// "CUSTOMER" or "AWS".
    public var keyManager: String {
        get { storage.fields.keyManager }
        _modify { yield &storage.fields.keyManager }
    }
    public var creationDate: Date {
        get { storage.fields.creationDate }
        _modify { yield &storage.fields.creationDate }
    }
    public var pendingWindowDays: Int? {
        get { storage.fields.pendingWindowDays }
        _modify { yield &storage.fields.pendingWindowDays }
    }
    public var policy: String {
        get { storage.fields.policy }
        _modify { yield &storage.fields.policy }
    }
    public var rotationEnabled: Bool {
        get { storage.fields.rotationEnabled }
        _modify { yield &storage.fields.rotationEnabled }
    }
    public var rotationPeriodDays: Int? {
        get { storage.fields.rotationPeriodDays }
        _modify { yield &storage.fields.rotationPeriodDays }
    }
    public var nextRotationDate: Date? {
        get { storage.fields.nextRotationDate }
        _modify { yield &storage.fields.nextRotationDate }
    }
    public var materials: [KeyMaterialVersion] {
        get { storage.fields.materials }
        _modify { yield &storage.fields.materials }
    }
    public var tags: [Tag] {
        get { storage.fields.tags }
        _modify { yield &storage.fields.tags }
    }
    public var grants: [KMSGrant] {
        get { storage.fields.grants }
        _modify { yield &storage.fields.grants }
    }
    /// For a multi-Region key (`mrk-` id): the primary's region, and on the primary the regions of its
    /// replicas. Every member shares the id and the key material.
    public var primaryRegion: String? {
        get { storage.fields.primaryRegion }
        _modify { yield &storage.fields.primaryRegion }
    }
    public var replicaRegions: [String]? {
        get { storage.fields.replicaRegions }
        _modify { yield &storage.fields.replicaRegions }
    }

    /// Where the material comes from; nil for keys stored before Coffer knew origins (all `AWS_KMS`).
    public var origin: KeyOrigin {
        get { storage.fields.origin ?? .awsKMS }
        _modify {
            var origin = storage.fields.origin ?? .awsKMS
            yield &origin
            storage.fields.origin = origin == .awsKMS ? nil : origin
        }
    }
    public var keyID: String { name }
    public var isMultiRegion: Bool { primaryRegion != nil }
    /// The material encryption uses: the newest, leaving out imported material that waits for RotateKeyOnDemand.
    public var currentMaterial: KeyMaterialVersion? { materials.last { $0.pendingRotation != true } }
    /// Materials permanently associated with the key (all but imported material pending rotation).
    public var associatedMaterials: [KeyMaterialVersion] { materials.filter { $0.pendingRotation != true } }
    /// Whether a ciphertext made under material `version` is the key's to open: material pending
    /// rotation never encrypted anything.
    public func decrypts(version: UInt32) -> Bool { materials.contains { $0.version == version && $0.pendingRotation != true } }
    /// Imported material that RotateKeyOnDemand would make current.
    public var pendingMaterial: KeyMaterialVersion? { materials.first { $0.pendingRotation == true } }
    /// Whether every material associated with an imported key is in place (none deleted or expired):
    /// only then can the key be used.
    public var holdsImportedMaterial: Bool {
        origin == .external && !associatedMaterials.isEmpty && associatedMaterials.allSatisfy { $0.imported == true }
    }
    /// The current imported material's expiration model, as DescribeKey reports it.
    public var expirationModel: String? { holdsImportedMaterial ? currentMaterial?.expirationModel : nil }
    /// The earliest expiry among the key's associated imported materials, as DescribeKey reports it.
    public var validTo: Date? { associatedMaterials.compactMap { $0.imported == true ? $0.validTo : nil }.min() }
    /// The earliest expiry of any imported material, pending rotation or not: when the key must next be looked at.
    public var nextMaterialExpiry: Date? { materials.compactMap { $0.imported == true ? $0.validTo : nil }.min() }

    public init(arn: String, keyID: String, spec: KeySpec, usage: KeyUsage, description: String, policy: String,
                keyManager: String, creationDate: Date) {
        storage = CopyOnWrite(Fields(arn: arn, name: keyID, revision: 0, description: description, keySpec: spec, keyUsage: usage,
                                     state: .enabled, keyManager: keyManager, creationDate: creationDate, policy: policy,
                                     rotationEnabled: false, materials: [], tags: [], grants: []))
    }

    public init(from decoder: any Decoder) throws {
        storage = CopyOnWrite(try Fields(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try storage.fields.encode(to: encoder)
    }

    /// The material value's storage id.
    public static func materialID(_ version: UInt32) -> String { "material-\(version)" }
}

public struct KeyMaterialVersion: Sendable, Codable, Equatable {
    public var version: UInt32
    /// A stable public identifier, as AWS's KeyMaterialId.
    public var materialID: String
    public var createdDate: Date
    /// "AUTOMATIC" or "ON_DEMAND" for rotated material, nil for the first.
    public var rotationType: String?
    /// Imported material only: whether it is in place (false once deleted or expired), how and when it
    /// expires, its owner's description, and whether it waits for RotateKeyOnDemand to become current.
    public var imported: Bool?
    public var expirationModel: String?
    public var validTo: Date?
    public var materialDescription: String?
    public var pendingRotation: Bool?

    public init(version: UInt32, materialID: String, createdDate: Date, rotationType: String?) {
        self.version = version
        self.materialID = materialID
        self.createdDate = createdDate
        self.rotationType = rotationType
    }
}

public struct KMSGrant: Sendable, Codable, Equatable {
    public var grantID: String
    public var name: String?
    public var granteePrincipal: String
    public var retiringPrincipal: String?
    public var issuingAccount: String
    public var operations: [String]
    public var constraints: [String: [String: String]]?
    public var creationDate: Date
    /// A keyed digest of the grant token, so the token itself is never stored.
    public var tokenDigest: String

    public init(grantID: String, name: String?, granteePrincipal: String, retiringPrincipal: String?, issuingAccount: String,
                operations: [String], constraints: [String: [String: String]]?, creationDate: Date, tokenDigest: String) {
        self.grantID = grantID
        self.name = name
        self.granteePrincipal = granteePrincipal
        self.retiringPrincipal = retiringPrincipal
        self.issuingAccount = issuingAccount
        self.operations = operations
        self.constraints = constraints
        self.creationDate = creationDate
        self.tokenDigest = tokenDigest
    }
}

/// An alias, `alias/NAME`, pointing at one key.
public struct KMSAlias: Sendable, Codable, Equatable {
    public var arn: String
    /// `alias/NAME`.
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var targetKeyID: String
    public var creationDate: Date
    public var lastUpdatedDate: Date

    public init(arn: String, name: String, targetKeyID: String, date: Date) {
        self.arn = arn
        self.name = name
        self.revision = 0
        self.targetKeyID = targetKeyID
        self.creationDate = date
        self.lastUpdatedDate = date
    }
}

public enum KeyState: String, Sendable, Codable {
    case enabled = "Enabled", disabled = "Disabled", pendingDeletion = "PendingDeletion"
    /// A key for imported material that has none: made so, or its material deleted or expired.
    case pendingImport = "PendingImport"
    /// A multi-Region primary whose deletion waits for its replicas to be deleted first.
    case pendingReplicaDeletion = "PendingReplicaDeletion"

    public var isPendingDeletion: Bool { self == .pendingDeletion || self == .pendingReplicaDeletion }
}

/// The source of a key's material: made by Coffer, or imported by its owner (`EXTERNAL`).
public enum KeyOrigin: String, Sendable, Codable {
    case awsKMS = "AWS_KMS", external = "EXTERNAL"
}

public enum KeyUsage: String, Sendable, Codable, CaseIterable {
    case encryptDecrypt = "ENCRYPT_DECRYPT", signVerify = "SIGN_VERIFY", generateVerifyMAC = "GENERATE_VERIFY_MAC"
    /// ECDH with an elliptic-curve key pair (DeriveSharedSecret).
    case keyAgreement = "KEY_AGREEMENT"
}

/// How Sign and Verify read their message: hashed by the algorithm, already a digest, or ML-DSA's
/// external μ.
public enum SigningMessageType: String, Sendable {
    case raw = "RAW", digest = "DIGEST", externalMu = "EXTERNAL_MU"
}

/// The key specs Coffer implements, and what each allows.
public enum KeySpec: String, Sendable, Codable, CaseIterable {
    case symmetricDefault = "SYMMETRIC_DEFAULT"
    case hmac224 = "HMAC_224", hmac256 = "HMAC_256", hmac384 = "HMAC_384", hmac512 = "HMAC_512"
    case rsa2048 = "RSA_2048", rsa3072 = "RSA_3072", rsa4096 = "RSA_4096"
    case eccNistP256 = "ECC_NIST_P256", eccNistP384 = "ECC_NIST_P384", eccNistP521 = "ECC_NIST_P521"
    case eccSecgP256K1 = "ECC_SECG_P256K1"
    case eccNistEdwards25519 = "ECC_NIST_EDWARDS25519"
    case mlDSA44 = "ML_DSA_44", mlDSA65 = "ML_DSA_65", mlDSA87 = "ML_DSA_87"

    public var isRSA: Bool { [.rsa2048, .rsa3072, .rsa4096].contains(self) }
    /// The NIST curves: ECDSA and ECDH.
    public var isECC: Bool { [.eccNistP256, .eccNistP384, .eccNistP521].contains(self) }
    public var isHMAC: Bool { [.hmac224, .hmac256, .hmac384, .hmac512].contains(self) }
    public var isMLDSA: Bool { [.mlDSA44, .mlDSA65, .mlDSA87].contains(self) }
    public var isAsymmetric: Bool { isRSA || isECC || isMLDSA || self == .eccSecgP256K1 || self == .eccNistEdwards25519 }

    public var allowedUsages: [KeyUsage] {
        if self == .symmetricDefault { return [.encryptDecrypt] }
        if isHMAC { return [.generateVerifyMAC] }
        if isRSA { return [.encryptDecrypt, .signVerify] }
        if isECC { return [.signVerify, .keyAgreement] }
        return [.signVerify]
    }

    public func encryptionAlgorithms(for usage: KeyUsage) -> [String] {
        guard usage == .encryptDecrypt else { return [] }
        return self == .symmetricDefault ? ["SYMMETRIC_DEFAULT"] : ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    }

    public func signingAlgorithms(for usage: KeyUsage) -> [String] {
        guard usage == .signVerify else { return [] }
        switch self {
        case .rsa2048, .rsa3072, .rsa4096:
            return ["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
                    "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"]
        case .eccNistP256, .eccSecgP256K1: return ["ECDSA_SHA_256"]
        case .eccNistP384: return ["ECDSA_SHA_384"]
        case .eccNistP521: return ["ECDSA_SHA_512"]
        case .eccNistEdwards25519: return ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
        case .mlDSA44, .mlDSA65, .mlDSA87: return ["ML_DSA_SHAKE_256"]
        default: return []
        }
    }

    public func keyAgreementAlgorithms(for usage: KeyUsage) -> [String] {
        usage == .keyAgreement && isECC ? ["ECDH"] : []
    }

    public var macAlgorithms: [String] {
        switch self {
        case .hmac224: ["HMAC_SHA_224"]
        case .hmac256: ["HMAC_SHA_256"]
        case .hmac384: ["HMAC_SHA_384"]
        case .hmac512: ["HMAC_SHA_512"]
        default: []
        }
    }
}

public import struct Foundation.Date

/// A KMS key's metadata and the metadata of its key material versions. The material itself is
/// sealed under the root key and stored apart, one value per material version.
public struct KMSKey: Sendable, Codable, Equatable {
    public var arn: String
    /// The key id (a UUID); records are looked up by it.
    public var name: String
    public var revision: Int
    public var deletionDate: Date?

    public var description: String
    public var keySpec: KeySpec
    public var keyUsage: KeyUsage
    public var state: KeyState
    /// "CUSTOMER" or "AWS".
    public var keyManager: String
    public var creationDate: Date
    public var pendingWindowDays: Int?
    public var policy: String
    public var rotationEnabled: Bool
    public var rotationPeriodDays: Int?
    public var nextRotationDate: Date?
    public var materials: [KeyMaterialVersion]
    public var tags: [Tag]
    public var grants: [KMSGrant]
    /// For a multi-Region key (`mrk-` id): the primary's region, and on the primary the regions of its
    /// replicas. Every member shares the id and the key material.
    public var primaryRegion: String?
    public var replicaRegions: [String]?

    public var keyID: String { name }
    public var isMultiRegion: Bool { primaryRegion != nil }
    public var currentMaterial: KeyMaterialVersion? { materials.last }

    public init(arn: String, keyID: String, spec: KeySpec, usage: KeyUsage, description: String, policy: String,
                keyManager: String, creationDate: Date) {
        self.arn = arn
        self.name = keyID
        self.revision = 0
        self.description = description
        self.keySpec = spec
        self.keyUsage = usage
        self.state = .enabled
        self.keyManager = keyManager
        self.creationDate = creationDate
        self.policy = policy
        self.rotationEnabled = false
        self.materials = []
        self.tags = []
        self.grants = []
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
    /// A multi-Region primary whose deletion waits for its replicas to be deleted first.
    case pendingReplicaDeletion = "PendingReplicaDeletion"

    public var isPendingDeletion: Bool { self == .pendingDeletion || self == .pendingReplicaDeletion }
}

public enum KeyUsage: String, Sendable, Codable, CaseIterable {
    case encryptDecrypt = "ENCRYPT_DECRYPT", signVerify = "SIGN_VERIFY", generateVerifyMAC = "GENERATE_VERIFY_MAC"
}

/// The key specs Coffer implements, and what each allows.
public enum KeySpec: String, Sendable, Codable, CaseIterable {
    case symmetricDefault = "SYMMETRIC_DEFAULT"
    case hmac224 = "HMAC_224", hmac256 = "HMAC_256", hmac384 = "HMAC_384", hmac512 = "HMAC_512"
    case rsa2048 = "RSA_2048", rsa3072 = "RSA_3072", rsa4096 = "RSA_4096"
    case eccNistP256 = "ECC_NIST_P256", eccNistP384 = "ECC_NIST_P384", eccNistP521 = "ECC_NIST_P521"

    public var isRSA: Bool { [.rsa2048, .rsa3072, .rsa4096].contains(self) }
    public var isECC: Bool { [.eccNistP256, .eccNistP384, .eccNistP521].contains(self) }
    public var isHMAC: Bool { [.hmac224, .hmac256, .hmac384, .hmac512].contains(self) }
    public var isAsymmetric: Bool { isRSA || isECC }

    public var allowedUsages: [KeyUsage] {
        if self == .symmetricDefault { return [.encryptDecrypt] }
        if isHMAC { return [.generateVerifyMAC] }
        if isRSA { return [.encryptDecrypt, .signVerify] }
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
        case .eccNistP256: return ["ECDSA_SHA_256"]
        case .eccNistP384: return ["ECDSA_SHA_384"]
        case .eccNistP521: return ["ECDSA_SHA_512"]
        default: return []
        }
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

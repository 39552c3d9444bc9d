public import struct Foundation.Date

/// An inline policy embedded in a user, group or role.
public struct InlinePolicy: Sendable, Codable, Equatable {
    public var name: String
    public var document: String
    public init(name: String, document: String) {
        self.name = name
        self.document = document
    }
}

/// An IAM user. Records are keyed by the lowercased name: IAM names are unique regardless of case.
public struct IAMUser: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var userName: String
    public var userID: String
    public var path: String
    public var createDate: Date
    public var tags: [Tag]
    public var inlinePolicies: [InlinePolicy]
    public var attachedPolicyARNs: [String]
    public var permissionsBoundaryARN: String?
    var groups: [String]?
    /// A console password (only its keyed digest is kept).
    public var loginProfile: LoginProfile?
    /// The MFA devices enabled for the user, by serial number.
    public var mfaDevices: [String]?
    /// SSH public keys (for CodeCommit and the like): public material, kept as given.
    public var sshPublicKeys: [SSHPublicKey]?
    public var signingCertificates: [SigningCertificate]?

    public init(arn: String, userName: String, userID: String, path: String, createDate: Date) {
        self.arn = arn
        self.name = userName.lowercased()
        self.revision = 0
        self.userName = userName
        self.userID = userID
        self.path = path
        self.createDate = createDate
        self.tags = []
        self.inlinePolicies = []
        self.attachedPolicyARNs = []
    }
}

/// An IAM user's console password: when it was set and whether it must be changed, and a keyed
/// digest of it under a salt, never the password.
public struct LoginProfile: Sendable, Codable, Equatable {
    public var createDate: Date
    public var passwordLastChanged: Date
    public var passwordResetRequired: Bool
    public var salt: String
    public var digest: String
    public init(createDate: Date, passwordResetRequired: Bool, salt: String, digest: String) {
        self.createDate = createDate
        self.passwordLastChanged = createDate
        self.passwordResetRequired = passwordResetRequired
        self.salt = salt
        self.digest = digest
    }
}

/// An SSH public key uploaded for a user.
/// A user's key or certificate: found by id, Active or Inactive.
public protocol UserCredentialItem: Sendable {
    var id: String { get }
    var status: String { get set }
}

public struct SSHPublicKey: Sendable, Codable, Equatable, UserCredentialItem {
    public var id: String
    public var body: String
    public var fingerprint: String
    public var status: String
    public var uploadDate: Date
    public init(id: String, body: String, fingerprint: String, uploadDate: Date) {
        self.id = id
        self.body = body
        self.fingerprint = fingerprint
        self.status = "Active"
        self.uploadDate = uploadDate
    }
}

/// A virtual MFA device: its serial number (an ARN) and to whom it is assigned. Its seed is
/// sealed and stored apart, as a secret value is.
public struct VirtualMFADevice: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var deviceName: String
    public var path: String
    public var createDate: Date
    public var userName: String?
    public var enableDate: Date?
    public var tags: [Tag]
    /// The last TOTP step accepted, so no code is accepted twice.
    public var lastCounter: Int64?

    public init(arn: String, deviceName: String, path: String, createDate: Date, tags: [Tag]) {
        self.arn = arn
        self.name = deviceName.lowercased()
        self.revision = 0
        self.deviceName = deviceName
        self.path = path
        self.createDate = createDate
        self.tags = tags
    }
}

/// The account's credential report, as GetCredentialReport returns it.
public struct CredentialReport: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var generated: Date
    public var content: String
    public init(account: String, generated: Date, content: String) {
        self.arn = "coffer:iam-credential-report:\(account)"
        self.name = "credential-report"
        self.revision = 0
        self.generated = generated
        self.content = content
    }
}

/// A customer managed policy and its versions (at most five).
public struct ManagedPolicy: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var policyName: String
    public var policyID: String
    public var path: String
    public var description: String?
    public var createDate: Date
    public var updateDate: Date
    public var defaultVersionID: String
    public var versions: [ManagedPolicyVersion]
    public var nextVersion: Int
    public var tags: [Tag]

    public init(arn: String, policyName: String, policyID: String, path: String, description: String?, document: String, date: Date) {
        self.arn = arn
        self.name = policyName.lowercased()
        self.revision = 0
        self.policyName = policyName
        self.policyID = policyID
        self.path = path
        self.description = description
        self.createDate = date
        self.updateDate = date
        self.defaultVersionID = "v1"
        self.versions = [ManagedPolicyVersion(versionID: "v1", document: document, createDate: date)]
        self.nextVersion = 2
        self.tags = []
    }

    public var defaultDocument: String? { versions.first { $0.versionID == defaultVersionID }?.document }
}

public struct ManagedPolicyVersion: Sendable, Codable, Equatable {
    public var versionID: String
    public var document: String
    public var createDate: Date
    public init(versionID: String, document: String, createDate: Date) {
        self.versionID = versionID
        self.document = document
        self.createDate = createDate
    }
}

/// IAM's naming rules and limits, with AWS's messages.
public enum IAMRules {
    public static let maximumPolicyVersions = 5
    public static let maximumAccessKeys = 2
    public static let maximumManagedPoliciesPerUser = 10
    public static let maximumInlinePolicySize = 2048
    public static let maximumManagedPolicySize = 6144

    /// `[\w+=,.@-]+`, 1 to `maximum` characters. IAM answers its own sentence for a name outside the
    /// pattern and shows no value (AWS's messages as recorded in 2026); STS, which shares the rule for
    /// session and federated user names, answers the model's constraint with the value.
    public static func validateName(_ name: String, member: String, maximum: Int, inIAM: Bool = true) throws(CofferError) {
        guard isName(name, maximum: maximum) else {
            if name.count > maximum {
                let constraint = "Member must have length less than or equal to \(maximum)"
                throw inIAM ? CofferError.constraint(member: member, constraint) : CofferError.constraint(name, member: member, constraint)
            }
            throw inIAM ? CofferError(.validation, invalidName(member)) : CofferError.constraint(name, member: member, "Member must satisfy regular expression pattern: [\\w+=,.@-]+")
        }
    }

    /// Whether `name` is 1 to `maximum` characters of `[\w+=,.@-]` (ASCII letters and digits).
    public static func isName(_ name: String, maximum: Int) -> Bool {
        !name.isEmpty && name.count <= maximum && name.unicodeScalars.allSatisfy { s in
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || "_+=,.@-".unicodeScalars.contains(s))
        }
    }

    /// IAM's answer for a name outside `[\w+=,.@-]+`.
    public static func invalidName(_ member: String) -> String {
        "The specified value for \(member) is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"
    }

    /// IAM's answer for a path outside its pattern.
    public static let invalidPath =
        "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."

    /// IAM's tag rules: at most 50, AWS's lengths, keys unique ignoring case, none under `aws:`.
    public static func validateTags(_ tags: [Tag]) throws(CofferError) {
        if tags.count > 50 {
            throw CofferError.constraint(member: "tags", "Member must have length less than or equal to 50")
        }
        try Tag.checkLengths(tags) { "tags.\($0 + 1).member" }
        var seen = Set<String>()
        for tag in tags {
            if tag.key.lowercased().hasPrefix("aws:") {
                throw CofferError(.invalidInput, "User-defined tag keys can't start with 'aws:'")
            }
            guard seen.insert(tag.key.lowercased()).inserted else {
                throw CofferError(.invalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
            }
        }
    }

    public static func validatePath(_ path: String) throws(CofferError) {
        if path.count > 512 { throw CofferError.constraint(member: "path", "Member must have length less than or equal to 512") }
        guard path.hasPrefix("/"), path.hasSuffix("/"), path.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7E }) else {
            throw CofferError(.validation, invalidPath)
        }
    }

    /// A unique id in AWS's style: a four-letter prefix (AIDA users, ANPA policies, AROA roles) and 17 more.
    public static func uniqueID(prefix: String, random: any RandomSource) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return prefix + String((0..<17).map { _ in alphabet[random.uniform(alphabet.count)] })
    }
}

/// An IAM role: a trust policy that says who may assume it, and the policies its sessions get.
public struct IAMRole: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var roleName: String
    public var roleID: String
    public var path: String
    public var createDate: Date
    public var assumeRolePolicy: String
    public var description: String?
    public var maxSessionDuration: Int
    public var tags: [Tag]
    public var inlinePolicies: [InlinePolicy]
    public var attachedPolicyARNs: [String]
    public var permissionsBoundaryARN: String?
    /// When a session of the role was last made, and where (GetRole's RoleLastUsed).
    public var lastUsedDate: Date?
    public var lastUsedRegion: String?

    public init(arn: String, roleName: String, roleID: String, path: String, createDate: Date, assumeRolePolicy: String) {
        self.arn = arn
        self.name = roleName.lowercased()
        self.revision = 0
        self.roleName = roleName
        self.roleID = roleID
        self.path = path
        self.createDate = createDate
        self.assumeRolePolicy = assumeRolePolicy
        self.maxSessionDuration = 3600
        self.tags = []
        self.inlinePolicies = []
        self.attachedPolicyARNs = []
    }
}

/// An IAM group; membership is kept on the users.
public struct IAMGroup: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var groupName: String
    public var groupID: String
    public var path: String
    public var createDate: Date
    public var inlinePolicies: [InlinePolicy]
    public var attachedPolicyARNs: [String]

    public init(arn: String, groupName: String, groupID: String, path: String, createDate: Date) {
        self.arn = arn
        self.name = groupName.lowercased()
        self.revision = 0
        self.groupName = groupName
        self.groupID = groupID
        self.path = path
        self.createDate = createDate
        self.inlinePolicies = []
        self.attachedPolicyARNs = []
    }
}

/// Temporary credentials from STS. Stored under an internal name (the access key id); they are
/// removed when they expire (their deletion date).
public struct STSSession: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var account: String
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, or the user's ARN for GetSessionToken.
    public var principalARN: String
    public var roleARN: String?
    /// AROA...:SESSION for roles, the user id for GetSessionToken.
    public var principalID: String
    public var sessionPolicies: [String]
    public var sessionTags: [Tag]
    public var sourceIdentity: String?
    public var issued: Date
    public var expiration: Date
    /// A digest of the session token; the token itself is never stored.
    public var tokenDigest: String
    /// For GetFederationToken: the user (or root) whose permissions the federated session narrows.
    public var federatedFrom: String?
    /// When the session's caller proved an MFA code (GetSessionToken or AssumeRole with TokenCode).
    public var mfaAuthenticated: Date?

    public init(accessKeyID: String, account: String, principalARN: String, roleARN: String?, principalID: String,
                sessionPolicies: [String], sessionTags: [Tag], sourceIdentity: String?, issued: Date, expiration: Date, tokenDigest: String) {
        self.arn = "coffer:sts-session:\(accessKeyID)"
        self.name = accessKeyID
        self.revision = 0
        self.deletionDate = expiration
        self.account = account
        self.principalARN = principalARN
        self.roleARN = roleARN
        self.principalID = principalID
        self.sessionPolicies = sessionPolicies
        self.sessionTags = sessionTags
        self.sourceIdentity = sourceIdentity
        self.issued = issued
        self.expiration = expiration
        self.tokenDigest = tokenDigest
    }

    public static func arn(accessKeyID: String) -> String { "coffer:sts-session:\(accessKeyID)" }
}

extension IAMUser {
    /// The groups the user belongs to (kept on the user so one record answers "which policies apply").
    public var groupNames: [String] {
        get { groups ?? [] }
        set { groups = newValue }
    }
}

/// An IAM OpenID Connect identity provider: the issuer whose tokens AssumeRoleWithWebIdentity
/// accepts, the audiences (client ids) it may name, and the certificate thumbprints AWS keeps.
public struct OIDCProvider: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    /// The issuer without `https://`, as GetOpenIDConnectProvider answers it.
    public var url: String
    public var clientIDs: [String]
    public var thumbprints: [String]
    public var createDate: Date
    public var tags: [Tag]

    public init(partition: String = "aws", account: String, url: String, clientIDs: [String], thumbprints: [String], createDate: Date, tags: [Tag]) {
        self.url = url
        self.arn = "arn:\(partition):iam::\(account):oidc-provider/\(url)"
        self.name = url.lowercased()
        self.revision = 0
        self.clientIDs = clientIDs
        self.thumbprints = thumbprints
        self.createDate = createDate
        self.tags = tags
    }
}

/// An IAM SAML identity provider: the IdP's metadata document as given (its entity id and
/// signing certificates are what AssumeRoleWithSAML checks responses against).
public struct SAMLProvider: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var providerName: String
    public var uuid: String
    public var metadataDocument: String
    public var createDate: Date
    public var validUntil: Date?
    /// `Allowed` or `Required`; nil (answered as `Allowed`) when never set.
    public var assertionEncryptionMode: String?
    public var tags: [Tag]

    public init(partition: String = "aws", account: String, providerName: String, uuid: String, metadataDocument: String, createDate: Date,
                validUntil: Date?, tags: [Tag]) {
        self.arn = "arn:\(partition):iam::\(account):saml-provider/\(providerName)"
        self.name = providerName.lowercased()
        self.revision = 0
        self.providerName = providerName
        self.uuid = uuid
        self.metadataDocument = metadataDocument
        self.createDate = createDate
        self.validUntil = validUntil
        self.tags = tags
    }
}

/// An instance profile: a container for (at most) one role that EC2 instances take on.
public struct InstanceProfile: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var profileName: String
    public var profileID: String
    public var path: String
    public var createDate: Date
    public var roleNames: [String]
    public var tags: [Tag]

    public init(arn: String, profileName: String, profileID: String, path: String, createDate: Date, tags: [Tag]) {
        self.arn = arn
        self.name = profileName.lowercased()
        self.revision = 0
        self.profileName = profileName
        self.profileID = profileID
        self.path = path
        self.createDate = createDate
        self.roleNames = []
        self.tags = tags
    }
}

/// A server certificate for load balancers and CloudFront: its PEM body and chain as given, its
/// private key sealed under the root key (never answered), its expiry read from the certificate.
public struct ServerCertificate: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var serverCertificateName: String
    public var serverCertificateID: String
    public var path: String
    public var uploadDate: Date
    public var expiration: Date
    public var body: String
    public var chain: String?
    public var sealedPrivateKey: [UInt8]
    public var tags: [Tag]

    public init(arn: String, serverCertificateName: String, serverCertificateID: String, path: String, uploadDate: Date, expiration: Date,
                body: String, chain: String?, sealedPrivateKey: [UInt8], tags: [Tag]) {
        self.arn = arn
        self.name = serverCertificateName.lowercased()
        self.revision = 0
        self.serverCertificateName = serverCertificateName
        self.serverCertificateID = serverCertificateID
        self.path = path
        self.uploadDate = uploadDate
        self.expiration = expiration
        self.body = body
        self.chain = chain
        self.sealedPrivateKey = sealedPrivateKey
        self.tags = tags
    }
}

/// An X.509 signing certificate of a user (for the SOAP-era services): public material only.
public struct SigningCertificate: Sendable, Codable, Equatable, UserCredentialItem {
    public var id: String
    public var body: String
    public var status: String
    public var uploadDate: Date
    public init(id: String, body: String, uploadDate: Date) {
        self.id = id
        self.body = body
        self.status = "Active"
        self.uploadDate = uploadDate
    }
}

public import CofferCore

/// The requests Secrets Manager takes, in domain terms; the wire layer fills them.
public struct CreateSecretInput: Sendable {
    public var name: String
    public var clientRequestToken: String?
    public var description: String?
    public var kmsKeyID: String?
    public var value: SecretValue?
    public var tags: [Tag]
    public init(name: String, clientRequestToken: String? = nil, description: String? = nil, kmsKeyID: String? = nil, value: SecretValue? = nil, tags: [Tag] = []) {
        self.name = name
        self.clientRequestToken = clientRequestToken
        self.description = description
        self.kmsKeyID = kmsKeyID
        self.value = value
        self.tags = tags
    }
}

public struct UpdateSecretInput: Sendable {
    public var secretID: String
    public var clientRequestToken: String?
    public var description: String?
    public var kmsKeyID: String?
    public var value: SecretValue?
    public init(secretID: String, clientRequestToken: String? = nil, description: String? = nil, kmsKeyID: String? = nil, value: SecretValue? = nil) {
        self.secretID = secretID
        self.clientRequestToken = clientRequestToken
        self.description = description
        self.kmsKeyID = kmsKeyID
        self.value = value
    }
}

public struct PutSecretValueInput: Sendable {
    public var secretID: String
    public var clientRequestToken: String?
    public var value: SecretValue?
    public var versionStages: [String]?
    public init(secretID: String, clientRequestToken: String? = nil, value: SecretValue?, versionStages: [String]? = nil) {
        self.secretID = secretID
        self.clientRequestToken = clientRequestToken
        self.value = value
        self.versionStages = versionStages
    }
}

public enum SecretSortKey: String, Sendable {
    case createdDate = "created-date", lastAccessedDate = "last-accessed-date", lastChangedDate = "last-changed-date", name
}

public struct ListSecretsInput: Sendable {
    public var filters: [SecretListFilter] = []
    public var includePlannedDeletion = false
    public var maxResults: Int?
    public var nextToken: String?
    public var sortBy: SecretSortKey = .createdDate
    public var descending = false
    public init() {}
}

/// A decrypted version, between storage and the response.
public struct SecretValueResult: Sendable {
    public let secret: Secret
    public let version: SecretVersion
    public let value: SecretValue
}

/// The outcome of a write that may create a version.
public struct SecretWriteResult: Sendable {
    public let secret: Secret
    public let versionID: String?
    public let versionStages: [String]
}

public struct BatchError: Sendable {
    public let secretID: String
    public let error: CofferError
}

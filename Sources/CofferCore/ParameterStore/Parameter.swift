public import struct Foundation.Date

/// A Parameter Store parameter: its versions' metadata, oldest first. Values (sealed) are stored
/// apart, one per version.
public struct Parameter: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var tags: [Tag]
    public var versions: [ParameterVersion]
    /// The notifications its policies ask for, and whether each was sent. (An Expiration policy is
    /// the record's deletion date.)
    public var notifications: [ParameterNotification]?

    public init(arn: String, name: String) {
        self.arn = arn
        self.name = name
        self.revision = 0
        self.tags = []
        self.versions = []
    }

    public var latest: ParameterVersion? { versions.last }

    public func version(_ number: Int) -> ParameterVersion? { versions.first { $0.version == number } }

    public func version(label: String) -> ParameterVersion? { versions.first { $0.labels.contains(label) } }

    /// When the next notification is due.
    public var nextNotification: Date? { notifications?.filter { !$0.sent }.map(\.due).min() }

    /// The storage id of a version's sealed value.
    public static func valueID(_ version: Int) -> String { "v\(version)" }
}

/// One notification a parameter policy asks for.
public struct ParameterNotification: Sendable, Codable, Equatable {
    /// `ExpirationNotification` or `NoChangeNotification`.
    public var kind: String
    public var due: Date
    public var sent: Bool
    public init(kind: String, due: Date, sent: Bool = false) {
        self.kind = kind
        self.due = due
        self.sent = sent
    }
}

public struct ParameterVersion: Sendable, Codable, Equatable {
    public var version: Int
    public var type: ParameterType
    public var description: String?
    /// The KMS key a SecureString was sealed under, as the caller named it (or `alias/aws/ssm`).
    public var keyID: String?
    public var allowedPattern: String?
    public var tier: String
    public var dataType: String
    public var labels: [String]
    public var lastModifiedDate: Date
    public var lastModifiedUser: String
    public var policies: String?

    public init(version: Int, type: ParameterType, description: String?, keyID: String?, allowedPattern: String?, tier: String,
                dataType: String, labels: [String], lastModifiedDate: Date, lastModifiedUser: String, policies: String?) {
        self.version = version
        self.type = type
        self.description = description
        self.keyID = keyID
        self.allowedPattern = allowedPattern
        self.tier = tier
        self.dataType = dataType
        self.labels = labels
        self.lastModifiedDate = lastModifiedDate
        self.lastModifiedUser = lastModifiedUser
        self.policies = policies
    }
}

public enum ParameterType: String, Sendable, Codable, CaseIterable {
    case string = "String", stringList = "StringList", secureString = "SecureString"
}

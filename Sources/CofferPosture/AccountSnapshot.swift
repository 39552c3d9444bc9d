public import Foundation

/// What `coffer posture` reads from an account, through the public APIs only, so that the same
/// reader works against Coffer and against AWS.
public struct AccountSnapshot: Sendable {
    public struct Secret: Sendable {
        public var name: String
        public var arn: String
        public var rotationEnabled = false
        public var lastRotatedDate: Date?
        public var lastAccessedDate: Date?
        public var nextRotationDate: Date?
        public var createdDate: Date?
        public var deletedDate: Date?
        public var tags: [String: String] = [:]
        public var policy: String?
        /// AWSPENDING on a version that is not AWSCURRENT: a rotation started and did not finish.
        public var pendingRotation = false
    }

    public struct AccessKey: Sendable {
        public var id: String
        public var active: Bool
        public var created: Date?
        public var lastUsed: Date?
    }

    public struct Principal: Sendable {
        public enum Kind: String, Sendable { case user, role, group }
        public var kind: Kind
        public var name: String
        public var arn: String
        public var created: Date?
        public var passwordLastUsed: Date?
        /// When the console password (login profile) was created.
        public var passwordCreated: Date?
        /// When the console password was last set (the credential report's password_last_changed).
        public var passwordLastChanged: Date?
        /// A console password (login profile), and how many MFA devices are enabled.
        public var hasConsolePassword = false
        public var mfaDevices = 0
        public var accessKeys: [AccessKey] = []
        public var attachedPolicies: [String] = []
        public var inlinePolicies: [(name: String, document: String)] = []
        public var trustPolicy: String?
    }

    public struct ManagedPolicy: Sendable {
        public var name: String
        public var arn: String
        public var document: String
        public var attachments: Int
    }

    public struct Key: Sendable {
        public var id: String
        public var arn: String
        public var state: String
        public var customerManaged: Bool
        public var symmetric: Bool
        public var rotationEnabled: Bool?
        public var deletionDate: Date?
        public var policy: String?
    }

    public struct Parameter: Sendable {
        public var name: String
        public var arn: String
        public var type: String
        /// Read only for String and StringList parameters, to judge whether they hold a secret; never reported.
        public var value: String?
    }

    /// IAM's account password policy; its defaults are IAM's when a field is unset.
    public struct PasswordPolicy: Sendable, Equatable {
        public var minimumLength = 6
        public var requireUppercase = false
        public var requireLowercase = false
        public var requireNumbers = false
        public var requireSymbols = false
        /// Nil: passwords never expire.
        public var maxAge: Int?
        public var reusePrevention: Int?

        /// Upper and lower case, numbers and symbols all required.
        public static func allClasses(minimumLength: Int, maxAge: Int? = nil, reusePrevention: Int? = nil) -> PasswordPolicy {
            PasswordPolicy(minimumLength: minimumLength, requireUppercase: true, requireLowercase: true, requireNumbers: true, requireSymbols: true,
                           maxAge: maxAge, reusePrevention: reusePrevention)
        }
    }

    /// A call made as the account's root user, from the audit trail.
    public struct RootEvent: Sendable {
        public var name: String
        public var time: Date
    }

    public var secrets: [Secret] = []
    public var principals: [Principal] = []
    public var managedPolicies: [ManagedPolicy] = []
    public var keys: [Key] = []
    public var parameters: [Parameter] = []
    /// Nil when the account has none (NoSuchEntity), which is itself a finding.
    public var passwordPolicy: PasswordPolicy?
    public var passwordPolicyRead = false
    public var rootAccessKeysPresent: Bool?
    public var rootEvents: [RootEvent]?
    /// The latest RotationFailed service event per secret ARN, from the audit trail.
    public var rotationFailures: [String: (time: Date, message: String)] = [:]
    /// The callers' identity, for the report's header.
    public var callerARN: String?
    /// Areas that could not be read, and why (AccessDenied, unreachable, unsupported); their checks are reported as not run.
    public var unavailable: [String: String] = [:]

    public init() {}
}

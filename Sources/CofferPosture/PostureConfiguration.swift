public import CofferCore
import Foundation

/// Thresholds and the rule set. Names follow the AWS Config / Security Hub parameters they mirror;
/// defaults are Security Hub's foundational best practices (docs/posture.md lists them).
public struct PostureConfiguration: Sendable {
    /// The weakest password policy a profile accepts, in the account policy's own terms.
    public typealias PasswordRules = AccountSnapshot.PasswordPolicy

    public var profile: String
    /// SecretsManager.4: days since the last rotation.
    public var maxDaysSinceRotation = 90
    /// SecretsManager.3: days since a secret was last read.
    public var unusedForDays = 90
    /// IAM.3: age of an active access key.
    public var maxAccessKeyAge = 90
    /// IAM.8 (90) / CIS IAM.22 (45): days a credential may go unused.
    public var maxCredentialUsageAge = 90
    /// How far back the audit trail is searched for root use.
    public var rootUsageDays = 90
    /// How late a scheduled rotation may be before it counts as failing.
    public var rotationGraceHours = 24
    public var password: PasswordRules
    /// Tags every secret must carry (seed 000 tags with Project, Environment and SecretType).
    public var requiredTags: [String] = []
    /// A regular expression every secret name must match.
    public var secretNamePattern: String?
    public var disabledChecks: Set<String> = []

    public static let profiles = ["foundational", "cis", "strict", "checklist"]

    /// `foundational`: Security Hub's FSBP. `cis`: CIS AWS Foundations 3.0 (45-day unused credentials,
    /// 14-character passwords, 24 remembered). `strict`: both, with password expiry at 90 days.
    /// `checklist`: the security checklist's password policy (12 characters, all four classes,
    /// 90 days, 24 remembered) on the foundational thresholds.
    public init(profile: String = "foundational") throws(CofferError) {
        self.profile = profile
        switch profile {
        case "foundational":
            password = PasswordRules.allClasses(minimumLength: 8)
        case "cis":
            password = PasswordRules.allClasses(minimumLength: 14, reusePrevention: 24)
            maxCredentialUsageAge = 45
        case "strict":
            password = PasswordRules.allClasses(minimumLength: 14, maxAge: 90, reusePrevention: 24)
            maxCredentialUsageAge = 45
        case "checklist":
            password = PasswordRules.allClasses(minimumLength: 12, maxAge: 90, reusePrevention: 24)
        default:
            throw CofferError(.validation, "unknown profile \(profile): use \(Self.profiles.joined(separator: ", ")) or a config file")
        }
    }

    /// A JSON file: `{"profile": "cis", "maxAccessKeyAge": 60, "passwordPolicy": {"MinimumPasswordLength": 12, ...},
    /// "requiredTags": [...], "secretNamePattern": "...", "disabledChecks": [...]}`.
    public init(file path: String) throws(CofferError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw CofferError(.validation, "cannot read \(path)") }
        let value: JSONValue
        do { value = try JSONParser.parse(Array(data)) } catch { throw CofferError(.validation, "\(path) is not JSON: \(error.reason) at byte \(error.offset)") }
        guard case .object(let object) = value else { throw CofferError(.validation, "\(path) must hold a JSON object") }
        try self.init(profile: object["profile"]?.stringValue ?? "foundational")
        func int(_ key: String) throws(CofferError) -> Int? {
            guard let raw = object[key] else { return nil }
            guard let n = raw.numberValue, n >= 0, n == n.rounded() else { throw CofferError(.validation, "\(path): \(key) must be a whole number of days") }
            return Int(n)
        }
        maxDaysSinceRotation = try int("maxDaysSinceRotation") ?? maxDaysSinceRotation
        unusedForDays = try int("unusedForDays") ?? unusedForDays
        maxAccessKeyAge = try int("maxAccessKeyAge") ?? maxAccessKeyAge
        maxCredentialUsageAge = try int("maxCredentialUsageAge") ?? maxCredentialUsageAge
        rootUsageDays = try int("rootUsageDays") ?? rootUsageDays
        rotationGraceHours = try int("rotationGraceHours") ?? rotationGraceHours
        if case .object(let rules)? = object["passwordPolicy"] {
            if let n = rules["MinimumPasswordLength"]?.numberValue { password.minimumLength = Int(n) }
            if let b = rules["RequireUppercaseCharacters"]?.boolValue { password.requireUppercase = b }
            if let b = rules["RequireLowercaseCharacters"]?.boolValue { password.requireLowercase = b }
            if let b = rules["RequireNumbers"]?.boolValue { password.requireNumbers = b }
            if let b = rules["RequireSymbols"]?.boolValue { password.requireSymbols = b }
            if let n = rules["MaxPasswordAge"]?.numberValue { password.maxAge = Int(n) }
            if let n = rules["PasswordReusePrevention"]?.numberValue { password.reusePrevention = Int(n) }
        }
        requiredTags = (object["requiredTags"]?.arrayValue ?? []).compactMap(\.stringValue)
        secretNamePattern = object["secretNamePattern"]?.stringValue
        if let pattern = secretNamePattern, (try? Regex(pattern)) == nil {
            throw CofferError(.validation, "\(path): secretNamePattern is not a valid regular expression")
        }
        disabledChecks = Set((object["disabledChecks"]?.arrayValue ?? []).compactMap(\.stringValue))
    }
}

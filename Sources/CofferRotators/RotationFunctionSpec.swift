/// One rotation function an operator registered (the config file's `rotation.functions`),
/// named by the last part of the RotationLambdaARN that selects it.
public struct RotationFunctionSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// POST of the Lambda event to a URL, signed with HMAC-SHA256.
        case http
        /// A local program that reads the event on standard input, run with a role's credentials.
        case command
        /// Built-ins.
        case randomPassword = "random-password"
        case postgresSingleUser = "postgres-single-user"
        case postgresAlternatingUsers = "postgres-alternating-users"
        case iamAccessKey = "iam-access-key"
    }

    public var name: String
    public var kind: Kind
    public var url: String?
    /// The environment variable holding the HTTP signing secret.
    public var signingSecretEnv: String?
    public var command: [String] = []
    /// The IAM role whose temporary credentials a command runs with (its execution role).
    public var roleARN: String?
    public var timeoutSeconds: Double = 30
    /// GetRandomPassword's options for the new password.
    public var passwordLength = 32
    public var excludeCharacters: String?
    public var excludePunctuation = false

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    /// Reads one entry of the config file's `rotation.functions` list.
    public init(json object: [String: Any]) throws(RotationConfigurationError) {
        guard let name = object["name"] as? String, !name.isEmpty else { throw RotationConfigurationError("every rotation function needs a name") }
        guard let type = object["type"] as? String, let kind = Kind(rawValue: type) else {
            throw RotationConfigurationError("rotation function \(name): type must be one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(name: name, kind: kind)
        url = object["url"] as? String
        signingSecretEnv = object["signingSecretEnv"] as? String
        command = object["command"] as? [String] ?? []
        roleARN = object["role"] as? String
        if let timeout = object["timeoutSeconds"] as? Double { timeoutSeconds = timeout }
        if let length = object["passwordLength"] as? Int { passwordLength = length }
        excludeCharacters = object["excludeCharacters"] as? String
        excludePunctuation = object["excludePunctuation"] as? Bool ?? false
        switch kind {
        case .http:
            guard let url, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw RotationConfigurationError("rotation function \(name): an http function needs an http(s) url")
            }
            guard signingSecretEnv != nil else {
                throw RotationConfigurationError("rotation function \(name): an http function needs signingSecretEnv, the variable holding its signing secret")
            }
        case .command:
            guard !command.isEmpty else { throw RotationConfigurationError("rotation function \(name): a command function needs command, a list") }
            guard roleARN != nil else { throw RotationConfigurationError("rotation function \(name): a command function needs role, its execution role's ARN") }
        default:
            break
        }
        guard timeoutSeconds > 0, timeoutSeconds <= 900 else {
            throw RotationConfigurationError("rotation function \(name): timeoutSeconds must be in 1...900, as Lambda's")
        }
    }
}

public struct RotationConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import ArgumentParser
import CofferClient
import CofferCore
import Foundation

struct Secrets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with secrets in a running Coffer (or AWS).", subcommands: [Rollback.self])
}

/// `coffer secrets rollback`: seed 004's emergency rollback. Moves AWSCURRENT back to the version
/// labelled AWSPREVIOUS with UpdateSecretVersionStage, so it is authorized and audited as any
/// call; the version it leaves becomes AWSPREVIOUS, so running it again rolls forward.
struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move AWSCURRENT back to the AWSPREVIOUS version of a secret.")

    @Argument(help: "The secret's name or ARN.") var secretID: String
    @OptionGroup var connection: Connection

    func run() async throws {
        let client = try connection.client()
        let described = try await client.call("DescribeSecret", ["SecretId": .string(secretID)])
        guard case .object(let stages)? = described["VersionIdsToStages"] else { throw ValidationError("the secret has no versions") }
        func holder(_ label: String) -> String? {
            stages.members.first { member in
                if case .array(let labels) = member.value { return labels.contains(.string(label)) }
                return false
            }?.key
        }
        guard let current = holder(StagingLabel.current), let previous = holder(StagingLabel.previous) else {
            throw ValidationError("\(secretID) has no AWSPREVIOUS version to roll back to")
        }
        _ = try await client.call("UpdateSecretVersionStage", [
            "SecretId": .string(secretID), "VersionStage": .string(StagingLabel.current),
            "MoveToVersionId": .string(previous), "RemoveFromVersionId": .string(current),
        ])
        print("AWSCURRENT moved from \(current) to \(previous)")
    }
}

/// Where a command sends its calls and with which credentials, as the AWS CLI finds them.
struct Connection: ParsableArguments {
    @Option(name: .customLong("endpoint-url"), help: "Default: AWS_ENDPOINT_URL, else http://127.0.0.1:4566.") var endpoint: String?
    @Option(help: "Default: AWS_REGION or AWS_DEFAULT_REGION, else us-east-1.") var region: String?
    @Option(help: "A profile in the shared credentials file (default: AWS_PROFILE, else default).") var profile: String?

    init() {}

    init(endpoint: String?, region: String?, profile: String?) {
        self.endpoint = endpoint
        self.region = region
        self.profile = profile
    }

    /// The AWS CLI's order: the environment (unless a profile is named), then the shared credentials file.
    func credentials() throws -> AWSCredentials {
        let environment = ProcessInfo.processInfo.environment
        if profile == nil, let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] {
            return AWSCredentials(accessKeyID: key, secretAccessKey: Redacted(secret), sessionToken: environment["AWS_SESSION_TOKEN"].map(Redacted.init))
        }
        let name = profile ?? environment["AWS_PROFILE"] ?? "default"
        let path = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? (NSHomeDirectory() + "/.aws/credentials")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let section = Self.section(name, in: text),
            let key = section["aws_access_key_id"], let secret = section["aws_secret_access_key"]
        else { throw ValidationError("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile \(name) in \(path)") }
        return AWSCredentials(accessKeyID: key, secretAccessKey: Redacted(secret), sessionToken: section["aws_session_token"].map(Redacted.init))
    }

    func client() throws -> SecretsManagerCaller { SecretsManagerCaller(caller: try caller(serviceVariable: "AWS_ENDPOINT_URL_SECRETS_MANAGER")) }

    /// A signed caller for the endpoint: the flag, else the service's own variable, else AWS_ENDPOINT_URL.
    func caller(serviceVariable: String? = nil) throws -> SignedCaller {
        let environment = ProcessInfo.processInfo.environment
        let region = region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        let url = endpoint ?? serviceVariable.flatMap { environment[$0] } ?? environment["AWS_ENDPOINT_URL"] ?? "http://127.0.0.1:4566"
        guard let endpointURL = URL(string: url), endpointURL.scheme == "http" || endpointURL.scheme == "https" else {
            throw ValidationError("not an http(s) URL: \(url)")
        }
        return SignedCaller(endpoint: endpointURL, region: region, credentials: try credentials())
    }

    /// One `[name]` section of an INI-style credentials file.
    static func section(_ name: String, in text: String) -> [String: String]? {
        var found: [String: String]?
        var inside = false
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && line.hasSuffix("]") {
                inside = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces) == name
                if inside { found = found ?? [:] }
            } else if inside, let equals = line.firstIndex(of: "=") {
                found?[line[..<equals].trimmingCharacters(in: .whitespaces)] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return found
    }
}

/// Secrets Manager calls over JSON 1.1, through the shared signed caller.
struct SecretsManagerCaller {
    let caller: SignedCaller

    func call(_ operation: String, _ body: JSONObject) async throws -> JSONObject {
        let answer = try await caller.json(service: "secretsmanager", target: "secretsmanager.\(operation)", JSONWriter.bytes(.object(body)))
        let parsed = (try? JSONParser.parse(answer.body)) ?? .null
        guard answer.status == 200, case .object(let object) = parsed else {
            var code = "error", message = ""
            if case .object(let error) = parsed {
                if case .string(let c)? = error["__type"] { code = c }
                if case .string(let m)? = error["message"] ?? error["Message"] { message = m }
            }
            throw ValidationError("\(operation) failed: \(code): \(message)")
        }
        return object
    }
}

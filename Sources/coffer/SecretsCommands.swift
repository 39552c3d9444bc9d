import ArgumentParser
import CofferClient
import CofferCore
import Foundation

struct Secrets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Work with secrets in a running Coffer (or AWS).", subcommands: [Rollback.self])
}

/// `coffer secrets rollback`: seed 004's emergency rollback. Moves AWSCURRENT back to the version
/// labelled AWSPREVIOUS with UpdateSecretVersionStage, so it is authorized and audited as any
/// call; the version it leaves becomes AWSPREVIOUS, so running it again rolls forward.
struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Move AWSCURRENT back to the AWSPREVIOUS version of a secret.")

    @Argument(help: "The secret's name or ARN.") var secretID: String
    @OptionGroup var connection: Connection

    func run() async throws {
        let client = try await connection.client()
        let described = try await client.call("DescribeSecret", ["SecretId": .string(secretID)])
        guard case .object(let stages)? = described["VersionIdsToStages"] else { throw ValidationError("the secret has no versions") }
        guard let move = RotationRollback.move(versionIDsToStages: stages) else {
            throw ValidationError("\(secretID) has no AWSPREVIOUS version to roll back to")
        }
        _ = try await client.call("UpdateSecretVersionStage", RotationRollback.request(secretID: secretID, move))
        print("AWSCURRENT moved from \(move.removeFrom) to \(move.moveTo)")
    }
}

/// Where a command sends its calls and with which credentials, as the AWS CLI finds them
/// (`AWSSettings`: flags, then the environment, then the shared config and credentials files).
struct Connection: ParsableArguments {
    @Option(name: .customLong("endpoint-url"), help: "Default: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's endpoint_url, else http://127.0.0.1:4566.")
    var endpoint: String?
    @Option(help: "Default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1.") var region: String?
    @Option(help: "A profile of the shared config and credentials files (default: AWS_PROFILE, else default).") var profile: String?

    init() {}

    init(endpoint: String?, region: String?, profile: String?) {
        self.endpoint = endpoint
        self.region = region
        self.profile = profile
    }

    var settings: AWSSettings {
        var environment = ProcessInfo.processInfo.environment
        if let region { environment["AWS_REGION"] = region }
        return AWSSettings(profile: profile, environment: environment)
    }

    func credentials() async throws -> AWSCredentials { try await settings.credentials(stsEndpoint: endpoint ?? Self.localDefault(settings)) }

    func client() async throws -> SecretsManagerCaller { SecretsManagerCaller(caller: try await caller(for: .secretsManager)) }

    /// Coffer's tools talk to a local Coffer unless told otherwise, where the AWS SDKs would go to AWS.
    func caller(for service: AWSService = .secretsManager) async throws -> SignedCaller {
        let settings = settings
        let explicit = try endpoint ?? settings.endpoint(for: service)?.absoluteString ?? Self.localDefault(settings)
        return try await settings.caller(for: service, explicitEndpoint: explicit)
    }

    /// A caller per service, for readers that span services (posture, lint of stored policies).
    func callers() async throws -> [AWSService: SignedCaller] {
        let settings = settings
        let credentials = try await self.credentials()
        var out: [AWSService: SignedCaller] = [:]
        for service in AWSService.allCases {
            let explicit = try endpoint ?? settings.endpoint(for: service)?.absoluteString ?? Self.localDefault(settings)
            out[service] = try settings.caller(for: service, explicitEndpoint: explicit, credentials: credentials)
        }
        return out
    }

    static func localDefault(_ settings: AWSSettings) -> String? {
        (try? settings.endpoint(for: .sts)) == nil ? "http://127.0.0.1:4566" : nil
    }
}

/// Secrets Manager calls over JSON 1.1, through the shared signed caller.
struct SecretsManagerCaller {
    let caller: SignedCaller

    func call(_ operation: String, _ body: JSONObject) async throws -> JSONObject {
        do { return try await caller.call(.secretsManager, target: "secretsmanager.\(operation)", body) } catch {
            guard case .service(let code, let message, _) = error else { throw ValidationError("\(operation) failed: \(error)") }
            throw ValidationError("\(operation) failed: \(code): \(message)")
        }
    }
}

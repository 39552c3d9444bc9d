import ArgumentParser
import CofferClient
import CofferCore
import CofferServer
import Foundation
import Logging

/// `coffer agent`: the AWS Secrets Manager Agent's protocol on localhost, backed by Coffer or AWS.
struct Agent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Serve the Secrets Manager Agent's local HTTP protocol (port 2773), caching reads and following rotations.",
        discussion: """
            Requests need the header X-Aws-Parameters-Secrets-Token (or X-Vault-Token) equal to the first of AWS_TOKEN, \
            AWS_SESSION_TOKEN and AWS_CONTAINER_AUTHORIZATION_TOKEN that is set (file://PATH reads the token from a file), \
            as AWS's agent requires. GET /secretsmanager/get?secretId=ID[&versionStage=S|&versionId=V][&refreshNow=true], \
            GET /v1/ID, and the Lambda extension's GET /systemsmanager/parameters/get?name=N[&withDecryption=true].
            """)

    @Option(help: "The loopback port (1024-65535).") var port = 2773
    @Option(name: .customLong("ttl-seconds"), help: "How long a value is cached (0-3600; 0 caches nothing).") var ttlSeconds = 300
    @Option(name: .customLong("cache-size"), help: "How many secrets are kept (1-1000).") var cacheSize = 1000
    @Option(name: .customLong("version-check-seconds"), help: "How often a cached AWSCURRENT is checked for a rotation (0: never).")
    var versionCheckSeconds = 30
    @OptionGroup var connection: Connection

    func validate() throws {
        guard (1024...65535).contains(port) else { throw ValidationError("--port must be 1024-65535") }
        guard (0...3600).contains(ttlSeconds) else { throw ValidationError("--ttl-seconds must be 0-3600") }
        guard (1...1000).contains(cacheSize) else { throw ValidationError("--cache-size must be 1-1000") }
        guard versionCheckSeconds >= 0 else { throw ValidationError("--version-check-seconds must be 0 or more") }
    }

    func run() async throws {
        try await exitingTwoOnError("agent") {
            var settings = SecretsAgent.Settings(token: try Self.token())
            settings.port = port
            settings.cache = SecretCache.Settings(ttlSeconds: Double(ttlSeconds), versionCheckSeconds: Double(versionCheckSeconds), maximumEntries: cacheSize)
            let agent = try await SecretsAgent(settings: settings, secrets: SecretsManagerClient(caller: try await connection.caller(for: .secretsManager)),
                                               parameters: ParameterStoreClient(caller: try await connection.caller(for: .ssm)),
                                               logger: Logger(label: "coffer.agent"))
            FileHandle.standardError.write(Data("coffer agent: listening on 127.0.0.1:\(agent.localPort ?? port)\n".utf8))
            await Signals.wait(for: [SIGINT, SIGTERM])
            await agent.shutdown()
        }
    }

    /// AWS's agent's `ssrf_env_variables`, in its order.
    static func token() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        for name in ["AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            if value.hasPrefix("file://") {
                let path = String(value.dropFirst(7))
                guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(name) names \(path), which cannot be read") }
                let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !token.isEmpty else { throw ValidationError("\(path) (from \(name)) is empty") }
                return token
            }
            return value
        }
        throw ValidationError("set AWS_TOKEN (or AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN) to the token requests must carry")
    }
}

import CofferClient
import CofferCore
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The client against a real `coffer serve --dev` that the test starts (the binary `swift build
/// --build-tests` leaves in .build/debug, or COFFER_BIN).
@Suite(.serialized) struct LiveServerTests {
    final class Server: Sendable {
        let process: Process
        let endpoint: String
        let directory: URL

        init() async throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let binary = ProcessInfo.processInfo.environment["COFFER_BIN"] ?? root.appendingPathComponent(".build/debug/coffer").path
            guard FileManager.default.isExecutableFile(atPath: binary) else {
                throw AWSClientError.configuration("no coffer binary at \(binary): run swift build --build-tests first")
            }
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-live-\(UUID().uuidString)")
            var lastError: (any Error)?
            for _ in 0..<5 {
                let port = Int.random(in: 20_000...60_000)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: binary)
                process.arguments = ["serve", "--dev", "--port", String(port), "--data-dir", directory.path, "--log-level", "error"]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                let endpoint = "http://127.0.0.1:\(port)"
                for _ in 0..<300 {
                    if !process.isRunning { break }
                    if let (_, response) = try? await URLSession.shared.data(from: URL(string: endpoint + "/health")!),
                       (response as? HTTPURLResponse)?.statusCode == 200 {
                        self.process = process
                        self.endpoint = endpoint
                        return
                    }
                    try await Task.sleep(nanoseconds: 20_000_000)
                }
                process.terminate()
                lastError = AWSClientError.unreachable(endpoint: endpoint, reason: "did not become healthy")
            }
            throw lastError!
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }

        var settings: AWSSettings {
            AWSSettings(environment: ["AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                                      "AWS_REGION": "us-east-1", "HOME": directory.path])
        }
    }

    @Test func secretsParametersAndACacheThatSeesRotation() async throws {
        let server = try await Server()
        defer { server.stop() }
        let settings = server.settings
        let secrets = SecretsManagerClient(caller: try await settings.caller(for: .secretsManager))
        try await secrets.createSecret("app/db", string: #"{"user":"app","password":"one","port":5432}"#, tags: ["Project": "coffer"])
        let first = try await secrets.getSecretValue("app/db")
        #expect(first.stages == ["AWSCURRENT"])
        let fields = try first.fields()
        #expect(fields.map(\.name) == ["user", "password", "port"])
        #expect(fields.first { $0.name == "port" }?.value.value == "5432")
        #expect("\(first.string!)" == "<redacted>")

        let cache = SecretCache(client: secrets, settings: SecretCache.Settings(ttlSeconds: 300, versionCheckSeconds: 0.2))
        _ = try await cache.secret("app/db")
        _ = try await cache.secret("app/db")
        #expect(await cache.statistics.hits == 1)
        try await secrets.putSecretValue("app/db", string: #"{"user":"app","password":"two"}"#)
        try await Task.sleep(nanoseconds: 250_000_000)
        let rotated = try await cache.secret("app/db")
        #expect(try rotated.fields().first { $0.name == "password" }?.value.value == "two")
        #expect(await cache.statistics.rotationsSeen == 1)

        // In the last tenth of the TTL a read is answered from the cache and starts a refetch.
        // (Windows are wide: the machine is shared and sleeps overrun.)
        let ahead = SecretCache(client: secrets, settings: SecretCache.Settings(ttlSeconds: 4, versionCheckSeconds: 0))
        _ = try await ahead.secret("app/db")
        try await Task.sleep(nanoseconds: 3_700_000_000)
        _ = try await ahead.secret("app/db")
        #expect(await ahead.statistics.refreshesAhead == 1)
        try await Task.sleep(nanoseconds: 1_000_000_000)
        _ = try await ahead.secret("app/db")
        #expect(await ahead.statistics.misses == 1)

        let parameters = ParameterStoreClient(caller: try await settings.caller(for: .ssm))
        try await parameters.putParameter("/ELASMETRICS/STAGING/MYSQL/PASSWORD", value: "pw", type: "SecureString", overwrite: false)
        try await parameters.putParameter("/ELASMETRICS/STAGING/MYSQL/HOST", value: "db", type: "String", overwrite: false)
        let under = try await parameters.parameters(under: "/ELASMETRICS/STAGING")
        #expect(under.map(\.name).sorted() == ["/ELASMETRICS/STAGING/MYSQL/HOST", "/ELASMETRICS/STAGING/MYSQL/PASSWORD"])
        #expect(under.first { $0.isSecure }?.value.value == "pw")

        do {
            _ = try await secrets.getSecretValue("missing")
            Issue.record("a missing secret was found")
        } catch {
            #expect(error.code == "ResourceNotFoundException")
        }
        let identity = try await STSClient(caller: try await settings.caller(for: .sts)).callerIdentity()
        #expect(identity.arn.hasSuffix(":root"))
    }
}

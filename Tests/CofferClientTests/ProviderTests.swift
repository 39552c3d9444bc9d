import CofferClient
import Configuration
import ConfigurationCoffer
import ConfigurationTesting
import Foundation
import Testing

/// The swift-configuration providers against a real `coffer serve --dev`.
@Suite(.serialized) struct ProviderTests {
    @Test func seed003sHierarchyInAFewLines() async throws {
        let server = try await LiveServerTests.Server()
        defer { server.stop() }
        let settings = server.settings
        let ssm = ParameterStoreClient(caller: try await settings.caller(for: .ssm))
        try await ssm.putParameter("/ELASMETRICS/STAGING/MYSQL/PASSWORD", value: "from-ssm", type: "SecureString", overwrite: false)
        try await ssm.putParameter("/ELASMETRICS/STAGING/MYSQL/HOST", value: "db.staging", type: "String", overwrite: false)
        try await ssm.putParameter("/ELASMETRICS/STAGING/MYSQL/PORT", value: "3306", type: "String", overwrite: false)

        let store = try await ParameterStoreProvider(client: ssm, path: "/ELASMETRICS/STAGING")
        // Composed with swift-configuration's own providers, under the keys a Swift program uses.
        let environment = EnvironmentVariablesProvider(environmentVariables: ["MYSQL_HOST": "from-environment", "MYSQL_USER": "app"])
        let defaults = InMemoryProvider(name: "defaults", values: ["mysql.timeout": 30])
        let config = ConfigReader(providers: [store, environment, defaults])
        #expect(config.string(forKey: "mysql.host") == "db.staging")
        #expect(config.int(forKey: "mysql.port") == 3306)
        #expect(config.string(forKey: "mysql.user") == "app")
        #expect(config.int(forKey: "mysql.timeout") == 30)
        let password = try store.value(forKey: AbsoluteConfigKey(["MYSQL", "PASSWORD"]), type: .string)
        #expect(password.value?.isSecret == true)
        #expect(try store.value(forKey: AbsoluteConfigKey(["MYSQL", "HOST"]), type: .string).value?.isSecret == false)
        #expect(!"\(password.value!)".contains("from-ssm"))
        #expect(throws: (any Error).self) { try store.value(forKey: AbsoluteConfigKey(["MYSQL", "HOST"]), type: .int) }
    }

    @Test func aRunningSecretsProviderFollowsRotation() async throws {
        let server = try await LiveServerTests.Server()
        defer { server.stop() }
        let secrets = SecretsManagerClient(caller: try await server.settings.caller(for: .secretsManager))
        try await secrets.createSecret("clickhouse/dev", string: #"{"user":"app","password":"one"}"#)
        let provider = try await SecretsManagerProvider(client: secrets, secretID: "clickhouse/dev", refreshInterval: .milliseconds(100))
        let key = AbsoluteConfigKey(["password"])
        #expect(try provider.value(forKey: key, type: .string).value?.content == .string("one"))
        #expect(try provider.value(forKey: key, type: .string).value?.isSecret == true)
        let service = Task { try await provider.run() }
        defer { service.cancel() }
        let seen = try await provider.watchValue(forKey: key, type: .string) { updates in
            var values: [String] = []
            for await update in updates {
                if case .string(let text)? = try update.get().value?.content { values.append(text) }
                if values.count == 1 { try await secrets.putSecretValue("clickhouse/dev", string: #"{"user":"app","password":"two"}"#) }
                if values.count == 2 { break }
            }
            return values
        }
        #expect(seen == ["one", "two"])
        #expect(try provider.value(forKey: AbsoluteConfigKey(["user"]), type: .string).value?.content == .string("app"))
        #expect(try provider.value(forKey: AbsoluteConfigKey(["missing"]), type: .string).value == nil)
    }
}

/// swift-configuration's own conformance checks, on a Parameter Store path holding its canned values.
@Suite(.serialized) struct ProviderCompatibilityTests {
    @Test func parameterStoreProviderPassesProviderCompatTest() async throws {
        let server = try await LiveServerTests.Server()
        defer { server.stop() }
        let ssm = ParameterStoreClient(caller: try await server.settings.caller(for: .ssm))
        let canned: [(String, String)] = [
            ("string", "Hello"), ("other.string", "Other Hello"), ("int", "42"), ("other.int", "24"), ("double", "3.14"),
            ("other.double", "2.72"), ("bool", "true"), ("other.bool", "false"), ("bytes", "bWFnaWM="), ("other.bytes", "bWFnaWMy"),
            ("stringy.array", "Hello,World"), ("other.stringy.array", "Hello,Swift"), ("inty.array", "42,24"), ("other.inty.array", "16,32"),
            ("doubly.array", "3.14,2.72"), ("other.doubly.array", "0.9,1.8"), ("booly.array", "true,false"),
            ("other.booly.array", "false,true,true"), ("byteChunky.array", "bWFnaWM=,bWFnaWMy"),
            ("other.byteChunky.array", "bWFnaWM=,bWFnaWMy,bWFnaWM="),
        ]
        for (key, value) in canned {
            try await ssm.putParameter("/compat/" + key.replacingOccurrences(of: ".", with: "/"), value: value,
                                       type: key.hasSuffix("array") ? "StringList" : "String", overwrite: false)
        }
        try await ProviderCompatTest(provider: try await ParameterStoreProvider(client: ssm, path: "/compat")).runTest()
    }
}

@testable import CofferClient
import Foundation
import Testing

@Suite struct SettingsTests {
    static let config = """
        [default]
        region = eu-west-1

        [profile coffer]
        region = us-east-1
        services = coffer-local
        endpoint_url = http://global.example:1

        [services coffer-local]
        secrets_manager =
          endpoint_url = http://127.0.0.1:4566
        ssm =
          endpoint_url = http://127.0.0.1:4567

        [profile deployer]
        role_arn = arn:aws:iam::123456789012:role/deployer
        source_profile = coffer
        """
    static let credentials = """
        [coffer]
        aws_access_key_id = AKIAEXAMPLEEXAMPLE01
        aws_secret_access_key = secret1
        # a comment
        [default]
        aws_access_key_id = AKIAEXAMPLEEXAMPLE02
        aws_secret_access_key = secret2
        """

    static func settings(_ environment: [String: String], profile: String? = nil) throws -> AWSSettings {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The files are read whole when the settings are made.
        defer { try? FileManager.default.removeItem(at: directory) }
        try config.write(to: directory.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try credentials.write(to: directory.appendingPathComponent("credentials"), atomically: true, encoding: .utf8)
        var env = environment
        env["AWS_CONFIG_FILE"] = directory.appendingPathComponent("config").path
        env["AWS_SHARED_CREDENTIALS_FILE"] = directory.appendingPathComponent("credentials").path
        return AWSSettings(profile: profile, environment: env)
    }

    @Test func profilesFromBothFilesAndServicesSections() throws {
        let s = try Self.settings(["AWS_PROFILE": "coffer"])
        #expect(s.region == "us-east-1")
        #expect(try s.endpoint(for: .secretsManager)?.absoluteString == "http://127.0.0.1:4566")
        #expect(try s.endpoint(for: .ssm)?.absoluteString == "http://127.0.0.1:4567")
        #expect(try s.endpoint(for: .kms)?.absoluteString == "http://global.example:1")
        #expect(s.files.profiles["coffer"]?["aws_access_key_id"] == "AKIAEXAMPLEEXAMPLE01")
        #expect(try Self.settings([:]).region == "eu-west-1")
    }

    @Test func environmentVariablesOrderEndpointsAsTheSDKsDo() throws {
        let s = try Self.settings(["AWS_PROFILE": "coffer", "AWS_ENDPOINT_URL": "http://env.example:2", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://sm.example:3"])
        #expect(try s.endpoint(for: .secretsManager)?.absoluteString == "http://sm.example:3")
        #expect(try s.endpoint(for: .ssm)?.absoluteString == "http://env.example:2")
        #expect(try s.endpoint(for: .ssm, explicit: "http://flag.example:4")?.absoluteString == "http://flag.example:4")
        let ignoring = try Self.settings(["AWS_PROFILE": "coffer", "AWS_ENDPOINT_URL": "http://env.example:2", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"])
        #expect(try ignoring.endpoint(for: .ssm) == nil)
        #expect(ignoring.awsEndpoint(for: .ssm).absoluteString == "https://ssm.us-east-1.amazonaws.com")
        #expect(throws: AWSClientError.self) { try Self.settings(["AWS_ENDPOINT_URL": "not a url"]).endpoint(for: .ssm) }
    }

    @Test func credentialsChain() async throws {
        let fromEnvironment = try await Self.settings(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"]).credentials()
        #expect(fromEnvironment.accessKeyID == "AKIAENV" && fromEnvironment.sessionToken?.value == "t")
        // A profile named explicitly wins over the environment's keys, as with the AWS CLI's --profile.
        let named = try await Self.settings(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "s"], profile: "coffer").credentials()
        #expect(named.accessKeyID == "AKIAEXAMPLEEXAMPLE01")
        #expect(try await Self.settings([:]).credentials().accessKeyID == "AKIAEXAMPLEEXAMPLE02")
        await #expect(throws: AWSClientError.self) { try await Self.settings(["AWS_PROFILE": "missing"]).credentials() }
        let description = "\(named.secretAccessKey)"
        #expect(!description.contains("secret1"))
    }
}

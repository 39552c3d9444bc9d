import CofferClient
import Testing

@Suite struct EnvironmentInjectionTests {
    typealias Entry = EnvironmentInjection.Entry

    @Test func namesFollowTheLastSegmentInUpperSnakeCase() {
        #expect(EnvironmentInjection.variableName("/ELASMETRICS/STAGING/api/db-password") == "DB_PASSWORD")
        #expect(EnvironmentInjection.variableName("host.name", prefix: "DB_") == "DB_HOST_NAME")
        #expect(EnvironmentInjection.variableName("2fa") == "_2FA")
        #expect(EnvironmentInjection.variableName("apiKey") == "APIKEY")
    }

    @Test func laterSourcesWinAndConflictsFollowTheRule() throws {
        let entries = [Entry(name: "DB_HOST", value: "a", source: "secret s"), Entry(name: "DB_HOST", value: "b", source: "parameter /p/db_host"),
                       Entry(name: "TOKEN", value: "t", source: "secret s")]
        let overridden = try EnvironmentInjection().apply(entries, to: ["TOKEN": "old", "KEEP": "k"])
        #expect(overridden.environment == ["DB_HOST": "b", "TOKEN": "t", "KEEP": "k"])
        #expect(overridden.warnings.count == 2)
        #expect(!overridden.warnings.joined().contains("old") && !overridden.warnings.joined().contains("\"t\""))
        let preserved = try EnvironmentInjection(conflict: .preserve).apply(entries, to: ["TOKEN": "old"])
        #expect(preserved.environment["TOKEN"] == "old")
        #expect(throws: AWSClientError.self) { try EnvironmentInjection(conflict: .refuse).apply(entries, to: ["TOKEN": "old"]) }
    }

    @Test func dangerousAndAWSNamesAreRefused() throws {
        for name in ["PATH", "LD_PRELOAD", "NODE_OPTIONS", "COFFER_RUN"] {
            #expect(throws: AWSClientError.self) { try EnvironmentInjection().apply([Entry(name: name, value: "x", source: "s")], to: [:]) }
        }
        #expect(throws: AWSClientError.self) { try EnvironmentInjection().apply([Entry(name: "AWS_ACCESS_KEY_ID", value: "x", source: "s")], to: [:]) }
        #expect(try EnvironmentInjection(allowAWSNames: true).apply([Entry(name: "AWS_REGION", value: "x", source: "s")], to: [:]).environment["AWS_REGION"] == "x")
        #expect(throws: AWSClientError.self) { try EnvironmentInjection().apply([Entry(name: "9LIVES", value: "x", source: "s")], to: [:]) }
    }
}

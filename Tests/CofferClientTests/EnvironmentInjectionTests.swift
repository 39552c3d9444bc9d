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

@Suite struct DotEnvTests {
    @Test func composeSyntax() throws {
        let text = """
            # comment
            export A=plain value # trailing comment
            B="line\\none \\"quoted\\""
            C='literal $HOME \\n'
            D=
            E="spans
            two lines"
            F=a#b
            """
        let entries = try DotEnv.parse(text)
        let values = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
        #expect(values["A"] == "plain value")
        #expect(values["B"] == "line\none \"quoted\"")
        #expect(values["C"] == "literal $HOME \\n")
        #expect(values["D"] == "")
        #expect(values["E"] == "spans\ntwo lines")
        #expect(values["F"] == "a#b")
        let rendered = DotEnv.render(entries.map { ($0.key, $0.value) })
        #expect(try DotEnv.parse(rendered).map(\.value) == entries.map(\.value))
    }

    @Test func malformedLinesNameTheirPlace() {
        #expect(throws: AWSClientError.self) { try DotEnv.parse("A=1\nnot a pair\n", file: "x.env") }
        #expect(throws: AWSClientError.self) { try DotEnv.parse("A=1\nA=2\n") }
        #expect(throws: AWSClientError.self) { try DotEnv.parse("A=\"open\n") }
        #expect(throws: AWSClientError.self) { try DotEnv.parse("1A=x\n") }
        do { _ = try DotEnv.parse("A=1\nnot a pair\n", file: "x.env") } catch { #expect("\(error)".contains("x.env:2")) }
    }
}

import CofferCore
import Foundation
import Testing

@Suite struct VersionStagesTests {
    func version(_ id: String, _ stages: [String] = [StagingLabel.current]) -> SecretVersion {
        SecretVersion(versionID: id, stages: stages, createdDate: Date(), isString: true, valueDigest: id)
    }

    func secret(_ ids: String...) -> Secret {
        var secret = Secret(arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-abcdef", name: "s", createdDate: Date())
        for id in ids { secret = VersionStages.addVersion(version(id), to: secret) }
        return secret
    }

    @Test func newCurrentMakesTheOldOnePrevious() {
        let s = secret("v1", "v2", "v3")
        #expect(s.version(id: "v3")?.stages == ["AWSCURRENT"])
        #expect(s.version(id: "v2")?.stages == ["AWSPREVIOUS"])
        #expect(s.version(id: "v1")?.stages == [])
    }

    @Test func customLabelsMoveWithoutTouchingCurrent() {
        var s = secret("v1")
        s = VersionStages.addVersion(version("v2", ["blue"]), to: s)
        s = VersionStages.addVersion(version("v3", ["blue", "AWSPENDING"]), to: s)
        #expect(s.version(id: "v1")?.stages == ["AWSCURRENT"])
        #expect(s.version(id: "v2")?.stages == [])
        #expect(s.version(id: "v3")?.stages == ["blue", "AWSPENDING"])
    }

    // Ids are told apart by a word of length and first bytes before the string compare: ids that
    // share those bytes, prefixes of each other, short, empty and non-ASCII ids must still be found
    // exactly.
    @Test func findsVersionsWhoseIdsShareTheirFirstBytes() {
        let ids = ["", "a", "abcdefg", "abcdefgh", "abcdefgi", "abcdefghij", "éèêëabc", "éèêëabd",
                   "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE", "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLF"]
        var s = secret()
        for id in ids { s = VersionStages.addVersion(version(id, []), to: s) }
        for id in ids { #expect(s.version(id: id)?.versionID == id) }
        for missing in ["abcdef", "abcdefgj", "abcdefghi", "éèêëab", "b", "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE0"] {
            #expect(s.version(id: missing) == nil)
        }
    }

    @Test func aSecretsFirstVersionIsAlwaysCurrent() {
        let empty = secret()
        #expect(VersionStages.labels(["AWSPENDING"], forNewVersionOf: empty) == ["AWSPENDING", "AWSCURRENT"])
        #expect(VersionStages.labels(["AWSCURRENT"], forNewVersionOf: empty) == ["AWSCURRENT"])
        #expect(VersionStages.labels(["blue"], forNewVersionOf: secret("v1")) == ["blue"])
    }

    @Test func movingCurrentNeedsRemoveFromAndLeavesPrevious() throws {
        var s = secret("v1")
        s = VersionStages.addVersion(version("v2", ["AWSPENDING"]), to: s)
        #expect(throws: CofferError.self) { try VersionStages.update(s, label: "AWSCURRENT", moveTo: "v2", removeFrom: nil) }
        s = try VersionStages.update(s, label: "AWSCURRENT", moveTo: "v2", removeFrom: "v1")
        #expect(s.version(id: "v2")?.stages.sorted() == ["AWSCURRENT", "AWSPENDING"])
        #expect(s.version(id: "v1")?.stages == ["AWSPREVIOUS"])
    }

    @Test func aNewCurrentClearsTheFinishedRotationsPendingOnly() throws {
        var s = secret("v1")
        s = VersionStages.addVersion(version("v2", ["AWSPENDING"]), to: s)
        s = try VersionStages.update(s, label: "AWSCURRENT", moveTo: "v2", removeFrom: "v1")
        s = VersionStages.addVersion(version("v3"), to: s)
        #expect(s.version(id: "v2")?.stages == ["AWSPREVIOUS"])
        #expect(s.version(id: "v3")?.stages == ["AWSCURRENT"])
        // AWSPENDING on a version that is not current belongs to a rotation under way: it stays.
        s = VersionStages.addVersion(version("v4", ["AWSPENDING"]), to: s)
        s = VersionStages.addVersion(version("v5"), to: s)
        #expect(s.version(id: "v4")?.stages == ["AWSPENDING"])
        // A new current version that asks for AWSPENDING itself takes it as any label moves.
        s = VersionStages.addVersion(version("v6", ["AWSCURRENT", "AWSPENDING"]), to: s)
        #expect(s.version(id: "v6")?.stages.sorted() == ["AWSCURRENT", "AWSPENDING"])
        #expect(s.version(id: "v5")?.stages == ["AWSPREVIOUS"])
    }

    @Test func currentCannotBeRemovedOutright() {
        let s = secret("v1")
        #expect(throws: CofferError.self) { try VersionStages.update(s, label: "AWSCURRENT", moveTo: nil, removeFrom: "v1") }
    }

    @Test func removeFromMustHoldTheLabel() throws {
        var s = secret("v1", "v2")
        #expect(throws: CofferError.self) { try VersionStages.update(s, label: "AWSPREVIOUS", moveTo: nil, removeFrom: "v2") }
        s = try VersionStages.update(s, label: "AWSPREVIOUS", moveTo: nil, removeFrom: "v1")
        #expect(s.version(id: "v1")?.stages == [])
    }

    @Test func prunesOldestUnlabeledBeyondOneHundred() {
        var s = secret()
        for i in 0..<130 { s = VersionStages.addVersion(version("v\(i)"), to: s) }
        #expect(s.versions.count == VersionStages.maximumVersions)
        #expect(s.version(id: "v129")?.stages == ["AWSCURRENT"])
        #expect(s.version(id: "v128")?.stages == ["AWSPREVIOUS"])
        #expect(s.version(id: "v0") == nil)
        #expect(s.version(id: "v30") != nil)
    }

    /// What pruning removed, and only that: also when a version was taken out and added again (a
    /// rotation's empty AWSPENDING version filled) or the list was reordered.
    @Test func removedVersionsAreWhatIsGoneAndNothingElse() {
        var full = secret()
        for i in 0..<100 { full = VersionStages.addVersion(version("v\(i)"), to: full) }
        let next = VersionStages.addVersion(version("v100"), to: full)
        #expect(VersionStages.removedVersionIDs(before: full, after: next) == ["v0"])
        #expect(VersionStages.removedVersionIDs(before: nil, after: next).isEmpty)
        #expect(VersionStages.removedVersionIDs(before: next, after: next).isEmpty)
        let before = secret("a", "stub", "c")
        var after = before
        after.versions.removeAll { $0.versionID == "stub" }
        after.versions.append(version("stub", []))
        #expect(VersionStages.removedVersionIDs(before: before, after: after).isEmpty)
        after.versions.removeAll { $0.versionID == "a" }
        #expect(VersionStages.removedVersionIDs(before: before, after: after) == ["a"])
        after.versions.reverse()
        #expect(VersionStages.removedVersionIDs(before: before, after: after) == ["a"])
        after.versions = []
        #expect(VersionStages.removedVersionIDs(before: before, after: after) == ["a", "stub", "c"])
    }
}

@Suite struct SecretListFilterTests {
    var secret: Secret {
        var s = Secret(arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:anomaly-detector/db-abcdef",
                       name: "anomaly-detector/database/audit-store", createdDate: Date())
        s.description = "Database connection for audit trail storage"
        s.tags = [Tag(key: "Project", value: "anomaly-detector"), Tag(key: "SecretType", value: "database")]
        return s
    }

    @Test(arguments: [
        ("name", "anomaly-detector/", true), ("name", "Anomaly", false), ("name", "database", false),
        ("name", "!other", true), ("name", "!anomaly", false),
        ("description", "audit", true), ("description", "AUDIT trail", true), ("description", "missing", false),
        ("tag-key", "Proj", true), ("tag-value", "data", true), ("tag-value", "x", false),
        ("all", "storage", true), ("all", "database", true), ("all", "nothing", false),
        // A secret that is not replicated has no primary region.
        ("primary-region", "us-east", false),
    ])
    func matchesAsSecretsManagerDoes(key: String, value: String, expected: Bool) {
        #expect(SecretListFilter(key: key, values: [value]).matches(secret, region: "us-east-1") == expected)
    }

    /// The `all` filter's words as AWS cuts them (the cases moto verified against AWS): capitals start
    /// words, one kind of separator cuts, two kinds keep the name whole, a separator alone finds nothing.
    @Test func allFilterMatchesTheStartOfWordsAsAWSCutsThem() {
        func names(_ value: String) -> [String] {
            let named = ["SecretOne1", "SecretTwo1", "Thirdsecret1", "prod/AppBeta/x1", "prod-AppBeta/x1", "uat/COMPANY/x1", "uat/COMPANYthings/x1"]
            return named.filter { name in
                var secret = Secret(arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:\(name)-abcdef", name: name, createdDate: Date())
                if name == "SecretTwo1" { secret.description = "DescTwo" }
                return SecretListFilter(key: "all", values: [value]).matches(secret, region: "us-east-1")
            }
        }
        #expect(names("Secret") == ["SecretOne1", "SecretTwo1"])
        #expect(names("one") == ["SecretOne1"])
        #expect(names("d t") == ["SecretTwo1"])
        #expect(names("AppBeta") == ["prod/AppBeta/x1"])
        #expect(names("Beta") == ["prod/AppBeta/x1"])
        #expect(names("company") == ["uat/COMPANY/x1"])
        #expect(names("Ythings") == ["uat/COMPANYthings/x1"])
        #expect(names("things").isEmpty && names("pany").isEmpty && names("N").isEmpty && names("+").isEmpty)
        // `SecretFTag12ab` is Secret, F, Tag, 1, 2ab.
        let tagged = Secret(arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:SecretFTag12ab-abcdef", name: "SecretFTag12ab", createdDate: Date())
        #expect(["tag", "f", "2a", "1"].allSatisfy { SecretListFilter(key: "all", values: [$0]).matches(tagged, region: "us-east-1") })
        #expect(!["12", "ab", "ftag"].contains { SecretListFilter(key: "all", values: [$0]).matches(tagged, region: "us-east-1") })
    }

    @Test func primaryRegionNamesTheReplicatedPrimarysRegion() {
        var primary = secret
        primary.replicas = [SecretReplica(region: "eu-west-1", kmsKeyID: nil, status: "InSync", statusMessage: "Replication succeeded")]
        #expect(SecretListFilter(key: "primary-region", values: ["us-east"]).matches(primary, region: "us-east-1"))
        var replica = secret
        replica.primaryRegion = "us-east-1"
        #expect(SecretListFilter(key: "primary-region", values: ["us-east-1"]).matches(replica, region: "eu-west-1"))
        #expect(!SecretListFilter(key: "primary-region", values: ["eu-west"]).matches(replica, region: "eu-west-1"))
    }

    @Test func filtersCombineWithAndValuesWithOr() {
        let filters = [SecretListFilter(key: "name", values: ["x", "anomaly"]), SecretListFilter(key: "tag-key", values: ["Project"])]
        #expect(SecretListFilter.matches(filters, secret: secret, region: "us-east-1"))
        let failing = filters + [SecretListFilter(key: "tag-value", values: ["nope"])]
        #expect(!SecretListFilter.matches(failing, secret: secret, region: "us-east-1"))
    }
}

@Suite struct PasswordAndPolicyTests {
    @Test func passwordsHonourEveryOption() throws {
        var options = PasswordOptions()
        options.length = 64
        options.excludeCharacters = "abc"
        options.excludePunctuation = true
        let password = try PasswordGenerator.generate(options, random: SystemRandomSource())
        #expect(password.count == 64)
        #expect(!password.contains { "abc".contains($0) || PasswordGeneratorTestSupport.punctuation.contains($0) })
        #expect(password.contains { $0.isUppercase } && password.contains { $0.isLowercase } && password.contains { $0.isNumber })

        options = PasswordOptions()
        options.length = 8
        options.excludeLowercase = true
        options.excludeUppercase = true
        options.excludePunctuation = true
        options.includeSpace = true
        let digitsAndSpace = try PasswordGenerator.generate(options, random: SystemRandomSource())
        #expect(digitsAndSpace.allSatisfy { $0.isNumber || $0 == " " } && digitsAndSpace.contains(" "))

        options = PasswordOptions()
        options.excludeLowercase = true
        options.excludeUppercase = true
        options.excludePunctuation = true
        options.excludeNumbers = true
        #expect(throws: CofferError.self) { try PasswordGenerator.generate(options, random: SystemRandomSource()) }
    }

    @Test func policiesAreCheckedForGrammarAndPublicAccess() throws {
        let scoped = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
        #expect(!ResourcePolicyCheck.grantsPublicAccess(try ResourcePolicyCheck.parse(scoped)))
        let open = #"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"secretsmanager:*","Resource":"*"}}"#
        #expect(ResourcePolicyCheck.grantsPublicAccess(try ResourcePolicyCheck.parse(open)))
        for bad in ["not json", "[]", #"{"Statement":[]}"#, #"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"x"}]}"#,
                    #"{"Statement":[{"Effect":"Allow","Action":"x"}]}"#, #"{"Bogus":1,"Statement":[]}"#] {
            #expect(throws: CofferError.self) { try ResourcePolicyCheck.parse(bad) }
        }
    }
}

enum PasswordGeneratorTestSupport {
    static let punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
}

@testable import CofferPosture
import Foundation
import Testing

/// Each check: a snapshot that fails it and its twin that passes.
@Suite struct PostureCheckTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static func daysAgo(_ n: Double) -> Date { now.addingTimeInterval(-n * 86_400) }

    static func secret(_ name: String, _ change: (inout AccountSnapshot.Secret) -> Void = { _ in }) -> AccountSnapshot.Secret {
        var s = AccountSnapshot.Secret(name: name, arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:\(name)-AbCdEf")
        s.rotationEnabled = true
        s.createdDate = daysAgo(10)
        s.lastRotatedDate = daysAgo(5)
        s.lastAccessedDate = daysAgo(1)
        s.nextRotationDate = daysAgo(-25)
        change(&s)
        return s
    }

    static func user(_ name: String, _ change: (inout AccountSnapshot.Principal) -> Void = { _ in }) -> AccountSnapshot.Principal {
        var u = AccountSnapshot.Principal(kind: .user, name: name, arn: "arn:aws:iam::123456789012:user/\(name)")
        u.accessKeys = [AccountSnapshot.AccessKey(id: "AKIA0000000000000001", active: true, created: daysAgo(10), lastUsed: daysAgo(1))]
        change(&u)
        return u
    }

    static func base() -> AccountSnapshot {
        var s = AccountSnapshot()
        s.passwordPolicyRead = true
        s.passwordPolicy = AccountSnapshot.PasswordPolicy(minimumLength: 14, requireUppercase: true, requireLowercase: true, requireNumbers: true,
                                                          requireSymbols: true, maxAge: 90, reusePrevention: 24)
        s.rootAccessKeysPresent = false
        s.rootEvents = []
        return s
    }

    static func ids(_ snapshot: AccountSnapshot, _ configuration: PostureConfiguration? = nil) throws -> [String] {
        let settings = try configuration ?? PostureConfiguration(profile: "foundational")
        return PostureChecks.run(snapshot, configuration: settings, now: now).findings.map(\.check.id)
    }

    struct Case: CustomStringConvertible, Sendable {
        let id: String
        let bad: @Sendable (inout AccountSnapshot) -> Void
        let good: @Sendable (inout AccountSnapshot) -> Void
        var description: String { id }
    }

    static let cases: [Case] = [
        Case(id: "secret-rotation-disabled", bad: { $0.secrets = [secret("a") { $0.rotationEnabled = false }] }, good: { $0.secrets = [secret("a")] }),
        Case(id: "secret-rotation-failing", bad: { $0.secrets = [secret("a") { $0.nextRotationDate = daysAgo(3) }] },
             good: { $0.secrets = [secret("a") { $0.nextRotationDate = daysAgo(0.5) }] }),
        Case(id: "secret-not-rotated", bad: { $0.secrets = [secret("a") { $0.lastRotatedDate = daysAgo(120) }] }, good: { $0.secrets = [secret("a")] }),
        Case(id: "secret-unused", bad: { $0.secrets = [secret("a") { $0.lastAccessedDate = daysAgo(91) }] },
             good: { $0.secrets = [secret("a") { $0.lastAccessedDate = daysAgo(89) }] }),
        Case(id: "secret-public-policy",
             bad: { $0.secrets = [secret("a") { $0.policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"# }] },
             good: { $0.secrets = [secret("a") { $0.policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/app"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"# }] }),
        Case(id: "access-key-not-rotated", bad: { $0.principals = [user("a") { $0.accessKeys[0].created = daysAgo(91) }] },
             good: { $0.principals = [user("a") { $0.accessKeys[0].active = true }] }),
        Case(id: "access-key-unused", bad: { $0.principals = [user("a") { $0.accessKeys[0].created = daysAgo(100); $0.accessKeys[0].lastUsed = nil }] },
             good: { $0.principals = [user("a") { $0.accessKeys[0].created = daysAgo(60); $0.accessKeys[0].lastUsed = daysAgo(2) }] }),
        Case(id: "user-password-expired",
             bad: { $0.principals = [user("a") { $0.hasConsolePassword = true; $0.mfaDevices = 1; $0.passwordLastUsed = daysAgo(1); $0.passwordLastChanged = daysAgo(91) }] },
             good: { $0.principals = [user("a") { $0.hasConsolePassword = true; $0.mfaDevices = 1; $0.passwordLastUsed = daysAgo(1); $0.passwordLastChanged = daysAgo(89) }] }),
        Case(id: "user-password-unused", bad: { $0.principals = [user("a") { $0.hasConsolePassword = true; $0.mfaDevices = 1; $0.passwordCreated = daysAgo(100) }] },
             good: { $0.principals = [user("a") { $0.hasConsolePassword = true; $0.mfaDevices = 1; $0.passwordCreated = daysAgo(100); $0.passwordLastUsed = daysAgo(3) }] }),
        Case(id: "user-multiple-active-keys",
             bad: { $0.principals = [user("a") { $0.accessKeys.append(AccountSnapshot.AccessKey(id: "AKIA0000000000000002", active: true, created: daysAgo(1))) }] },
             good: { $0.principals = [user("a") { $0.accessKeys.append(AccountSnapshot.AccessKey(id: "AKIA0000000000000002", active: false, created: daysAgo(1))) }] }),
        Case(id: "user-console-without-mfa", bad: { $0.principals = [user("a") { $0.hasConsolePassword = true }] },
             good: { $0.principals = [user("a") { $0.hasConsolePassword = true; $0.mfaDevices = 1 }] }),
        Case(id: "user-direct-policies", bad: { $0.principals = [user("a") { $0.attachedPolicies = ["arn:aws:iam::123456789012:policy/p"] }] },
             good: { $0.principals = [user("a")] }),
        Case(id: "root-access-key", bad: { $0.rootAccessKeysPresent = true }, good: { $0.rootAccessKeysPresent = false }),
        Case(id: "root-recent-use", bad: { $0.rootEvents = [AccountSnapshot.RootEvent(name: "CreateUser", time: daysAgo(2))] }, good: { $0.rootEvents = [] }),
        Case(id: "password-policy", bad: { $0.passwordPolicy?.requireSymbols = false }, good: { _ in }),
        Case(id: "kms-key-rotation-disabled",
             bad: { $0.keys = [AccountSnapshot.Key(id: "k", arn: "arn:k", state: "Enabled", customerManaged: true, symmetric: true, rotationEnabled: false)] },
             good: { $0.keys = [AccountSnapshot.Key(id: "k", arn: "arn:k", state: "Enabled", customerManaged: true, symmetric: true, rotationEnabled: true)] }),
        Case(id: "kms-key-pending-deletion",
             bad: { $0.keys = [AccountSnapshot.Key(id: "k", arn: "arn:k", state: "PendingDeletion", customerManaged: true, symmetric: true)] },
             good: { $0.keys = [AccountSnapshot.Key(id: "k", arn: "arn:k", state: "Disabled", customerManaged: true, symmetric: true)] }),
        Case(id: "kms-key-public-policy",
             bad: { $0.keys = [AccountSnapshot.Key(id: "k", arn: "arn:k", state: "Enabled", customerManaged: true, symmetric: false,
                                                   policy: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}"#)] },
             good: { $0.keys = [AccountSnapshot.Key(id: "k", arn: "arn:k", state: "Enabled", customerManaged: true, symmetric: false,
                                                    policy: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}"#)] }),
        Case(id: "policy-full-admin",
             bad: { $0.managedPolicies = [AccountSnapshot.ManagedPolicy(name: "p", arn: "arn:p", document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, attachments: 1)] },
             good: { $0.managedPolicies = [AccountSnapshot.ManagedPolicy(name: "p", arn: "arn:p", document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#, attachments: 1)] }),
        Case(id: "policy-privilege-escalation",
             bad: { $0.managedPolicies = [AccountSnapshot.ManagedPolicy(name: "p", arn: "arn:p", document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"*"}]}"#, attachments: 1)] },
             good: { $0.managedPolicies = [AccountSnapshot.ManagedPolicy(name: "p", arn: "arn:p", document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUserPolicy","Resource":"*"}]}"#, attachments: 1)] }),
        Case(id: "role-trust-public",
             bad: { $0.principals = [AccountSnapshot.Principal(kind: .role, name: "r", arn: "arn:r", trustPolicy: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#)] },
             good: { $0.principals = [AccountSnapshot.Principal(kind: .role, name: "r", arn: "arn:r", trustPolicy: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)] }),
        Case(id: "parameter-plaintext-secret",
             bad: { $0.parameters = [AccountSnapshot.Parameter(name: "/app/prod/db_password", arn: "arn:p", type: "String", value: "x")] },
             good: { $0.parameters = [AccountSnapshot.Parameter(name: "/app/prod/db_password", arn: "arn:p", type: "SecureString")] }),
    ]

    @Test(arguments: cases)
    func failsTheBadAndPassesTheGood(_ check: Case) throws {
        var bad = Self.base(), good = Self.base()
        check.bad(&bad)
        check.good(&good)
        let found = try Self.ids(bad)
        #expect(found.contains(check.id), "expected \(check.id) in \(found)")
        #expect(try !Self.ids(good).contains(check.id))
    }

    @Test func tagsNamingAndDisabledChecksComeFromTheConfiguration() throws {
        var snapshot = Self.base()
        snapshot.secrets = [Self.secret("legacy"), Self.secret("app/db") { $0.tags = ["Project": "p", "Environment": "dev", "SecretType": "db"] }]
        var settings = try PostureConfiguration(profile: "foundational")
        #expect(try Self.ids(snapshot, settings).isEmpty)
        settings.requiredTags = ["Project", "Environment", "SecretType"]
        settings.secretNamePattern = "app/.+"
        let report = PostureChecks.run(snapshot, configuration: settings, now: Self.now)
        #expect(report.findings.map(\.check.id).sorted() == ["secret-missing-tags", "secret-name-convention"])
        #expect(report.findings.allSatisfy { $0.resource.contains("legacy") })
        settings.disabledChecks = ["secret-missing-tags"]
        #expect(try Self.ids(snapshot, settings) == ["secret-name-convention"])
    }

    @Test func checksWhoseAreaCouldNotBeReadAreReportedNotRun() throws {
        var snapshot = Self.base()
        snapshot.unavailable["iam"] = "ListUsers: AccessDenied: no"
        let report = PostureChecks.run(snapshot, configuration: try PostureConfiguration(profile: "cis"), now: Self.now)
        #expect(report.notRun.contains { $0.check.id == "access-key-not-rotated" && $0.reason.contains("AccessDenied") })
        #expect(!report.checksRun.contains { $0.id == "access-key-not-rotated" })
        #expect(report.checksRun.contains { $0.id == "secret-rotation-disabled" })
    }

    @Test func profilesSetPasswordRulesAndThresholds() throws {
        var snapshot = Self.base()
        snapshot.passwordPolicy = AccountSnapshot.PasswordPolicy(minimumLength: 12, requireUppercase: true, requireLowercase: true,
                                                                 requireNumbers: true, requireSymbols: true, maxAge: 90, reusePrevention: 24)
        #expect(try !Self.ids(snapshot, PostureConfiguration(profile: "checklist")).contains("password-policy"))
        #expect(try Self.ids(snapshot, PostureConfiguration(profile: "cis")).contains("password-policy"))
        snapshot.principals = [Self.user("a") { $0.accessKeys[0].created = Self.daysAgo(60); $0.accessKeys[0].lastUsed = Self.daysAgo(50) }]
        #expect(try Self.ids(snapshot, PostureConfiguration(profile: "cis")).contains("access-key-unused"))
        #expect(try !Self.ids(snapshot, PostureConfiguration(profile: "foundational")).contains("access-key-unused"))
        #expect(throws: (any Error).self) { try PostureConfiguration(profile: "lenient") }
    }

    @Test func tiersOfSeed001() {
        let basic = TerraformTiers.evaluate(file: "t", text: "enable_sagemaker = true\nenable_kms_encryption = true # yes\nenable_cloudwatch_monitoring = true\nenable_vpc_endpoints = \"true\"\n")
        #expect(basic.highest == "Basic")
        #expect(basic.tiers[1].missing.first == "enable_guardduty")
        #expect(TerraformTiers.evaluate(file: "t", text: "enable_sagemaker = false").highest == nil)
        let all = TerraformTiers.tiers[2].settings.map { $0 == "security_alert_email" ? "\($0) = \"sec@example.org\"" : "\($0) = true" }.joined(separator: "\n")
        #expect(TerraformTiers.evaluate(file: "t", text: all).highest == "Enterprise")
    }
}

@Suite struct PasswordAgeTests {
    @Test func theCredentialReportGivesWhenEachPasswordWasLastSet() {
        let csv = """
            user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active
            <root_account>,arn:aws:iam::123456789012:root,2026-01-01T00:00:00+00:00,not_supported,no_information,not_supported,not_supported,false
            alice,arn:aws:iam::123456789012:user/alice,2026-01-01T00:00:00+00:00,true,no_information,2026-03-04T05:06:07+00:00,N/A,false
            bob,arn:aws:iam::123456789012:user/bob,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false

            """
        let changed = AccountReader.passwordLastChanged(csv: csv)
        #expect(changed.keys.sorted() == ["alice"])
        #expect(changed["alice"] == Date(timeIntervalSince1970: 1_772_600_767))
        #expect(AccountReader.passwordLastChanged(csv: "user,arn\nalice,arn:x\n").isEmpty)
    }

    @Test func theAccountPolicyDecidesTheAgeAndTheProfileWhereItSetsNone() throws {
        var snapshot = PostureCheckTests.base()
        snapshot.principals = [PostureCheckTests.user("a") {
            $0.hasConsolePassword = true; $0.mfaDevices = 1; $0.passwordLastUsed = PostureCheckTests.daysAgo(1)
            $0.passwordLastChanged = PostureCheckTests.daysAgo(60)
        }]
        snapshot.passwordPolicy?.maxAge = 45
        #expect(try PostureCheckTests.ids(snapshot).contains("user-password-expired"))
        snapshot.passwordPolicy?.maxAge = nil
        // foundational asks for no expiry; strict for 90 days
        #expect(try !PostureCheckTests.ids(snapshot).contains("user-password-expired"))
        #expect(try !PostureCheckTests.ids(snapshot, PostureConfiguration(profile: "strict")).contains("user-password-expired"))
        snapshot.principals[0].passwordLastChanged = PostureCheckTests.daysAgo(120)
        #expect(try PostureCheckTests.ids(snapshot, PostureConfiguration(profile: "strict")).contains("user-password-expired"))
        snapshot.principals[0].hasConsolePassword = false
        #expect(try !PostureCheckTests.ids(snapshot, PostureConfiguration(profile: "strict")).contains("user-password-expired"))
    }
}

import CofferCore
import CofferLint
import CofferScan
public import Foundation

/// The checks, run over a snapshot. Pure: the same snapshot always gives the same report at a given time.
public enum PostureChecks {
    public static func run(_ snapshot: AccountSnapshot, configuration: PostureConfiguration, now: Date = Date(),
                           tiers: TierReport? = nil) -> PostureReport {
        var findings: [PostureFinding] = []
        func add(_ check: PostureCheck, _ resource: String, _ details: String, severity: PostureSeverity? = nil) {
            guard !configuration.disabledChecks.contains(check.id) else { return }
            findings.append(PostureFinding(check: check, resource: resource, details: details, severity: severity ?? check.severity))
        }
        let day = 86_400.0
        func days(since date: Date) -> Int { Int(now.timeIntervalSince(date) / day) }
        func ago(_ date: Date) -> String {
            switch days(since: date) {
            case 0: "today"
            case 1: "yesterday"
            case let n: "\(n) days ago"
            }
        }

        // Secrets
        let pattern = configuration.secretNamePattern.flatMap { try? Regex($0) }
        for secret in snapshot.secrets where secret.deletedDate == nil {
            if !secret.rotationEnabled {
                add(PostureCatalog.secretRotationDisabled, secret.arn, "\(secret.name) has no rotation schedule.")
            } else {
                let grace = Double(configuration.rotationGraceHours) * 3_600
                if let failure = snapshot.rotationFailures[secret.arn], failure.time > (secret.lastRotatedDate ?? .distantPast) {
                    add(PostureCatalog.secretRotationFailing, secret.arn,
                        "\(secret.name)'s last rotation failed \(ago(failure.time)) and none has succeeded since: \(failure.message)")
                } else if secret.pendingRotation {
                    add(PostureCatalog.secretRotationFailing, secret.arn, "\(secret.name) has an AWSPENDING version that never became AWSCURRENT: its last rotation did not finish.")
                } else if let next = secret.nextRotationDate, next.addingTimeInterval(grace) < now {
                    add(PostureCatalog.secretRotationFailing, secret.arn, "\(secret.name) was due to rotate \(days(since: next)) days ago and has not.")
                }
            }
            let rotated = secret.lastRotatedDate ?? secret.createdDate
            if let rotated, days(since: rotated) > configuration.maxDaysSinceRotation {
                add(PostureCatalog.secretNotRotated, secret.arn,
                    "\(secret.name) was last \(secret.lastRotatedDate == nil ? "set at creation" : "rotated") \(days(since: rotated)) days ago (allowed: \(configuration.maxDaysSinceRotation)).")
            }
            if let accessed = secret.lastAccessedDate ?? secret.createdDate, days(since: accessed) > configuration.unusedForDays {
                add(PostureCatalog.secretUnused, secret.arn,
                    "\(secret.name) \(secret.lastAccessedDate == nil ? "has never been read since it was created" : "was last read") \(days(since: accessed)) days ago (allowed: \(configuration.unusedForDays)).")
            }
            if let policy = secret.policy, PolicyLinter.lint(policy, source: secret.name, type: .resource, resource: .secret).findings.contains(where: { $0.code == "PUBLIC_ACCESS" }) {
                add(PostureCatalog.secretPublic, secret.arn, "\(secret.name)'s resource policy allows principals of any account with no condition.")
            }
            let missing = configuration.requiredTags.filter { secret.tags[$0] == nil }
            if !missing.isEmpty { add(PostureCatalog.secretTags, secret.arn, "\(secret.name) lacks the tags \(missing.joined(separator: ", ")).") }
            if let pattern, (try? pattern.wholeMatch(in: secret.name)) == nil {
                add(PostureCatalog.secretName, secret.arn, "\(secret.name) does not match \(configuration.secretNamePattern ?? "").")
            }
        }

        // IAM users' credentials
        for user in snapshot.principals where user.kind == .user {
            let active = user.accessKeys.filter(\.active)
            for key in active {
                if let created = key.created, days(since: created) > configuration.maxAccessKeyAge {
                    add(PostureCatalog.accessKeyOld, user.arn, "\(user.name)'s key \(key.id) is \(days(since: created)) days old (allowed: \(configuration.maxAccessKeyAge)).")
                }
                let reference = key.lastUsed ?? key.created
                if let reference, days(since: reference) > configuration.maxCredentialUsageAge {
                    add(PostureCatalog.accessKeyUnused, user.arn,
                        "\(user.name)'s key \(key.id) \(key.lastUsed == nil ? "has never been used" : "was last used \(days(since: reference)) days ago") (allowed: \(configuration.maxCredentialUsageAge) days).")
                }
            }
            if user.hasConsolePassword, let reference = user.passwordLastUsed ?? user.passwordCreated,
               days(since: reference) > configuration.maxCredentialUsageAge {
                add(PostureCatalog.passwordUnused, user.arn,
                    "\(user.name)'s console password \(user.passwordLastUsed == nil ? "has never been used" : "was last used \(days(since: reference)) days ago") (allowed: \(configuration.maxCredentialUsageAge) days).")
            }
            // AWS makes an expired password be changed at the next sign-in; until then it still works for
            // whoever holds it. The account's policy decides when it expires, or the profile where the policy sets no age.
            if user.hasConsolePassword, let changed = user.passwordLastChanged,
               let maxAge = snapshot.passwordPolicy?.maxAge.flatMap({ $0 > 0 ? $0 : nil }) ?? configuration.password.maxAge,
               days(since: changed) > maxAge {
                add(PostureCatalog.passwordExpired, user.arn,
                    "\(user.name)'s console password was last changed \(days(since: changed)) days ago (maximum age: \(maxAge) days).")
            }
            if active.count > 1 {
                add(PostureCatalog.multipleKeys, user.arn, "\(user.name) has \(active.count) active access keys (\(active.map(\.id).joined(separator: ", "))).")
            }
            if user.hasConsolePassword, user.mfaDevices == 0 {
                add(PostureCatalog.consoleWithoutMFA, user.arn, "\(user.name) can sign in with a password and has no MFA device.")
            }
            if !user.attachedPolicies.isEmpty || !user.inlinePolicies.isEmpty {
                add(PostureCatalog.directPolicies, user.arn,
                    "\(user.name) has \(user.attachedPolicies.count) attached and \(user.inlinePolicies.count) inline policies of its own.")
            }
        }
        if snapshot.rootAccessKeysPresent == true {
            add(PostureCatalog.rootKeys, "root", "The account's root user has an access key (GetAccountSummary AccountAccessKeysPresent).")
        }
        if let events = snapshot.rootEvents, let last = events.map(\.time).max() {
            let names = Dictionary(grouping: events, by: \.name).map { "\($0.key) ×\($0.value.count)" }.sorted()
            add(PostureCatalog.rootUse, "root",
                "The root user made \(events.count) calls in the last \(configuration.rootUsageDays) days, the last \(ago(last)): \(names.prefix(8).joined(separator: ", ")).")
        }
        if snapshot.passwordPolicyRead { passwordFindings(snapshot.passwordPolicy, configuration.password, add) }

        // KMS
        for key in snapshot.keys {
            if key.state == "PendingDeletion" || key.state == "PendingReplicaDeletion" {
                let when = key.deletionDate.map { " on \(ISO8601DateFormatter().string(from: $0))" } ?? ""
                add(PostureCatalog.keyDeletion, key.arn, "Key \(key.id) is scheduled for deletion\(when); data encrypted under it will be unrecoverable.")
            } else if key.rotationEnabled == false {
                add(PostureCatalog.keyRotation, key.arn, "Key \(key.id) is customer managed and symmetric, and does not rotate.")
            }
            if let policy = key.policy, PolicyLinter.lint(policy, source: key.id, type: .resource, resource: .key).findings.contains(where: { $0.code == "PUBLIC_ACCESS" }) {
                add(PostureCatalog.keyPublic, key.arn, "Key \(key.id)'s key policy allows principals of any account with no condition.")
            }
        }

        // Stored policies, judged by the linter
        for stored in AccountReader.storedPolicies(snapshot) where stored.kind != .secret && stored.kind != .key {
            let result = PolicyLinter.lint(stored.text, source: stored.source, type: stored.kind == .trust ? .resource : .identity,
                                           resource: stored.kind == .trust ? .roleTrust : .none)
            for finding in result.findings {
                let check: PostureCheck? = switch finding.code {
                case "FULL_ADMINISTRATOR_ACCESS": PostureCatalog.policyAdmin
                case "SERVICE_WILDCARD": PostureCatalog.policyServiceWildcard
                case "PRIVILEGE_ESCALATION": PostureCatalog.policyEscalation
                case "SECRET_DATA_ON_ALL_RESOURCES": PostureCatalog.policySecretData
                case "CREDENTIALS_EXPOSURE": PostureCatalog.policyCredentials
                case "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "PUBLIC_ACCESS": stored.kind == .trust ? PostureCatalog.trustPublic : nil
                default: finding.level == .error ? PostureCatalog.policyErrors : nil
                }
                guard let check else { continue }
                // An unattached policy grants nothing today; a scoped escalation path is weaker evidence.
                var severity = check.severity
                if stored.attached == false || (finding.code == "PRIVILEGE_ESCALATION" && finding.level != .securityWarning) {
                    severity = PostureSeverity.allCases.first { $0.rank == max(0, check.severity.rank - 1) } ?? check.severity
                }
                add(check, stored.resource, "\(stored.source): \(finding.code): \(finding.details)", severity: severity)
            }
        }

        // Parameters that hold secrets in plain text
        let scanner = SecretScanner()
        for parameter in snapshot.parameters where parameter.type != "SecureString" {
            let leaf = parameter.name.split(separator: "/").last.map(String.init) ?? parameter.name
            var reasons: [String] = []
            if SecretNames.looksSecret(leaf) { reasons.append("its name says it is a secret") }
            if let value = parameter.value, !value.isEmpty {
                let matches = scanner.scan(Array("\(leaf.replacingOccurrences(of: "-", with: "_")) = \"\(value)\"\n".utf8))
                if let rule = matches.first?.rule { reasons.append("its value looks like a \(rule.title)") }
            }
            if !reasons.isEmpty {
                add(PostureCatalog.parameterPlaintext, parameter.arn, "\(parameter.name) is a \(parameter.type) parameter and \(reasons.joined(separator: " and ")).")
            }
        }

        // Which checks ran
        var run: [PostureCheck] = [], notRun: [(PostureCheck, String)] = []
        for check in PostureCatalog.all where !configuration.disabledChecks.contains(check.id) {
            if let area = check.needs.first(where: { snapshot.unavailable[$0] != nil }) {
                notRun.append((check, "\(area): \(snapshot.unavailable[area] ?? "")"))
            } else if check.id == "secret-missing-tags", configuration.requiredTags.isEmpty {
                continue
            } else if check.id == "secret-name-convention", configuration.secretNamePattern == nil {
                continue
            } else {
                run.append(check)
            }
        }
        let examined = [
            "secrets": snapshot.secrets.count, "users": snapshot.principals.filter { $0.kind == .user }.count,
            "roles": snapshot.principals.filter { $0.kind == .role }.count, "access keys": snapshot.principals.reduce(0) { $0 + $1.accessKeys.count },
            "managed policies": snapshot.managedPolicies.count, "kms keys": snapshot.keys.count, "parameters": snapshot.parameters.count,
        ]
        let ordered = findings.sorted { $0.severity != $1.severity ? $0.severity > $1.severity : ($0.check.id, $0.resource) < ($1.check.id, $1.resource) }
        return PostureReport(profile: configuration.profile, caller: snapshot.callerARN, findings: ordered, checksRun: run, notRun: notRun,
                             resourcesExamined: examined, tiers: tiers)
    }

    static func passwordFindings(_ policy: AccountSnapshot.PasswordPolicy?, _ rules: PostureConfiguration.PasswordRules,
                                 _ add: (PostureCheck, String, String, PostureSeverity?) -> Void) {
        guard let policy else {
            add(PostureCatalog.passwordPolicy, "account", "The account has no password policy: IAM allows 6-character passwords of any kind that never expire.", nil)
            return
        }
        var gaps: [String] = []
        if policy.minimumLength < rules.minimumLength { gaps.append("minimum length \(policy.minimumLength) < \(rules.minimumLength)") }
        if rules.requireUppercase, !policy.requireUppercase { gaps.append("upper-case letters not required") }
        if rules.requireLowercase, !policy.requireLowercase { gaps.append("lower-case letters not required") }
        if rules.requireNumbers, !policy.requireNumbers { gaps.append("numbers not required") }
        if rules.requireSymbols, !policy.requireSymbols { gaps.append("symbols not required") }
        if let maxAge = rules.maxAge, (policy.maxAge ?? 0) == 0 || (policy.maxAge ?? 0) > maxAge {
            gaps.append("passwords expire after \(policy.maxAge.map { "\($0) days" } ?? "never") (at most \(maxAge))")
        }
        if let reuse = rules.reusePrevention, (policy.reusePrevention ?? 0) < reuse {
            gaps.append("\(policy.reusePrevention ?? 0) previous passwords remembered (at least \(reuse))")
        }
        if !gaps.isEmpty { add(PostureCatalog.passwordPolicy, "account", "The password policy falls short: \(gaps.joined(separator: "; ")).", nil) }
    }
}

import CofferCore
@testable import CofferLint
import Foundation
import Testing

/// The seed policies as fixtures, with the findings they must give.
@Suite struct SeedPolicyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func seed(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("tests/e2e/\(name)"), encoding: .utf8)
    }

    @Test func seed000sTwoMistakesAreReportedWithLocationAndWhy() throws {
        let result = PolicyLinter.lint(try Self.seed("seed_000_policy.json"), source: "seed_000_policy.json")
        let wildcard = result.findings.filter { $0.code == "WILDCARD_WITHOUT_LIKE_OPERATOR" }
        #expect(wildcard.count == 3)
        let first = try #require(wildcard.first?.locations.first)
        #expect(first.pointer == "/Statement/1/Condition/StringEquals/kms:ViaService/0")
        #expect(first.start.line == 39)
        #expect(wildcard[0].details.contains("s3.*.amazonaws.com literally"))
        #expect(wildcard[0].details.contains("StringLike"))
        let unsupported = try #require(result.findings.first { $0.code == "UNSUPPORTED_ACTION_FOR_CONDITION_KEY" })
        #expect(unsupported.level == .error)
        #expect(unsupported.details.contains("iam:GetRole"))
        #expect(unsupported.details.contains("never allows it"))
        #expect(unsupported.locations.first?.pointer == "/Statement/4/Condition/StringEquals/iam:PassedToService")
        #expect(unsupported.locations.first?.path.last == .key("iam:PassedToService"))
        // ListSecrets on a secret ARN: IAM authorizes it only on "*".
        #expect(result.findings.contains { $0.code == "RESOURCE_MISMATCH" && $0.details.hasPrefix("secretsmanager:ListSecrets") })
    }

    @Test func seed000sSuggestedPolicyFixesWhatItReports() throws {
        let result = PolicyLinter.lint(try Self.seed("seed_000_policy.json"))
        let suggestion = try #require(result.suggestion)
        #expect(suggestion.changes.count == 4)
        let again = PolicyLinter.lint(suggestion.policy)
        for code in ["WILDCARD_WITHOUT_LIKE_OPERATOR", "UNSUPPORTED_ACTION_FOR_CONDITION_KEY"] {
            #expect(!again.findings.contains { $0.code == code }, "\(code) remains")
        }
        #expect(!again.findings.contains { $0.code == "RESOURCE_MISMATCH" && $0.details.hasPrefix("secretsmanager:ListSecrets") })
        // The evaluator agrees: GetRole on the named roles, and a KMS call through Secrets Manager, are now allowed.
        let document = try PolicyDocument.parse(suggestion.policy, kind: .identity)
        let user = PrincipalIdentity(kind: .user, arn: "arn:aws:iam::123456789012:user/app", account: "123456789012")
        let policies = PolicySet(identity: [NamedPolicy(name: "suggested", document: document)])
        #expect(PolicyEvaluator.evaluate(RequestContext(principal: user, action: "iam:GetRole", resource: "arn:aws:iam::123456789012:role/anomaly-detector-x"), policies).isAllowed)
        let kms = RequestContext(principal: user, action: "kms:Decrypt", resource: "arn:aws:kms:us-east-1:123456789012:key/k",
                                 keys: ["kms:ViaService": ["secretsmanager.us-east-1.amazonaws.com"]])
        #expect(PolicyEvaluator.evaluate(kms, policies).isAllowed)
        let original = PolicySet(identity: [NamedPolicy(name: "seed", document: try PolicyDocument.parse(try Self.seed("seed_000_policy.json"), kind: .identity))])
        #expect(!PolicyEvaluator.evaluate(kms, original).isAllowed)
    }

    @Test func seed002sStatementsAreReadAsStatements() throws {
        guard case .object(let policies) = try JSONParser.parse(try Self.seed("seed_002_policies.json")) else { throw CancellationError() }
        let run = try #require(policies["RunInstancesRestricted"]?.stringValue)
        let result = PolicyLinter.lint(run)
        #expect(result.findings.contains { $0.code == "MISSING_STATEMENT" && $0.details.contains("single statement") })
        #expect(result.findings.contains { $0.code == "MISSING_REQUIRED_RESOURCE" && $0.details.contains("image") })
        let cml = try #require(policies["CMLWorkerManagementPolicy"]?.stringValue)
        #expect(PolicyLinter.lint(cml).findings.contains { $0.code == "RESOURCE_STAR" && $0.details.contains("ec2:RunInstances") })
    }

    @Test func reportsCarryAccessAnalyzersShapeAndValidSARIF() throws {
        let result = PolicyLinter.lint(try Self.seed("seed_000_policy.json"), source: "policies/seed 000.json")
        guard case .object(let finding) = LintReports.finding(result.findings[0]) else { throw CancellationError() }
        #expect(finding.keys.sorted() == ["findingDetails", "findingType", "issueCode", "learnMoreLink", "locations"])
        let sarif = try JSONParser.parse(LintReports.sarif([result], version: "test"))
        let run = try #require(sarif.objectValue?["runs"]?.arrayValue?.first?.objectValue)
        let results = try #require(run["results"]?.arrayValue)
        #expect(results.count == result.findings.count)
        for case .object(let entry) in results {
            let region = entry["locations"]?.arrayValue?.first?.objectValue?["physicalLocation"]?.objectValue?["region"]?.objectValue
            #expect((region?["startColumn"]?.numberValue ?? 0) >= 1)
            #expect(entry["locations"]?.arrayValue?.first?.objectValue?["physicalLocation"]?.objectValue?["artifactLocation"]?.objectValue?["uri"]?.stringValue == "policies/seed%20000.json")
        }
    }
}

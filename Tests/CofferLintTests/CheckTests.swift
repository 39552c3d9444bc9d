@testable import CofferLint
import Testing

@Suite struct CheckTests {
    @Test(arguments: CheckCase.all + CheckCase.resourcePolicies + CheckCase.servicePrincipalsAndDates)
    func reportsTheBadAndNotTheClean(_ check: CheckCase) {
        let bad = PolicyLinter.lint(check.bad, type: check.type, resource: check.resource)
        #expect(bad.findings.contains { $0.code == check.code }, "expected \(check.code) in \(bad.findings.map(\.code))")
        let clean = PolicyLinter.lint(check.clean, type: check.type, resource: check.resource)
        #expect(!clean.findings.contains { $0.code == check.code }, "did not expect \(check.code): \(clean.findings.filter { $0.code == check.code }.map(\.details))")
    }

    @Test func everyFindingHasALocationAndALink() {
        for check in CheckCase.all {
            for finding in PolicyLinter.lint(check.bad, type: check.type, resource: check.resource).findings {
                #expect(!finding.locations.isEmpty, "\(finding.code) has no location")
                #expect(finding.learnMoreLink.hasPrefix("https://docs.aws.amazon.com/"))
            }
        }
    }
}

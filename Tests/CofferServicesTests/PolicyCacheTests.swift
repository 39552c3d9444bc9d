@testable import CofferServices
import CofferCore
import Testing

/// The root's decisions under a resource policy are remembered per policy text, action and
/// resource, and only for a policy without conditions.
@Suite struct PolicyCacheTests {
    let denyDelete = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"secretsmanager:DeleteSecret","Resource":"*"}]}"#
    let conditional = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#

    @Test func decisionsAreRememberedByTextActionAndResource() throws {
        let cache = PolicyCache()
        var evaluations = 0
        func decide(_ text: String, _ action: String, _ resource: String, _ answer: Bool) throws -> Bool? {
            try cache.rootDecision(policy: text, action: action, resource: resource) {
                evaluations += 1
                return answer
            }
        }
        #expect(try decide(denyDelete, "secretsmanager:DeleteSecret", "arn:a", false) == false)
        #expect(try decide(denyDelete, "secretsmanager:DeleteSecret", "arn:a", true) == false)
        #expect(evaluations == 1)
        // Another action, another resource, another text: each evaluated once.
        #expect(try decide(denyDelete, "secretsmanager:GetSecretValue", "arn:a", true) == true)
        #expect(try decide(denyDelete, "secretsmanager:DeleteSecret", "arn:b", true) == true)
        #expect(try decide(denyDelete + " ", "secretsmanager:DeleteSecret", "arn:a", true) == true)
        #expect(evaluations == 4)
        #expect(try decide(denyDelete, "secretsmanager:GetSecretValue", "arn:a", false) == true)
        #expect(evaluations == 4)
        // Conditions depend on the request: no remembered decision.
        #expect(try decide(conditional, "secretsmanager:GetSecretValue", "arn:a", true) == nil)
        #expect(evaluations == 4)
        #expect(try cache.document(denyDelete).statements.count == 1)
    }
}

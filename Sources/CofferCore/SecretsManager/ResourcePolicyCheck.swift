/// Checks a Secrets Manager resource policy's grammar (with the policy engine's parser) and whether
/// it grants public access.
public enum ResourcePolicyCheck {
    public static let maximumSize = 20_480

    public struct Finding: Sendable, Equatable {
        public let checkName: String
        public let message: String
        public init(checkName: String, message: String) {
            self.checkName = checkName
            self.message = message
        }
    }

    /// Throws MalformedPolicyDocument for a document that is not a resource policy.
    public static func parse(_ text: String) throws(CofferError) -> PolicyDocument {
        try PolicyDocument.parse(text, kind: .resource)
    }

    /// Whether an Allow statement lets anyone, in any account, in without a condition that narrows it.
    public static func grantsPublicAccess(_ policy: PolicyDocument) -> Bool {
        policy.statements.contains { statement in
            guard statement.effect == .allow, statement.conditions.isEmpty else { return false }
            switch statement.principals {
            case .any(let set)?: return set.everyone
            case .noneOf?: return true
            case nil: return false
            }
        }
    }
}

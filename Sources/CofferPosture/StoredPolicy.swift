/// A policy document stored in an account, with what it is attached to.
public struct StoredPolicy: Sendable {
    public enum Kind: String, Sendable { case identity, trust, secret, key }
    /// `user/alice#inline-name`, `policy/NAME`, `role/deployer#trust`, `secret/NAME`, `key/ID`.
    public let source: String
    /// The ARN findings point at.
    public let resource: String
    public let text: String
    public let kind: Kind
    /// False for a managed policy attached to nothing.
    public let attached: Bool
}

extension AccountReader {
    /// Every policy of a snapshot: managed and inline identity policies, trust, secret and key policies.
    public static func storedPolicies(_ snapshot: AccountSnapshot) -> [StoredPolicy] {
        var out: [StoredPolicy] = []
        for policy in snapshot.managedPolicies {
            out.append(StoredPolicy(source: "policy/\(policy.name)", resource: policy.arn, text: policy.document, kind: .identity, attached: policy.attachments > 0))
        }
        for principal in snapshot.principals {
            for inline in principal.inlinePolicies {
                out.append(StoredPolicy(source: "\(principal.kind.rawValue)/\(principal.name)#\(inline.name)", resource: principal.arn,
                                        text: inline.document, kind: .identity, attached: true))
            }
            if let trust = principal.trustPolicy {
                out.append(StoredPolicy(source: "role/\(principal.name)#trust", resource: principal.arn, text: trust, kind: .trust, attached: true))
            }
        }
        for secret in snapshot.secrets {
            if let policy = secret.policy { out.append(StoredPolicy(source: "secret/\(secret.name)", resource: secret.arn, text: policy, kind: .secret, attached: true)) }
        }
        for key in snapshot.keys {
            if let policy = key.policy { out.append(StoredPolicy(source: "key/\(key.id)", resource: key.arn, text: policy, kind: .key, attached: true)) }
        }
        return out
    }

    /// The policies alone, for `coffer policy lint --from-endpoint`.
    public func policies() async throws -> [StoredPolicy] {
        var snapshot = AccountSnapshot()
        try await readIAM(&snapshot)
        try await readSecrets(&snapshot)
        try await readKeys(&snapshot)
        return Self.storedPolicies(snapshot)
    }
}

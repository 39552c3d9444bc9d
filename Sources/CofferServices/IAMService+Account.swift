public import CofferCore
import Foundation

/// The account password policy and the policy simulator.
extension IAMService {
    public struct PasswordPolicy: Sendable, Codable, Equatable {
        public var minimumPasswordLength = 8
        public var requireSymbols = false
        public var requireNumbers = false
        public var requireUppercaseCharacters = false
        public var requireLowercaseCharacters = false
        public var allowUsersToChangePassword = false
        public var maxPasswordAge: Int?
        public var passwordReusePrevention: Int?
        public var hardExpiry: Bool?
        public init() {}
        public var expirePasswords: Bool { maxPasswordAge != nil }
    }

    static func passwordPolicyKey(_ account: String) -> String { "iam_password_policy:\(account)" }

    public func passwordPolicy(account: String) async throws -> PasswordPolicy {
        guard let text = try await store.setting(Self.passwordPolicyKey(account)),
            let policy = try? JSONDecoder().decode(PasswordPolicy.self, from: Data(text.utf8))
        else { throw CofferError(.noSuchEntity, "The Password Policy with domain name \(account) cannot be found.") }
        return policy
    }

    public func updatePasswordPolicy(_ policy: PasswordPolicy, account: String) async throws {
        func range(_ value: Int?, _ member: String, _ bounds: ClosedRange<Int>) throws(CofferError) {
            guard let value, !bounds.contains(value) else { return }
            throw CofferError.validation("1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: Member must have value \(value < bounds.lowerBound ? "greater than or equal to \(bounds.lowerBound)" : "less than or equal to \(bounds.upperBound)")")
        }
        try range(policy.minimumPasswordLength, "minimumPasswordLength", 6...128)
        try range(policy.maxPasswordAge, "maxPasswordAge", 1...1095)
        try range(policy.passwordReusePrevention, "passwordReusePrevention", 1...24)
        let text = String(decoding: try JSONEncoder().encode(policy), as: UTF8.self)
        try await store.setSetting(Self.passwordPolicyKey(account), text)
    }

    public func deletePasswordPolicy(account: String) async throws {
        // Deleting names the policy, not the account, as AWS's answer does (moto records it).
        guard (try? await passwordPolicy(account: account)) != nil else {
            throw CofferError(.noSuchEntity, "The account policy with name PasswordPolicy cannot be found.")
        }
        try await store.setSetting(Self.passwordPolicyKey(account), "")
    }

    /// SimulatePrincipalPolicy: the policies of a user or role, plus any given, against each action and resource.
    public func simulatePrincipal(_ arn: String, extra: [String], actions: [String], resources: [String], context: [String: [String]],
                                  account: String) async throws -> [PolicySimulator.Result] {
        var policies: PolicySet
        let principal: PrincipalIdentity
        if let user = try await user(arn: arn) {
            policies = try await policySet(for: user, account: account)
            principal = PrincipalIdentity(kind: .user, arn: user.arn, account: account)
        } else if let role = try await role(arn: arn) {
            policies = try await policySet(for: role, session: nil)
            principal = PrincipalIdentity(kind: .assumedRole, arn: role.arn, account: account, roleARN: role.arn)
        } else if let group = try await store.records(IAMGroup.self, in: Self.scope(account)).first(where: { $0.arn == arn }) {
            policies = PolicySet(identity: try await identityPolicies(group))
            principal = PrincipalIdentity(kind: .user, arn: group.arn, account: account)
        } else {
            throw CofferError(.noSuchEntity, "Entity \(arn) does not exist.")
        }
        for (index, text) in extra.enumerated() {
            policies.identity.append(NamedPolicy(name: "PolicyInputList.\(index + 1)", document: try PolicyDocument.parse(text, kind: .identity)))
        }
        return PolicySimulator.simulate(policies: policies, principal: principal, actions: actions, resources: resources, context: context)
    }
}

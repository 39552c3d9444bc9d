public import CofferCore
import CofferStorage
import Foundation

/// Instance profiles, policy tags and the account alias: the rest of IAM that tooling touches.
extension IAMService {
    static let maximumRolesPerInstanceProfile = 1

    public func createInstanceProfile(_ name: String, path: String?, tags: [Tag], account: String) async throws -> InstanceProfile {
        try IAMRules.validateName(name, member: "instanceProfileName", maximum: 128)
        let path = path ?? "/"
        try IAMRules.validatePath(path)
        try IAMRules.validateTags(tags)
        let profile = InstanceProfile(arn: "arn:\(Self.partition):iam::\(account):instance-profile\(path)\(name)", profileName: name,
                                      profileID: IAMRules.uniqueID(prefix: "AIPA", random: random), path: path, createDate: clock.now(), tags: tags)
        do {
            try await store.write(RecordWrite(.create, scope: Self.scope(account), record: profile))
        } catch StorageError.nameTaken {
            throw CofferError(.entityAlreadyExists, "Instance Profile \(name) already exists.")
        }
        return profile
    }

    public func instanceProfile(_ name: String, account: String) async throws -> InstanceProfile {
        guard let profile = try await store.record(InstanceProfile.self, named: name.lowercased(), in: Self.scope(account)) else {
            throw CofferError(.noSuchEntity, "Instance Profile \(name) cannot be found.")
        }
        return profile
    }

    public func instanceProfiles(account: String) async throws -> [InstanceProfile] {
        try await store.records(InstanceProfile.self, in: Self.scope(account)).sorted { $0.profileName.lowercased() < $1.profileName.lowercased() }
    }

    public func changeInstanceProfile(_ name: String, account: String, _ apply: @escaping @Sendable (inout InstanceProfile) throws -> Void) async throws {
        _ = try await updating(store, in: Self.scope(account), read: { try await instanceProfile(name, account: account) }, apply)
    }

    public func deleteInstanceProfile(_ name: String, account: String) async throws {
        let profile = try await instanceProfile(name, account: account)
        if !profile.roleNames.isEmpty { throw CofferError(.deleteConflict, "Cannot delete entity, must remove roles from instance profile first.") }
        try await store.removeRecord(arn: profile.arn)
    }

    public func addRole(_ roleName: String, toInstanceProfile name: String, account: String) async throws {
        let role = try await holder(IAMRole.self, roleName, account: account)
        try await changeInstanceProfile(name, account: account) { profile in
            guard profile.roleNames.count < Self.maximumRolesPerInstanceProfile else {
                throw CofferError(.limitExceeded, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: \(Self.maximumRolesPerInstanceProfile)")
            }
            profile.roleNames.append(role.roleName)
        }
    }

    /// A role that exists but is not in the profile is named with the profile, as AWS answers it.
    public func removeRole(_ roleName: String, fromInstanceProfile name: String, account: String) async throws {
        let roleExists = (try? await holder(IAMRole.self, roleName, account: account)) != nil
        try await changeInstanceProfile(name, account: account) { profile in
            guard profile.roleNames.contains(where: { $0.lowercased() == roleName.lowercased() }) else {
                throw CofferError(.noSuchEntity, roleExists ? "Role \(roleName) in Instance Profile \(profile.profileName) cannot be found."
                                                            : "The role with name \(roleName) cannot be found.")
            }
            profile.roleNames.removeAll { $0.lowercased() == roleName.lowercased() }
        }
    }

    // MARK: Policy tags

    public func tagPolicy(_ arn: String, tags: [Tag], account: String) async throws {
        try IAMRules.validateTags(tags)
        _ = try await changePolicy(arn, account: account) { policy in
            policy.tags.merge(tags)
            if policy.tags.count > 50 { throw CofferError(.limitExceeded, "Cannot exceed quota for TagsPerPolicy: 50") }
        }
    }

    public func untagPolicy(_ arn: String, keys: [String], account: String) async throws {
        _ = try await changePolicy(arn, account: account) { policy in policy.tags.removeAll { keys.contains($0.key) } }
    }

    // MARK: Account alias

    static func aliasKey(_ account: String) -> String { "iam_account_alias:\(account)" }

    public func accountAliases(account: String) async throws -> [String] {
        guard let alias = try await store.setting(Self.aliasKey(account)), !alias.isEmpty else { return [] }
        return [alias]
    }

    /// An account has one alias: 3 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen.
    public func createAccountAlias(_ alias: String, account: String) async throws {
        let valid = (3...63).contains(alias.count) && !alias.hasPrefix("-") && !alias.hasSuffix("-")
            && alias.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard valid else {
            throw CofferError.constraint(alias, member: "accountAlias", "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
        }
        try await store.setSetting(Self.aliasKey(account), alias)
    }

    public func deleteAccountAlias(_ alias: String, account: String) async throws {
        guard try await accountAliases(account: account).contains(alias) else {
            throw CofferError(.noSuchEntity, "The account alias \(alias) cannot be found.")
        }
        try await store.setSetting(Self.aliasKey(account), "")
    }
}

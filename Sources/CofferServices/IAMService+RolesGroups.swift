public import CofferCore
import CofferStorage
import Foundation

/// Roles, groups and membership.
extension IAMService {
    // MARK: Roles

    public func createRole(_ name: String, trustPolicy: String, path: String?, description: String?, maxSessionDuration: Int?,
                           tags: [Tag], boundaryARN: String?, account: String) async throws -> IAMRole {
        try IAMRules.validateName(name, member: "roleName", maximum: 64)
        let path = path ?? "/"
        try IAMRules.validatePath(path)
        _ = try PolicyDocument.parseTrustPolicy(trustPolicy)
        if let boundaryARN { _ = try await policy(boundaryARN, account: account, attaching: true) }
        var role = IAMRole(arn: "arn:\(Self.partition):iam::\(account):role\(path)\(name)", roleName: name,
                           roleID: IAMRules.uniqueID(prefix: "AROA", random: random), path: path, createDate: clock.now(),
                           assumeRolePolicy: trustPolicy)
        role.description = description
        role.maxSessionDuration = try Self.sessionDuration(maxSessionDuration) ?? 3600
        role.tags = tags
        role.permissionsBoundaryARN = boundaryARN
        do {
            try await store.write(RecordWrite(.create, scope: Self.scope(account), record: role))
        } catch StorageError.nameTaken {
            throw CofferError(.entityAlreadyExists, "Role with name \(name) already exists.")
        }
        return role
    }

    static func sessionDuration(_ seconds: Int?) throws(CofferError) -> Int? {
        guard let seconds else { return nil }
        guard (3600...43_200).contains(seconds) else {
            throw CofferError.validation("1 validation error detected: Value '\(seconds)' at 'maxSessionDuration' failed to satisfy constraint: Member must have value \(seconds < 3600 ? "greater than or equal to 3600" : "less than or equal to 43200")")
        }
        return seconds
    }

    public func role(arn: String) async throws -> IAMRole? { try await store.record(IAMRole.self, arn: arn) }

    public func listRoles(pathPrefix: String?, account: String) async throws -> [IAMRole] {
        try await store.records(IAMRole.self, in: Self.scope(account)).filter { $0.path.hasPrefix(pathPrefix ?? "/") }
            .sorted { $0.roleName.lowercased() < $1.roleName.lowercased() }
    }

    /// UpdateRole, and UpdateRoleDescription (a description only), which answers the role.
    @discardableResult
    public func updateRole(_ name: String, description: String?, maxSessionDuration: Int?, account: String) async throws -> IAMRole {
        let duration = try Self.sessionDuration(maxSessionDuration)
        return try await changeHolder(IAMRole.self, name, account: account) { role in
            if let description { role.description = description }
            if let duration { role.maxSessionDuration = duration }
        }
    }

    public func updateAssumeRolePolicy(_ name: String, document: String, account: String) async throws {
        _ = try PolicyDocument.parseTrustPolicy(document)
        try await changeHolder(IAMRole.self, name, account: account) { $0.assumeRolePolicy = document }
    }

    public func setRoleBoundary(_ name: String, policyARN: String?, account: String) async throws {
        if let policyARN { _ = try await policy(policyARN, account: account, attaching: true) }
        try await changeHolder(IAMRole.self, name, account: account) { $0.permissionsBoundaryARN = policyARN }
    }

    public func tagRole(_ name: String, tags: [Tag], remove: [String], account: String) async throws {
        try await changeHolder(IAMRole.self, name, account: account) { role in
            role.tags.removeAll { remove.contains($0.key) }
            role.tags.merge(tags)
            if role.tags.count > 50 { throw CofferError(.limitExceeded, "Cannot exceed quota for TagsPerRole: 50") }
        }
    }

    public func deleteRole(_ name: String, account: String, serviceLinked: Bool = false) async throws {
        let role = try await holder(IAMRole.self, name, account: account)
        if role.path.hasPrefix("/aws-service-role/"), !serviceLinked {
            throw CofferError(.unmodifiableEntity, "Cannot perform the operation on the protected role '\(role.roleName)' - this role is only modifiable by AWS")
        }
        if !role.attachedPolicyARNs.isEmpty { throw CofferError(.deleteConflict, "Cannot delete entity, must detach all policies first.") }
        if !role.inlinePolicies.isEmpty { throw CofferError(.deleteConflict, "Cannot delete entity, must delete policies first.") }
        if try await instanceProfiles(account: account).contains(where: { $0.roleNames.contains { $0.lowercased() == name.lowercased() } }) {
            throw CofferError(.deleteConflict, "Cannot delete entity, must remove roles from instance profile first.")
        }
        try await store.removeRecord(arn: role.arn)
    }

    // MARK: Groups

    public func createGroup(_ name: String, path: String?, account: String) async throws -> IAMGroup {
        try IAMRules.validateName(name, member: "groupName", maximum: 128)
        let path = path ?? "/"
        try IAMRules.validatePath(path)
        let group = IAMGroup(arn: "arn:\(Self.partition):iam::\(account):group\(path)\(name)", groupName: name,
                             groupID: IAMRules.uniqueID(prefix: "AGPA", random: random), path: path, createDate: clock.now())
        do {
            try await store.write(RecordWrite(.create, scope: Self.scope(account), record: group))
        } catch StorageError.nameTaken {
            throw CofferError(.entityAlreadyExists, "Group with name \(name) already exists.")
        }
        return group
    }

    public func listGroups(pathPrefix: String?, account: String) async throws -> [IAMGroup] {
        try await store.records(IAMGroup.self, in: Self.scope(account)).filter { $0.path.hasPrefix(pathPrefix ?? "/") }
            .sorted { $0.groupName.lowercased() < $1.groupName.lowercased() }
    }

    public func members(of group: IAMGroup, account: String) async throws -> [IAMUser] {
        try await store.records(IAMUser.self, in: Self.scope(account)).filter { $0.groupNames.contains(group.groupName) }
    }

    public func addUserToGroup(_ groupName: String, userName: String, account: String) async throws {
        let group = try await holder(IAMGroup.self, groupName, account: account)
        try await changeUser(userName, account: account) { user in
            if !user.groupNames.contains(group.groupName) { user.groupNames.append(group.groupName) }
        }
    }

    /// Removing a user who is not in the group succeeds and changes nothing, as on AWS (LocalStack's
    /// AWS-validated test_user_group_membership); a missing user, then a missing group, is NoSuchEntity
    /// (AWS names the user when neither exists).
    public func removeUserFromGroup(_ groupName: String, userName: String, account: String) async throws {
        let member = try await user(userName, account: account)
        let group = try await holder(IAMGroup.self, groupName, account: account)
        guard member.groupNames.contains(group.groupName) else { return }
        try await changeUser(userName, account: account) { user in
            user.groupNames.removeAll { $0 == group.groupName }
        }
    }

    public func deleteGroup(_ name: String, account: String) async throws {
        let group = try await holder(IAMGroup.self, name, account: account)
        if !(try await members(of: group, account: account)).isEmpty {
            throw CofferError(.deleteConflict, "Cannot delete entity, must remove users from group first.")
        }
        if !group.attachedPolicyARNs.isEmpty { throw CofferError(.deleteConflict, "Cannot delete entity, must detach all policies first.") }
        if !group.inlinePolicies.isEmpty { throw CofferError(.deleteConflict, "Cannot delete entity, must delete policies first.") }
        try await store.removeRecord(arn: group.arn)
    }
}

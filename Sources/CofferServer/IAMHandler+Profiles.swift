import CofferCore
import CofferServices
import CofferWire

/// Instance profiles, policy tags and the account alias over the query protocol.
extension IAMHandler {
    /// Answers those actions; nil for any other action.
    func handleProfiles(_ action: String, _ r: QueryRequest, account: String) async throws -> [XMLNode]? {
        switch action {
        case "CreateInstanceProfile":
            let profile = try await service.createInstanceProfile(try profileName(r), path: try r.string("Path", min: 1, max: 512), tags: try tags(r),
                                                                  account: account)
            return [try await profileNode(profile, account: account)]
        case "GetInstanceProfile":
            return [try await profileNode(try await service.instanceProfile(try profileName(r), account: account), account: account, tagsEvenIfNone: true)]
        case "ListInstanceProfiles":
            let prefix = try r.string("PathPrefix") ?? "/"
            var nodes: [XMLNode] = []
            for profile in try await service.instanceProfiles(account: account) where profile.path.hasPrefix(prefix) {
                nodes.append(try await profileNode(profile, account: account, tag: "member"))
            }
            return try paged(r, "InstanceProfiles", nodes)
        case "ListInstanceProfilesForRole":
            let role = try await service.holder(IAMRole.self, try r.requiredString("RoleName", min: 1, max: 64), account: account)
            var nodes: [XMLNode] = []
            for profile in try await service.instanceProfiles(account: account) where profile.roleNames.contains(role.roleName) {
                nodes.append(try await profileNode(profile, account: account, tag: "member"))
            }
            return try paged(r, "InstanceProfiles", nodes)
        case "DeleteInstanceProfile":
            try await service.deleteInstanceProfile(try profileName(r), account: account)
            return []
        case "AddRoleToInstanceProfile":
            try await service.addRole(try r.requiredString("RoleName", min: 1, max: 64), toInstanceProfile: try profileName(r), account: account)
            return []
        case "RemoveRoleFromInstanceProfile":
            try await service.removeRole(try r.requiredString("RoleName", min: 1, max: 64), fromInstanceProfile: try profileName(r), account: account)
            return []
        case "TagInstanceProfile":
            let tags = try tags(r)
            try await service.changeInstanceProfile(try profileName(r), account: account) { profile in
                profile.tags.merge(tags)
                if profile.tags.count > 50 { throw CofferError(.limitExceeded, "Cannot exceed quota for TagsPerInstanceProfile: 50") }
            }
            return []
        case "UntagInstanceProfile":
            let keys = r.list("TagKeys")
            try await service.changeInstanceProfile(try profileName(r), account: account) { $0.tags.removeAll { keys.contains($0.key) } }
            return []
        case "ListInstanceProfileTags":
            return try paged(r, "Tags", try await service.instanceProfile(try profileName(r), account: account).tags.map(tagNode))
        case "TagPolicy":
            try await service.tagPolicy(try r.requiredString("PolicyArn", min: 20, max: 2048), tags: try tags(r), account: account)
            return []
        case "UntagPolicy":
            try await service.untagPolicy(try r.requiredString("PolicyArn", min: 20, max: 2048), keys: r.list("TagKeys"), account: account)
            return []
        case "ListPolicyTags":
            return try paged(r, "Tags", try await service.policy(try r.requiredString("PolicyArn", min: 20, max: 2048), account: account).tags.map(tagNode))
        case "CreateServiceLinkedRole":
            let role = try await service.createServiceLinkedRole(service: try r.requiredString("AWSServiceName", min: 1, max: 128),
                                                                 description: try r.string("Description", max: 1000),
                                                                 customSuffix: try r.string("CustomSuffix", min: 1, max: 64), account: account)
            return [roleNode(role, answering: .create)]
        case "DeleteServiceLinkedRole":
            return [.text("DeletionTaskId", try await service.deleteServiceLinkedRole(try r.requiredString("RoleName", min: 1, max: 64), account: account))]
        case "GetServiceLinkedRoleDeletionStatus":
            let task = try r.requiredString("DeletionTaskId", min: 1, max: 1000)
            let parts = task.split(separator: "/")
            guard parts.count == 5, parts[0] == "task", parts[1] == "aws-service-role" else {
                throw CofferError(.noSuchEntity, "The deletion task \(task) cannot be found.")
            }
            let gone = (try? await service.holder(IAMRole.self, String(parts[3]), account: account)) == nil
            return [.text("Status", gone ? "SUCCEEDED" : "IN_PROGRESS")]
        case "UploadSSHPublicKey":
            let userName = try r.requiredString("UserName", min: 1, max: 64)
            let key = try await service.uploadSSHPublicKey(userName: userName, body: try r.requiredString("SSHPublicKeyBody", min: 1, max: 16384),
                                                           account: account)
            return [sshNode(key, userName: userName, full: true)]
        case "GetSSHPublicKey":
            let userName = try r.requiredString("UserName", min: 1, max: 64)
            let key = try await service.sshPublicKey(userName: userName, id: try r.requiredString("SSHPublicKeyId", min: 20, max: 128), account: account)
            return [sshNode(key, userName: userName, full: true)]
        case "ListSSHPublicKeys":
            let user = try await service.user(try r.requiredString("UserName", min: 1, max: 64), account: account)
            return try paged(r, "SSHPublicKeys", (user.sshPublicKeys ?? []).map { sshNode($0, userName: user.userName, full: false, tag: "member") })
        case "UpdateSSHPublicKey", "DeleteSSHPublicKey":
            let status = try r.string("Status")
            if action == "UpdateSSHPublicKey", !["Active", "Inactive"].contains(status ?? "") {
                throw CofferError.constraint(status ?? "null", member: "status", "Member must satisfy enum value set: [Active, Inactive]")
            }
            try await service.changeSSHPublicKey(userName: try r.requiredString("UserName", min: 1, max: 64),
                                                 id: try r.requiredString("SSHPublicKeyId", min: 20, max: 128), account: account,
                                                 remove: action == "DeleteSSHPublicKey", status: status)
            return []
        case "CreateAccountAlias":
            try await service.createAccountAlias(try r.requiredString("AccountAlias", min: 3, max: 63), account: account)
            return []
        case "DeleteAccountAlias":
            try await service.deleteAccountAlias(try r.requiredString("AccountAlias", min: 3, max: 63), account: account)
            return []
        case "ListAccountAliases":
            return try paged(r, "AccountAliases", try await service.accountAliases(account: account).map { .text("member", $0) })
        default:
            return nil
        }
    }

    private func sshNode(_ key: SSHPublicKey, userName: String, full: Bool, tag: String = "SSHPublicKey") -> XMLNode {
        var children: [XMLNode] = [.text("UserName", userName), .text("SSHPublicKeyId", key.id)]
        if full { children += [.text("Fingerprint", key.fingerprint), .text("SSHPublicKeyBody", key.body)] }
        children += [.text("Status", key.status), .text("UploadDate", Self.date(key.uploadDate))]
        return .element(tag, children)
    }

    private func profileName(_ r: QueryRequest) throws -> String { try r.requiredString("InstanceProfileName", min: 1, max: 128) }

    /// As AWS answers it: GetInstanceProfile names Tags even when empty, and a profile's roles carry
    /// neither MaxSessionDuration nor tags (LocalStack's AWS-validated instance profile snapshots).
    private func profileNode(_ profile: InstanceProfile, account: String, tag: String = "InstanceProfile", tagsEvenIfNone: Bool = false) async throws -> XMLNode {
        var roles: [XMLNode] = []
        for name in profile.roleNames {
            if let role = try? await service.holder(IAMRole.self, name, account: account) {
                roles.append(roleNode(role, tag: "member", answering: .inInstanceProfile))
            }
        }
        var children: [XMLNode] = [.text("Path", profile.path), .text("InstanceProfileName", profile.profileName),
                                   .text("InstanceProfileId", profile.profileID), .text("Arn", profile.arn),
                                   .text("CreateDate", Self.date(profile.createDate)), .element("Roles", roles)]
        if !profile.tags.isEmpty || tagsEvenIfNone { children.append(.element("Tags", profile.tags.map(tagNode))) }
        return .element(tag, children)
    }
}

import CofferCore
import CofferServices
import CofferWire

/// GetAccountAuthorizationDetails: every user, group, role and managed policy with their policies in
/// one paged answer, as Cloudsplaining, Prowler and posture tools read an account.
extension IAMHandler {
    func accountAuthorizationDetails(_ r: QueryRequest, account: String) async throws -> [XMLNode] {
        let filter = Set(r.list("Filter"))
        for value in filter where !["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"].contains(value) {
            throw CofferError.constraint(value, member: "filter", "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]")
        }
        func wanted(_ kind: String) -> Bool { filter.isEmpty || filter.contains(kind) }
        var entries: [(list: String, node: XMLNode)] = []
        if wanted("User") {
            for user in try await service.listUsers(pathPrefix: nil, account: account) {
                var children: [XMLNode] = [.text("Path", user.path), .text("UserName", user.userName), .text("UserId", user.userID),
                                           .text("Arn", user.arn), .text("CreateDate", Self.date(user.createDate)),
                                           .element("UserPolicyList", user.inlinePolicies.map(inlineNode)),
                                           .element("GroupList", user.groupNames.map { .text("member", $0) }),
                                           .element("AttachedManagedPolicies", user.attachedPolicyARNs.map(attachedNode))]
                if let boundary = user.permissionsBoundaryARN { children.append(boundaryNode(boundary)) }
                children.append(.element("Tags", user.tags.map(tagNode)))
                entries.append(("UserDetailList", .element("member", children)))
            }
        }
        if wanted("Group") {
            for group in try await service.listGroups(pathPrefix: nil, account: account) {
                entries.append(("GroupDetailList", .element("member", [
                    .text("Path", group.path), .text("GroupName", group.groupName), .text("GroupId", group.groupID), .text("Arn", group.arn),
                    .text("CreateDate", Self.date(group.createDate)), .element("GroupPolicyList", group.inlinePolicies.map(inlineNode)),
                    .element("AttachedManagedPolicies", group.attachedPolicyARNs.map(attachedNode)),
                ])))
            }
        }
        if wanted("Role") {
            let profiles = try await service.instanceProfiles(account: account)
            for role in try await service.listRoles(pathPrefix: nil, account: account) {
                var children: [XMLNode] = [
                    .text("Path", role.path), .text("RoleName", role.roleName), .text("RoleId", role.roleID), .text("Arn", role.arn),
                    .text("CreateDate", Self.date(role.createDate)), .text("AssumeRolePolicyDocument", URIEncoding.encode(role.assumeRolePolicy)),
                    .element("InstanceProfileList", profiles.filter { $0.roleNames.contains(role.roleName) }.map { profile in
                        .element("member", [.text("Path", profile.path), .text("InstanceProfileName", profile.profileName),
                                            .text("InstanceProfileId", profile.profileID), .text("Arn", profile.arn),
                                            .text("CreateDate", Self.date(profile.createDate)), .element("Roles", [])])
                    }),
                    .element("RolePolicyList", role.inlinePolicies.map(inlineNode)),
                    .element("AttachedManagedPolicies", role.attachedPolicyARNs.map(attachedNode)),
                ]
                if let boundary = role.permissionsBoundaryARN { children.append(boundaryNode(boundary)) }
                children.append(.element("Tags", role.tags.map(tagNode)))
                var used: [XMLNode] = []
                if let date = role.lastUsedDate { used.append(.text("LastUsedDate", Self.date(date))) }
                if let region = role.lastUsedRegion { used.append(.text("Region", region)) }
                children.append(.element("RoleLastUsed", used))
                entries.append(("RoleDetailList", .element("member", children)))
            }
        }
        let scope = wanted("LocalManagedPolicy") && wanted("AWSManagedPolicy") ? "All" : wanted("LocalManagedPolicy") ? "Local" : "AWS"
        if wanted("LocalManagedPolicy") || wanted("AWSManagedPolicy") {
            // AWS managed policies are listed only where something in the account uses them.
            for (policy, attachments) in try await service.listPolicies(onlyAttached: false, pathPrefix: nil, scope: scope, account: account)
            where !policy.arn.hasPrefix("arn:aws:iam::aws:") || attachments > 0 {
                entries.append(("Policies", .element("member", [
                    .text("PolicyName", policy.policyName), .text("PolicyId", policy.policyID), .text("Arn", policy.arn), .text("Path", policy.path),
                    .text("DefaultVersionId", policy.defaultVersionID), .text("AttachmentCount", String(attachments)),
                    .text("PermissionsBoundaryUsageCount", "0"), .text("IsAttachable", "true"),
                    .text("CreateDate", Self.date(policy.createDate)), .text("UpdateDate", Self.date(policy.updateDate)),
                    .element("PolicyVersionList", policy.versions.map { version in
                        .element("member", [.text("Document", URIEncoding.encode(version.document)), .text("VersionId", version.versionID),
                                            .text("IsDefaultVersion", version.versionID == policy.defaultVersionID ? "true" : "false"),
                                            .text("CreateDate", Self.date(version.createDate))])
                    }),
                ])))
            }
        }
        let size = try r.integer("MaxItems", min: 1, max: 1000) ?? 100
        let page = try Pagination.page(entries.indices.map { $0 }, size: size, token: try r.string("Marker", min: 1, max: 320), invalid: .invalidInput)
        var lists: [String: [XMLNode]] = [:]
        for index in page.items { lists[entries[index].list, default: []].append(entries[index].node) }
        var out = ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"].map { XMLNode.element($0, lists[$0] ?? []) }
        out.append(.text("IsTruncated", page.nextToken == nil ? "false" : "true"))
        if let next = page.nextToken { out.append(.text("Marker", next)) }
        return out
    }

    private func inlineNode(_ policy: InlinePolicy) -> XMLNode {
        .element("member", [.text("PolicyName", policy.name), .text("PolicyDocument", URIEncoding.encode(policy.document))])
    }

    private func attachedNode(_ arn: String) -> XMLNode {
        .element("member", [.text("PolicyName", String(arn.split(separator: "/").last ?? "")), .text("PolicyArn", arn)])
    }

    private func boundaryNode(_ arn: String) -> XMLNode {
        .element("PermissionsBoundary", [.text("PermissionsBoundaryType", "Policy"), .text("PermissionsBoundaryArn", arn)])
    }
}

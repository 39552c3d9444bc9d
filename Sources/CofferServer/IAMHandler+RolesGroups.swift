import CofferCore
import CofferServices
import CofferWire
import Foundation

/// IAM roles and groups, and the policy operations they share with users.
extension IAMHandler {
    /// Answers the role and group actions; nil for any other action.
    func handleRolesAndGroups(_ action: String, _ r: QueryRequest, account: String) async throws -> [XMLNode]? {
        switch action {
        case "CreateRole":
            let role = try await service.createRole(
                try r.requiredString("RoleName", min: 1, max: 64), trustPolicy: try r.requiredString("AssumeRolePolicyDocument", min: 1, max: 131_072),
                path: try r.string("Path"), description: try r.string("Description", max: 1000),
                maxSessionDuration: try r.integer("MaxSessionDuration"), tags: try tags(r), boundaryARN: try r.string("PermissionsBoundary"),
                account: account)
            return [roleNode(role, answering: .create)]
        case "GetRole":
            return [roleNode(try await service.holder(IAMRole.self, try r.requiredString("RoleName"), account: account), answering: .get)]
        case "ListRoles":
            let roles = try await service.listRoles(pathPrefix: try r.string("PathPrefix"), account: account)
            return try paged(r, "Roles", roles.map { roleNode($0, tag: "member", answering: .list) })
        case "UpdateRole":
            try await service.updateRole(try r.requiredString("RoleName"), description: try r.string("Description", max: 1000),
                                         maxSessionDuration: try r.integer("MaxSessionDuration"), account: account)
            return []
        case "UpdateRoleDescription":
            let role = try await service.updateRole(try r.requiredString("RoleName"), description: try r.requiredString("Description", max: 1000),
                                                    maxSessionDuration: nil, account: account)
            return [roleNode(role, answering: .create)]
        case "UpdateAssumeRolePolicy":
            try await service.updateAssumeRolePolicy(try r.requiredString("RoleName"), document: try r.requiredString("PolicyDocument"), account: account)
            return []
        case "DeleteRole":
            try await service.deleteRole(try r.requiredString("RoleName"), account: account)
            return []
        case "TagRole":
            try await service.tagRole(try r.requiredString("RoleName"), tags: try tags(r), remove: [], account: account)
            return []
        case "UntagRole":
            try await service.tagRole(try r.requiredString("RoleName"), tags: [], remove: r.list("TagKeys"), account: account)
            return []
        case "ListRoleTags":
            let role = try await service.holder(IAMRole.self, try r.requiredString("RoleName"), account: account)
            return try paged(r, "Tags", role.tags.map(tagNode))
        case "PutRolePermissionsBoundary":
            try await service.setRoleBoundary(try r.requiredString("RoleName"), policyARN: try r.requiredString("PermissionsBoundary"), account: account)
            return []
        case "DeleteRolePermissionsBoundary":
            try await service.setRoleBoundary(try r.requiredString("RoleName"), policyARN: nil, account: account)
            return []
        case "AttachRolePolicy", "AttachGroupPolicy", "DetachRolePolicy", "DetachGroupPolicy":
            let arn = try r.requiredString("PolicyArn")
            switch action {
            case "AttachRolePolicy": try await service.attachPolicy(IAMRole.self, try r.requiredString("RoleName"), policyARN: arn, account: account)
            case "AttachGroupPolicy": try await service.attachPolicy(IAMGroup.self, try r.requiredString("GroupName"), policyARN: arn, account: account)
            case "DetachRolePolicy": try await service.detachPolicy(IAMRole.self, try r.requiredString("RoleName"), policyARN: arn, account: account)
            default: try await service.detachPolicy(IAMGroup.self, try r.requiredString("GroupName"), policyARN: arn, account: account)
            }
            return []
        case "ListAttachedRolePolicies":
            return try await attached(try service.holder(IAMRole.self, try r.requiredString("RoleName"), account: account), r, account: account)
        case "ListAttachedGroupPolicies":
            return try await attached(try service.holder(IAMGroup.self, try r.requiredString("GroupName"), account: account), r, account: account)
        case "PutRolePolicy":
            try await service.putInlinePolicy(IAMRole.self, try r.requiredString("RoleName"), policyName: try r.requiredString("PolicyName"),
                                              document: try r.requiredString("PolicyDocument"), account: account)
            return []
        case "PutGroupPolicy":
            try await service.putInlinePolicy(IAMGroup.self, try r.requiredString("GroupName"), policyName: try r.requiredString("PolicyName"),
                                              document: try r.requiredString("PolicyDocument"), account: account)
            return []
        case "GetRolePolicy":
            let (role, policy) = try await service.inlinePolicy(IAMRole.self, try r.requiredString("RoleName"), policyName: try r.requiredString("PolicyName"), account: account)
            return [.text("RoleName", role.roleName), .text("PolicyName", policy.name), .text("PolicyDocument", URIEncoding.encode(policy.document))]
        case "GetGroupPolicy":
            let (group, policy) = try await service.inlinePolicy(IAMGroup.self, try r.requiredString("GroupName"), policyName: try r.requiredString("PolicyName"), account: account)
            return [.text("GroupName", group.groupName), .text("PolicyName", policy.name), .text("PolicyDocument", URIEncoding.encode(policy.document))]
        case "DeleteRolePolicy":
            try await service.deleteInlinePolicy(IAMRole.self, try r.requiredString("RoleName"), policyName: try r.requiredString("PolicyName"), account: account)
            return []
        case "DeleteGroupPolicy":
            try await service.deleteInlinePolicy(IAMGroup.self, try r.requiredString("GroupName"), policyName: try r.requiredString("PolicyName"), account: account)
            return []
        case "ListRolePolicies":
            let role = try await service.holder(IAMRole.self, try r.requiredString("RoleName"), account: account)
            return try paged(r, "PolicyNames", role.inlinePolicies.map { .text("member", $0.name) })
        case "ListGroupPolicies":
            let group = try await service.holder(IAMGroup.self, try r.requiredString("GroupName"), account: account)
            return try paged(r, "PolicyNames", group.inlinePolicies.map { .text("member", $0.name) })
        case "CreateGroup":
            return [groupNode(try await service.createGroup(try r.requiredString("GroupName", min: 1, max: 128), path: try r.string("Path"), account: account))]
        case "GetGroup":
            let group = try await service.holder(IAMGroup.self, try r.requiredString("GroupName"), account: account)
            let users = try await service.members(of: group, account: account)
            return try [groupNode(group)] + paged(r, "Users", users.map { userNode($0, tag: "member") })
        case "ListGroups":
            let groups = try await service.listGroups(pathPrefix: try r.string("PathPrefix"), account: account)
            return try paged(r, "Groups", groups.map { groupNode($0, tag: "member") })
        case "ListGroupsForUser":
            let user = try await service.user(try r.requiredString("UserName"), account: account)
            var groups: [XMLNode] = []
            for name in user.groupNames {
                if let group = try? await service.holder(IAMGroup.self, name, account: account) { groups.append(groupNode(group, tag: "member")) }
            }
            return try paged(r, "Groups", groups)
        case "AddUserToGroup":
            try await service.addUserToGroup(try r.requiredString("GroupName"), userName: try r.requiredString("UserName"), account: account)
            return []
        case "RemoveUserFromGroup":
            try await service.removeUserFromGroup(try r.requiredString("GroupName"), userName: try r.requiredString("UserName"), account: account)
            return []
        case "DeleteGroup":
            try await service.deleteGroup(try r.requiredString("GroupName"), account: account)
            return []
        case "UpdateGroup":
            try await service.updateGroup(try r.requiredString("GroupName", min: 1, max: 128), newName: try r.string("NewGroupName"),
                                          newPath: try r.string("NewPath"), account: account)
            return []
        case "GetAccountSummary":
            // The root user signs with the access key of Coffer's root credentials file, so it always has one;
            let users = try await service.listUsers(pathPrefix: nil, account: account)
            let serverCertificates = try await service.serverCertificates(pathPrefix: nil, account: account).count
            let mfaDevices = try await service.mfaDevices(account: account)
            let policies = try await service.listPolicies(onlyAttached: false, pathPrefix: nil, account: account)
            // AWS counts the versions of the account's own managed policies.
            let versions = policies.reduce(0) { $0 + $1.0.versions.count }
            let entries: [(String, Int)] = [
                ("Users", users.count), ("UsersQuota", 5000), ("Groups", try await service.listGroups(pathPrefix: nil, account: account).count),
                ("GroupsQuota", 300), ("Roles", try await service.listRoles(pathPrefix: nil, account: account).count), ("RolesQuota", 1000),
                ("Policies", policies.count), ("PoliciesQuota", 1500),
                ("AccessKeysPerUserQuota", 2), ("AccountAccessKeysPresent", 1), ("AccountMFAEnabled", 0), ("AccountPasswordPresent", 0), ("AccountSigningCertificatesPresent", 0),
                ("MFADevices", mfaDevices.count), ("MFADevicesInUse", mfaDevices.filter { $0.userName != nil }.count),
                ("ServerCertificates", serverCertificates), ("ServerCertificatesQuota", 20),
                ("InstanceProfiles", try await service.instanceProfiles(account: account).count),
                ("InstanceProfilesQuota", 1000), ("AttachedPoliciesPerUserQuota", 10), ("AttachedPoliciesPerRoleQuota", 10),
                ("AttachedPoliciesPerGroupQuota", 10), ("GroupsPerUserQuota", 10), ("SigningCertificatesPerUserQuota", 2),
                ("PolicySizeQuota", 6144), ("PolicyVersionsInUse", versions), ("PolicyVersionsInUseQuota", 10000), ("VersionsPerPolicyQuota", 5),
                ("UserPolicySizeQuota", 2048), ("RolePolicySizeQuota", 10240), ("GroupPolicySizeQuota", 5120),
                ("AssumeRolePolicySizeQuota", 2048), ("GlobalEndpointTokenVersion", 1),
                // Identity providers of both kinds.
                ("Providers", try await service.oidcProviders(account: account).count + service.samlProviders(account: account).count),
            ]
            return [.element("SummaryMap", entries.map { .element("entry", [.text("key", $0.0), .text("value", String($0.1))]) })]
        case "GetAccountPasswordPolicy":
            let policy = try await service.passwordPolicy(account: account)
            var children: [XMLNode] = [
                .text("MinimumPasswordLength", String(policy.minimumPasswordLength)), .text("RequireSymbols", String(policy.requireSymbols)),
                .text("RequireNumbers", String(policy.requireNumbers)), .text("RequireUppercaseCharacters", String(policy.requireUppercaseCharacters)),
                .text("RequireLowercaseCharacters", String(policy.requireLowercaseCharacters)),
                .text("AllowUsersToChangePassword", String(policy.allowUsersToChangePassword)), .text("ExpirePasswords", String(policy.expirePasswords)),
            ]
            if let age = policy.maxPasswordAge { children.append(.text("MaxPasswordAge", String(age))) }
            if let reuse = policy.passwordReusePrevention { children.append(.text("PasswordReusePrevention", String(reuse))) }
            if let hard = policy.hardExpiry { children.append(.text("HardExpiry", String(hard))) }
            return [.element("PasswordPolicy", children)]
        case "UpdateAccountPasswordPolicy":
            var policy = IAMService.PasswordPolicy()
            policy.minimumPasswordLength = try r.integer("MinimumPasswordLength") ?? 6
            policy.requireSymbols = r.bool("RequireSymbols") ?? false
            policy.requireNumbers = r.bool("RequireNumbers") ?? false
            policy.requireUppercaseCharacters = r.bool("RequireUppercaseCharacters") ?? false
            policy.requireLowercaseCharacters = r.bool("RequireLowercaseCharacters") ?? false
            policy.allowUsersToChangePassword = r.bool("AllowUsersToChangePassword") ?? false
            policy.maxPasswordAge = try r.integer("MaxPasswordAge")
            policy.passwordReusePrevention = try r.integer("PasswordReusePrevention")
            policy.hardExpiry = r.bool("HardExpiry")
            try await service.updatePasswordPolicy(policy, account: account)
            return []
        case "DeleteAccountPasswordPolicy":
            try await service.deletePasswordPolicy(account: account)
            return []
        case "SimulateCustomPolicy", "SimulatePrincipalPolicy":
            return try await simulate(action, r, account: account)
        default:
            return nil
        }
    }

    private func simulate(_ action: String, _ r: QueryRequest, account: String) async throws -> [XMLNode] {
        let actions = r.list("ActionNames")
        guard !actions.isEmpty else { throw CofferError.validation("1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null") }
        let resources = r.list("ResourceArns")
        var context: [String: [String]] = [:]
        for entry in r.structures("ContextEntries") {
            guard let name = entry["ContextKeyName"] else { continue }
            let values = entry.filter { $0.key.hasPrefix("ContextKeyValues.member.") }
                .sorted { Int($0.key.split(separator: ".").last ?? "0") ?? 0 < Int($1.key.split(separator: ".").last ?? "0") ?? 0 }.map(\.value)
            context[name] = values
        }
        let inputs = r.list("PolicyInputList")
        let results: [PolicySimulator.Result]
        if action == "SimulatePrincipalPolicy" {
            results = try await service.simulatePrincipal(try r.requiredString("PolicySourceArn"), extra: inputs, actions: actions,
                                                          resources: resources, context: context, account: account)
        } else {
            guard !inputs.isEmpty else { throw CofferError.validation("1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null") }
            var policies = PolicySet()
            for (index, text) in inputs.enumerated() {
                policies.identity.append(NamedPolicy(name: "PolicyInputList.\(index + 1)", document: try PolicyDocument.parse(text, kind: .identity)))
            }
            for (index, text) in r.list("PermissionsBoundaryPolicyInputList").enumerated() {
                policies.boundary = NamedPolicy(name: "PermissionsBoundaryPolicyInputList.\(index + 1)", document: try PolicyDocument.parse(text, kind: .identity))
            }
            if let resourcePolicy = try r.string("ResourcePolicy") {
                policies.resource = NamedPolicy(name: "ResourcePolicy", document: try PolicyDocument.parse(resourcePolicy, kind: .resource))
            }
            let caller = try r.string("CallerArn") ?? "arn:\(IAMService.partition):iam::\(account):user/SimulatedUser"
            let principal = PrincipalIdentity(kind: caller.hasSuffix(":root") ? .root : .user, arn: caller, account: ARN(caller)?.account ?? account)
            results = PolicySimulator.simulate(policies: policies, principal: principal, actions: actions, resources: resources, context: context)
        }
        return try paged(r, "EvaluationResults", results.map { result in
            .element("member", [
                .text("EvalActionName", result.action), .text("EvalResourceName", result.resource), .text("EvalDecision", result.decision),
                .element("MatchedStatements", result.matched.map { statement in
                    .element("member", [.text("SourcePolicyId", statement.policy),
                                        .text("SourcePolicyType", statement.kind == .resource ? "resource" : "IAM Policy")])
                }),
                .element("MissingContextValues", []),
            ])
        })
    }

    func attached(_ holder: some PolicyHolder, _ r: QueryRequest, account: String) async throws -> [XMLNode] {
        var members: [XMLNode] = []
        for arn in holder.attachedPolicyARNs {
            let name = (try? await service.policy(arn, account: account))?.policyName ?? String(arn.split(separator: "/").last ?? "")
            members.append(.element("member", [.text("PolicyName", name), .text("PolicyArn", arn)]))
        }
        return try paged(r, "AttachedPolicies", members)
    }

    enum RoleAnswer { case create, get, list, inInstanceProfile }

    /// A role as each call answers it on AWS: CreateRole (and UpdateRoleDescription) without MaxSessionDuration and RoleLastUsed,
    /// GetRole with both (RoleLastUsed empty until a session is used), ListRoles without tags,
    /// boundary or last use, a role inside an instance profile with neither MaxSessionDuration nor tags.
    func roleNode(_ role: IAMRole, tag: String = "Role", answering call: RoleAnswer) -> XMLNode {
        var children: [XMLNode] = [
            .text("Path", role.path), .text("RoleName", role.roleName), .text("RoleId", role.roleID), .text("Arn", role.arn),
            .text("CreateDate", Self.date(role.createDate)), .text("AssumeRolePolicyDocument", URIEncoding.encode(role.assumeRolePolicy)),
        ]
        if let description = role.description { children.append(.text("Description", description)) }
        if call == .get || call == .list { children.append(.text("MaxSessionDuration", String(role.maxSessionDuration))) }
        if call == .get || call == .create {
            if let boundary = role.permissionsBoundaryARN {
                children.append(.element("PermissionsBoundary", [.text("PermissionsBoundaryType", "Policy"), .text("PermissionsBoundaryArn", boundary)]))
            }
            if !role.tags.isEmpty { children.append(.element("Tags", role.tags.map(tagNode))) }
        }
        if call == .get {
            var used: [XMLNode] = []
            if let date = role.lastUsedDate { used.append(.text("LastUsedDate", Self.date(date))) }
            if let region = role.lastUsedRegion { used.append(.text("Region", region)) }
            children.append(.element("RoleLastUsed", used))
        }
        return .element(tag, children)
    }

    func groupNode(_ group: IAMGroup, tag: String = "Group") -> XMLNode {
        .element(tag, [.text("Path", group.path), .text("GroupName", group.groupName), .text("GroupId", group.groupID),
                       .text("Arn", group.arn), .text("CreateDate", Self.date(group.createDate))])
    }
}

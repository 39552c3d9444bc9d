import CofferCore
import CofferServices
import CofferStorage
import CofferWire
import Foundation

/// IAM over the query protocol: users, access keys, managed and inline policies.
struct IAMHandler: QueryServiceHandler {
    let service: IAMService
    let access: AccessControl

    func handle(_ action: String, _ r: QueryRequest, context: CallerContext) async throws -> [XMLNode] {
        try await IAMService.$partition.withValue(Partition.of(region: context.scope.region)) { try await handleInPartition(action, r, context: context) }
    }

    private func handleInPartition(_ action: String, _ r: QueryRequest, context: CallerContext) async throws -> [XMLNode] {
        let account = context.scope.account
        try await authorize(action, r, context)
        switch action {
        case "CreateUser":
            let user = try await service.createUser(try r.requiredString("UserName", min: 1, max: 64), path: try r.string("Path", min: 1, max: 512),
                                                    tags: try tags(r), boundaryARN: try r.string("PermissionsBoundary"), account: account)
            return [userNode(user)]
        case "GetUser":
            if let name = try r.string("UserName", min: 1, max: 128) { return [userNode(try await service.user(name, account: account))] }
            return [try await callerNode(context)]
        case "ListUsers":
            let users = try await service.listUsers(pathPrefix: try r.string("PathPrefix"), account: account)
            return try paged(r, "Users", users.map { userNode($0, tag: "member") })
        case "UpdateUser":
            try await service.updateUser(try r.requiredString("UserName", min: 1, max: 128), newName: try r.string("NewUserName"),
                                         newPath: try r.string("NewPath"), account: account)
            return []
        case "DeleteUser":
            try await service.deleteUser(try r.requiredString("UserName", min: 1, max: 128), account: account)
            return []
        case "TagUser":
            try await service.tagUser(try r.requiredString("UserName"), tags: try tags(r), account: account)
            return []
        case "UntagUser":
            try await service.untagUser(try r.requiredString("UserName"), keys: r.list("TagKeys"), account: account)
            return []
        case "ListUserTags":
            let user = try await service.user(try r.requiredString("UserName"), account: account)
            return try paged(r, "Tags", user.tags.map(tagNode))
        case "CreateAccessKey":
            let created = try await service.createAccessKey(userName: try await userName(r, context), account: account)
            return [.element("AccessKey", [
                .text("UserName", created.userName), .text("AccessKeyId", created.key.accessKeyID), .text("Status", created.key.status),
                .text("SecretAccessKey", created.secret.value), .text("CreateDate", Self.date(created.key.createdDate)),
            ])]
        case "ListAccessKeys":
            let result = try await service.accessKeys(userName: try await userName(r, context), account: account)
            return try [.text("UserName", result.user.userName)] + paged(r, "AccessKeyMetadata", result.keys.map { key in
                .element("member", [.text("UserName", result.user.userName), .text("AccessKeyId", key.accessKeyID),
                                    .text("Status", key.status), .text("CreateDate", Self.date(key.createdDate))])
            })
        case "UpdateAccessKey":
            let status = try r.requiredString("Status")
            guard status == "Active" || status == "Inactive" else {
                throw CofferError.constraint(status, member: "status", "Member must satisfy enum value set: [Active, Inactive]")
            }
            try await service.updateAccessKey(try r.requiredString("AccessKeyId", min: 16, max: 128), status: status,
                                              userName: try await userName(r, context), account: account)
            return []
        case "DeleteAccessKey":
            try await service.deleteAccessKey(try r.requiredString("AccessKeyId", min: 16, max: 128), userName: try await userName(r, context),
                                              account: account)
            return []
        case "GetAccessKeyLastUsed":
            let result = try await service.accessKeyLastUsed(try r.requiredString("AccessKeyId", min: 16, max: 128), account: account,
                                                             callerARN: context.principalARN)
            var used: [XMLNode] = []
            if let date = result.key.lastUsedDate { used.append(.text("LastUsedDate", Self.date(date))) }
            used.append(.text("ServiceName", result.key.lastUsedService ?? "N/A"))
            used.append(.text("Region", result.key.lastUsedRegion ?? "N/A"))
            return [XMLNode.text("UserName", result.userName), .element("AccessKeyLastUsed", used)].compactMap { $0 }
        case "CreatePolicy":
            let policy = try await service.createPolicy(
                try r.requiredString("PolicyName", min: 1, max: 128), document: try r.requiredString("PolicyDocument", min: 1, max: 131_072),
                path: try r.string("Path"), description: try r.string("Description", max: 1000), tags: try tags(r), account: account)
            return [policyNode(policy, attachments: 0)]
        case "GetPolicy":
            let arn = try r.requiredString("PolicyArn", min: 20, max: 2048)
            let policy = try await service.policy(arn, account: account)
            return [policyNode(policy, attachments: try await service.attachmentCount(arn, account: account), tagsEvenIfNone: true)]
        case "ListEntitiesForPolicy":
            return try await entitiesForPolicy(r, account: account)
        case "ListPolicies":
            let scope = try r.string("Scope") ?? "All"
            guard ["All", "AWS", "Local"].contains(scope) else {
                throw CofferError.constraint(scope, member: "scope", "Member must satisfy enum value set: [All, AWS, Local]")
            }
            let policies = try await service.listPolicies(onlyAttached: r.bool("OnlyAttached") ?? false, pathPrefix: try r.string("PathPrefix"),
                                                          scope: scope, account: account)
            return try paged(r, "Policies", policies.map { policyNode($0.0, attachments: $0.1, tag: "member") })
        case "DeletePolicy":
            try await service.deletePolicy(try r.requiredString("PolicyArn"), account: account)
            return []
        case "CreatePolicyVersion":
            let arn = try r.requiredString("PolicyArn")
            let version = try await service.createPolicyVersion(arn, document: try r.requiredString("PolicyDocument", min: 1, max: 131_072),
                                                                 setAsDefault: r.bool("SetAsDefault") ?? false, account: account)
            let policy = try await service.policy(arn, account: account)
            return [versionNode(version, policy: policy, document: false)]
        case "GetPolicyVersion":
            let (policy, version) = try await service.policyVersion(try r.requiredString("PolicyArn"), versionID: try r.requiredString("VersionId"),
                                                                    account: account)
            return [versionNode(version, policy: policy, document: true)]
        case "ListPolicyVersions":
            let policy = try await service.policy(try r.requiredString("PolicyArn"), account: account)
            return try paged(r, "Versions", policy.versions.reversed().map { versionNode($0, policy: policy, document: false, tag: "member") })
        case "SetDefaultPolicyVersion":
            try await service.setDefaultPolicyVersion(try r.requiredString("PolicyArn"), versionID: try r.requiredString("VersionId"), account: account)
            return []
        case "DeletePolicyVersion":
            try await service.deletePolicyVersion(try r.requiredString("PolicyArn"), versionID: try r.requiredString("VersionId"), account: account)
            return []
        case "AttachUserPolicy":
            try await service.attachPolicy(IAMUser.self, try r.requiredString("UserName"), policyARN: try r.requiredString("PolicyArn"), account: account)
            return []
        case "DetachUserPolicy":
            try await service.detachPolicy(IAMUser.self, try r.requiredString("UserName"), policyARN: try r.requiredString("PolicyArn"), account: account)
            return []
        case "ListAttachedUserPolicies":
            return try await attached(try service.holder(IAMUser.self, try r.requiredString("UserName"), account: account), r, account: account)
        case "PutUserPolicy":
            try await service.putInlinePolicy(IAMUser.self, try r.requiredString("UserName"), policyName: try r.requiredString("PolicyName"),
                                              document: try r.requiredString("PolicyDocument", min: 1, max: 131_072), account: account)
            return []
        case "GetUserPolicy":
            let (user, policy) = try await service.inlinePolicy(IAMUser.self, try r.requiredString("UserName"),
                                                                policyName: try r.requiredString("PolicyName"), account: account)
            return [.text("UserName", user.userName), .text("PolicyName", policy.name),
                    .text("PolicyDocument", URIEncoding.encode(policy.document))]
        case "DeleteUserPolicy":
            try await service.deleteInlinePolicy(IAMUser.self, try r.requiredString("UserName"), policyName: try r.requiredString("PolicyName"),
                                                 account: account)
            return []
        case "ListUserPolicies":
            let user = try await service.user(try r.requiredString("UserName"), account: account)
            return try paged(r, "PolicyNames", user.inlinePolicies.map { .text("member", $0.name) })
        case "PutUserPermissionsBoundary":
            try await service.setUserBoundary(try r.requiredString("UserName"), policyARN: try r.requiredString("PermissionsBoundary"), account: account)
            return []
        case "DeleteUserPermissionsBoundary":
            try await service.setUserBoundary(try r.requiredString("UserName"), policyARN: nil, account: account)
            return []
        default:
            if let result = try await handleRolesAndGroups(action, r, account: account) { return result }
            if let result = try await handleFederation(action, r, account: account) { return result }
            if let result = try await handleCredentials(action, r, context: context) { return result }
            if let result = try await handleProfiles(action, r, account: account) { return result }
            if let result = try await handleCertificates(action, r, context: context) { return result }
            if action == "GetAccountAuthorizationDetails" { return try await accountAuthorizationDetails(r, account: account) }
            throw CofferError.unserved("iam", action, unknownMessage: "Could not find operation \(action) for version 2010-05-08")
        }
    }

    // MARK: Authorization

    /// IAM actions are authorized against the user or policy they name (the caller itself when none).
    private func authorize(_ action: String, _ r: QueryRequest, _ context: CallerContext) async throws {
        let account = context.scope.account
        var resource = "*"
        if let name = try r.string("RoleName") {
            resource = (try? await service.holder(IAMRole.self, name, account: account))?.arn ?? "arn:\(IAMService.partition):iam::\(account):role/\(name)"
        } else if let name = try r.string("GroupName") {
            resource = (try? await service.holder(IAMGroup.self, name, account: account))?.arn ?? "arn:\(IAMService.partition):iam::\(account):group/\(name)"
        } else if let name = try r.string("UserName") {
            let path = try r.string("Path") ?? "/"
            resource = (try? await service.user(name, account: account))?.arn ?? "arn:\(IAMService.partition):iam::\(account):user\(path)\(name)"
        } else if let arn = try r.string("PolicyArn") ?? r.string("OpenIDConnectProviderArn") ?? r.string("SAMLProviderArn") ?? r.string("SerialNumber") {
            resource = arn
        } else if let name = try r.string("ServerCertificateName") {
            let path = try r.string("Path") ?? "/"
            resource = (try? await service.serverCertificate(name, account: account))?.arn
                ?? "arn:\(IAMService.partition):iam::\(account):server-certificate\(path)\(name)"
        } else if action == "CreateOpenIDConnectProvider", let url = try r.string("Url") {
            resource = "arn:\(IAMService.partition):iam::\(account):oidc-provider/\(url.replacingOccurrences(of: "https://", with: ""))"
        } else if action == "CreateSAMLProvider", let name = try r.string("Name") {
            resource = "arn:\(IAMService.partition):iam::\(account):saml-provider/\(name)"
        } else if action == "CreatePolicy", let name = try r.string("PolicyName") {
            let path = try r.string("Path") ?? "/"
            resource = "arn:\(IAMService.partition):iam::\(account):policy\(path)\(name)"
        } else if ["GetUser", "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey", "UploadSigningCertificate",
                    "ListSigningCertificates", "UpdateSigningCertificate", "DeleteSigningCertificate"].contains(action) {
            resource = context.principalARN
        }
        if context.isRoot {
            AccessControl.noteAudited(resource)
            return
        }
        var keys: [String: [String]] = [:]
        let tags = try self.tags(r)
        if !tags.isEmpty { keys = AccessControl.requestTagKeys(tags) }
        if let boundary = try r.string("PermissionsBoundary") { keys["iam:PermissionsBoundary"] = [boundary] }
        if let policy = try r.string("PolicyArn") { keys["iam:PolicyARN"] = [policy] }
        try await access.authorize(context, action: "iam:\(action)", resource: resource, keys: keys)
    }

    // MARK: Helpers

    /// The user a request names, or the calling user when it names none. A role session or federated
    /// caller has no user to imply: AWS's ValidationError.
    func userName(_ r: QueryRequest, _ context: CallerContext) async throws -> String {
        if let name = try r.string("UserName", min: 1, max: 128) { return name }
        if let user = try await service.user(arn: context.principalARN) { return user.userName }
        guard context.principalARN.hasSuffix(":root") else {
            throw CofferError(.validation, "Must specify userName when calling with non-User credentials")
        }
        throw CofferError(.invalidInput, "Coffer does not manage access keys of the account root through IAM; use COFFER_ROOT_ACCESS_KEY_ID or root-credentials.")
    }

    /// ListEntitiesForPolicy: one page over the policy's groups, users and roles, in that order,
    /// answered in AWS's three lists (the model checks the filters' values).
    private func entitiesForPolicy(_ r: QueryRequest, account: String) async throws -> [XMLNode] {
        let arn = try r.requiredString("PolicyArn", min: 20, max: 2048)
        let filter = try r.string("EntityFilter"), usage = try r.string("PolicyUsageFilter")
        _ = try await service.policy(arn, account: account)
        let found = try await service.entities(using: arn, asPermissions: usage != "PermissionsBoundary", asBoundary: usage != "PermissionsPolicy",
                                               pathPrefix: try r.string("PathPrefix", min: 1, max: 512), account: account)
        var entries: [(list: String, node: XMLNode)] = []
        if filter == nil || filter == "Group" {
            entries += found.groups.map { ("PolicyGroups", .element("member", [.text("GroupName", $0.groupName), .text("GroupId", $0.groupID)])) }
        }
        if filter == nil || filter == "User" {
            entries += found.users.map { ("PolicyUsers", .element("member", [.text("UserName", $0.userName), .text("UserId", $0.userID)])) }
        }
        if filter == nil || filter == "Role" {
            entries += found.roles.map { ("PolicyRoles", .element("member", [.text("RoleName", $0.roleName), .text("RoleId", $0.roleID)])) }
        }
        let page = try self.page(r, entries)
        let lists: [XMLNode] = ["PolicyGroups", "PolicyUsers", "PolicyRoles"].map { list in
            .element(list, page.items.filter { $0.list == list }.map(\.node))
        }
        return lists + page.truncation
    }

    /// IAM's paging: MaxItems (1-1000, default 100) and an opaque Marker; answers the list element,
    /// IsTruncated and, when there is more, the Marker for the next page.
    func paged(_ r: QueryRequest, _ element: String, _ members: [XMLNode]) throws -> [XMLNode] {
        let page = try self.page(r, members)
        return [.element(element, page.items)] + page.truncation
    }

    /// One page of `items` by the request's MaxItems and Marker, and the IsTruncated/Marker elements.
    func page<T>(_ r: QueryRequest, _ items: [T]) throws -> (items: [T], truncation: [XMLNode]) {
        let size = try r.integer("MaxItems", min: 1, max: 1000) ?? 100
        let page = try Pagination.page(items, size: size, token: try r.string("Marker", min: 1, max: 320), invalid: .invalidInput)
        var truncation: [XMLNode] = [.text("IsTruncated", page.nextToken == nil ? "false" : "true")]
        if let next = page.nextToken { truncation.append(.text("Marker", next)) }
        return (page.items, truncation)
    }

    /// IAM's tag list, checked against the model's limits before any entity is read.
    func tags(_ r: QueryRequest) throws -> [Tag] {
        let tags = r.structures("Tags").compactMap { fields in fields["Key"].map { Tag(key: $0, value: fields["Value"] ?? "") } }
        try IAMRules.validateTags(tags)
        return tags
    }

    static func date(_ date: Date) -> String { SigV4Timestamp.iso8601(date) }

    func tagNode(_ tag: Tag) -> XMLNode { .element("member", [.text("Key", tag.key), .text("Value", tag.value)]) }

    func userNode(_ user: IAMUser, tag: String = "User") -> XMLNode {
        var children: [XMLNode] = [.text("Path", user.path), .text("UserName", user.userName), .text("UserId", user.userID),
                                   .text("Arn", user.arn), .text("CreateDate", Self.date(user.createDate))]
        if let boundary = user.permissionsBoundaryARN {
            children.append(.element("PermissionsBoundary", [.text("PermissionsBoundaryType", "Policy"),
                                                             .text("PermissionsBoundaryArn", boundary)]))
        }
        if !user.tags.isEmpty { children.append(.element("Tags", user.tags.map(tagNode))) }
        return .element(tag, children)
    }

    private func callerNode(_ context: CallerContext) async throws -> XMLNode {
        if let user = try await service.user(arn: context.principalARN) { return userNode(user) }
        return .element("User", [.text("UserId", context.scope.account), .text("Arn", context.principalARN),
                                 .text("CreateDate", Self.date(Date(timeIntervalSince1970: 0)))])
    }

    /// GetPolicy answers `Tags` even when empty (AWS-recorded); CreatePolicy and ListPolicies only when there are some.
    private func policyNode(_ policy: ManagedPolicy, attachments: Int, tag: String = "Policy", tagsEvenIfNone: Bool = false) -> XMLNode {
        var children: [XMLNode] = [
            .text("PolicyName", policy.policyName), .text("PolicyId", policy.policyID), .text("Arn", policy.arn), .text("Path", policy.path),
            .text("DefaultVersionId", policy.defaultVersionID), .text("AttachmentCount", String(attachments)),
            .text("PermissionsBoundaryUsageCount", "0"), .text("IsAttachable", "true"),
        ]
        if let description = policy.description { children.append(.text("Description", description)) }
        children += [.text("CreateDate", Self.date(policy.createDate)), .text("UpdateDate", Self.date(policy.updateDate))]
        if !policy.tags.isEmpty || tagsEvenIfNone { children.append(.element("Tags", policy.tags.map(tagNode))) }
        return .element(tag, children)
    }

    private func versionNode(_ version: ManagedPolicyVersion, policy: ManagedPolicy, document: Bool, tag: String = "PolicyVersion") -> XMLNode {
        var children: [XMLNode] = []
        if document { children.append(.text("Document", URIEncoding.encode(version.document))) }
        children += [.text("VersionId", version.versionID), .text("IsDefaultVersion", policy.defaultVersionID == version.versionID ? "true" : "false"),
                     .text("CreateDate", Self.date(version.createDate))]
        return .element(tag, children)
    }
}

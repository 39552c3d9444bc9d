public import CofferCore
public import CofferStorage
import Foundation

/// IAM's behaviour for users, access keys, managed and inline policies, free of HTTP. IAM is
/// global: its records live in the account's "global" scope.
public struct IAMService: Sendable {
    let store: any CofferStore
    let root: RootKey
    let clock: any WallClock
    let random: any RandomSource
    /// Called when an access key changes, so caches of opened credentials can drop it.
    let credentialsChanged: @Sendable (String) -> Void

    /// Bumped on every IAM write; caches of evaluated policies compare against it.
    var generation: Int { observed.generation.load(ordering: .acquiring) }
    private let observed: ObservedStore

    public init(store: any CofferStore, root: RootKey, clock: any WallClock, random: any RandomSource,
                credentialsChanged: @escaping @Sendable (String) -> Void) {
        let observed = ObservedStore(base: store)
        self.observed = observed
        self.store = observed
        self.root = root
        self.clock = clock
        self.random = random
        self.credentialsChanged = credentialsChanged
    }

    static func scope(_ account: String) -> ResourceScope { ResourceScope(account: account, region: "global") }

    /// The partition of the IAM call being served (IAM is global; its ARNs take the partition of the
    /// region the call was signed for), set by the IAM handler around each call.
    @TaskLocal public static var partition = "aws"


    /// The context under which access-key secrets are sealed; the server opens them the same way.
    public static func sealContext(_ accessKeyID: String) -> String { "access-key\n\(accessKeyID)" }

    // MARK: Users

    public func user(_ name: String, account: String) async throws -> IAMUser {
        try await holder(IAMUser.self, name, account: account)
    }

    public func user(arn: String) async throws -> IAMUser? {
        try await store.record(IAMUser.self, arn: arn)
    }

    public func createUser(_ name: String, path: String?, tags: [Tag], boundaryARN: String?, account: String) async throws -> IAMUser {
        try IAMRules.validateName(name, member: "userName", maximum: 64)
        let path = path ?? "/"
        try IAMRules.validatePath(path)
        if let boundaryARN { _ = try await policy(boundaryARN, account: account, attaching: true) }
        var user = IAMUser(arn: "arn:\(Self.partition):iam::\(account):user\(path)\(name)", userName: name,
                           userID: IAMRules.uniqueID(prefix: "AIDA", random: random), path: path, createDate: clock.now())
        user.tags = tags
        user.permissionsBoundaryARN = boundaryARN
        do {
            try await store.write(RecordWrite(.create, scope: Self.scope(account), record: user))
        } catch StorageError.nameTaken {
            throw CofferError(.entityAlreadyExists, "User with name \(name) already exists.")
        }
        return user
    }

    public func listUsers(pathPrefix: String?, account: String) async throws -> [IAMUser] {
        try await store.records(IAMUser.self, in: Self.scope(account))
            .filter { $0.path.hasPrefix(pathPrefix ?? "/") }
            .sorted { $0.userName.lowercased() < $1.userName.lowercased() }
    }

    @discardableResult
    func changeUser(_ name: String, account: String, _ apply: @escaping @Sendable (inout IAMUser) throws -> Void) async throws -> IAMUser {
        try await changeHolder(IAMUser.self, name, account: account, apply)
    }

    public func deleteUser(_ name: String, account: String) async throws {
        let user = try await user(name, account: account)
        if !(try await store.accessKeys(principalARN: user.arn)).isEmpty {
            throw CofferError(.deleteConflict, "Cannot delete entity, must delete access keys first.")
        }
        if !user.attachedPolicyARNs.isEmpty {
            throw CofferError(.deleteConflict, "Cannot delete entity, must detach all policies first.")
        }
        if !user.inlinePolicies.isEmpty {
            throw CofferError(.deleteConflict, "Cannot delete entity, must delete policies first.")
        }
        if user.loginProfile != nil { throw CofferError(.deleteConflict, "Cannot delete entity, must delete login profile first.") }
        if !(user.mfaDevices ?? []).isEmpty { throw CofferError(.deleteConflict, "Cannot delete entity, must delete MFA device first.") }
        // AWS's DeleteUser answers a group member with DeleteGroup's message.
        if !user.groupNames.isEmpty { throw CofferError(.deleteConflict, "Cannot delete entity, must remove users from group first.") }
        try await store.removeRecord(arn: user.arn)
    }

    public func tagUser(_ name: String, tags: [Tag], account: String) async throws {
        try await changeUser(name, account: account) { user in
            user.tags.merge(tags)
            if user.tags.count > 50 { throw CofferError(.limitExceeded, "Cannot exceed quota for TagsPerUser: 50") }
        }
    }

    public func untagUser(_ name: String, keys: [String], account: String) async throws {
        try await changeUser(name, account: account) { user in user.tags.removeAll { keys.contains($0.key) } }
    }

    // MARK: Access keys

    public struct NewAccessKey: Sendable {
        public let key: StoredAccessKey
        public let userName: String
        public let secret: Redacted<String>
    }

    public func createAccessKey(userName: String, account: String) async throws -> NewAccessKey {
        let user = try await user(userName, account: account)
        if try await store.accessKeys(principalARN: user.arn).count >= IAMRules.maximumAccessKeys {
            throw CofferError(.limitExceeded, "Cannot exceed quota for AccessKeysPerUser: \(IAMRules.maximumAccessKeys)")
        }
        let id = AccessKeyID.make(prefix: "AKIA", account: account, random: random)
        let secret = AccessKeyID.secret(random: random)
        let sealed = try root.seal(Array(secret.utf8), purpose: "access-keys", context: Self.sealContext(id))
        let key = StoredAccessKey(accessKeyID: id, account: account, principalARN: user.arn, sealedSecret: sealed, createdDate: clock.now())
        try await store.putAccessKey(key)
        return NewAccessKey(key: key, userName: user.userName, secret: Redacted(secret))
    }

    public func accessKeys(userName: String, account: String) async throws -> (user: IAMUser, keys: [StoredAccessKey]) {
        let user = try await user(userName, account: account)
        return (user, try await store.accessKeys(principalARN: user.arn))
    }

    private func ownedKey(_ keyID: String, userName: String, account: String) async throws -> StoredAccessKey {
        let user = try await user(userName, account: account)
        guard let key = try await store.accessKey(id: keyID), key.principalARN == user.arn else {
            throw CofferError(.noSuchEntity, "The Access Key with id \(keyID) cannot be found.")
        }
        return key
    }

    public func updateAccessKey(_ keyID: String, status: String, userName: String, account: String) async throws {
        var key = try await ownedKey(keyID, userName: userName, account: account)
        key.status = status
        try await store.putAccessKey(key)
        credentialsChanged(keyID)
    }

    public func deleteAccessKey(_ keyID: String, userName: String, account: String) async throws {
        _ = try await ownedKey(keyID, userName: userName, account: account)
        try await store.deleteAccessKey(id: keyID)
        credentialsChanged(keyID)
    }

    /// An access key this account does not hold is refused as AWS refuses it: the operation models no
    /// NoSuchEntity, and AWS answers AccessDenied naming the caller and the key.
    public func accessKeyLastUsed(_ keyID: String, account: String, callerARN: String) async throws -> (key: StoredAccessKey, userName: String?) {
        guard let key = try await store.accessKey(id: keyID), key.account == account else {
            throw CofferError(.accessDenied, "User: \(callerARN) is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key \(keyID)")
        }
        return (key, try await user(arn: key.principalARN)?.userName)
    }

    // MARK: Managed policies

    /// `attaching`: the policy is looked up to attach it or make it a boundary, where AWS's message says so.
    func policyNotFound(_ arn: String, attaching: Bool = false) -> CofferError {
        CofferError(.noSuchEntity, attaching ? "Policy \(arn) does not exist or is not attachable." : "Policy \(arn) was not found.")
    }

    /// A PolicyArn that is not an ARN at all is InvalidInput, as AWS answers it (LocalStack's
    /// AWS-validated attach tests: `ARN longpolicynamebutnoarn is not valid.`); a well-formed ARN that
    /// names no policy is NoSuchEntity.
    public func policy(_ arn: String, account: String, attaching: Bool = false) async throws -> ManagedPolicy {
        if let managed = AWSManagedPolicies.policy(arn) { return managed }
        guard let parsed = ARN(arn) else { throw CofferError(.invalidInput, "ARN \(arn) is not valid.") }
        guard parsed.service == "iam", parsed.account == account, let policy = try await store.record(ManagedPolicy.self, arn: arn)
        else { throw policyNotFound(arn, attaching: attaching) }
        return policy
    }

    static func checkDocument(_ document: String, limit: Int, quota: String) throws(CofferError) {
        let size = document.unicodeScalars.filter { !$0.properties.isWhitespace }.count
        if size > limit { throw CofferError(.limitExceeded, "Cannot exceed quota for \(quota): \(limit)") }
        _ = try PolicyDocument.parseForIAM(document)
    }

    public func createPolicy(_ name: String, document: String, path: String?, description: String?, tags: [Tag],
                             account: String) async throws -> ManagedPolicy {
        try IAMRules.validateName(name, member: "policyName", maximum: 128)
        let path = path ?? "/"
        try IAMRules.validatePath(path)
        try Self.checkDocument(document, limit: IAMRules.maximumManagedPolicySize, quota: "PolicySize")
        var policy = ManagedPolicy(arn: "arn:\(Self.partition):iam::\(account):policy\(path)\(name)", policyName: name,
                                   policyID: IAMRules.uniqueID(prefix: "ANPA", random: random), path: path,
                                   description: description, document: document, date: clock.now())
        policy.tags = tags
        do {
            try await store.write(RecordWrite(.create, scope: Self.scope(account), record: policy))
        } catch StorageError.nameTaken {
            throw CofferError(.entityAlreadyExists, "A policy called \(name) already exists. Duplicate names are not allowed.")
        }
        return policy
    }

    @discardableResult
    func changePolicy(_ arn: String, account: String, _ apply: @escaping @Sendable (inout ManagedPolicy) throws -> Void) async throws
        -> ManagedPolicy
    {
        if AWSManagedPolicies.policy(arn) != nil { throw Self.awsManagedRefused(arn) }
        return try await updating(store, in: Self.scope(account), read: { try await policy(arn, account: account) }, apply)
    }

    public func createPolicyVersion(_ arn: String, document: String, setAsDefault: Bool, account: String) async throws -> ManagedPolicyVersion {
        try Self.checkDocument(document, limit: IAMRules.maximumManagedPolicySize, quota: "PolicySize")
        let now = clock.now()
        let updated = try await changePolicy(arn, account: account) { policy in
            guard policy.versions.count < IAMRules.maximumPolicyVersions else {
                throw CofferError(.limitExceeded, "A managed policy can have up to \(IAMRules.maximumPolicyVersions) versions. Before you create a new version, you must delete an existing version.")
            }
            let id = "v\(policy.nextVersion)"
            policy.nextVersion += 1
            policy.versions.append(ManagedPolicyVersion(versionID: id, document: document, createDate: now))
            policy.updateDate = now
            if setAsDefault { policy.defaultVersionID = id }
        }
        return updated.versions.last!
    }

    /// A version that does not exist, of a policy that may not exist either: AWS answers both alike
    /// (LocalStack's AWS-validated test_policy_version_errors).
    func versionNotFound(_ arn: String, _ versionID: String) -> CofferError {
        CofferError(.noSuchEntity, "Policy \(arn) version \(versionID) does not exist or is not attachable.")
    }

    private func aboutVersion<T>(_ arn: String, _ versionID: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as CofferError where error == policyNotFound(arn) { throw versionNotFound(arn, versionID) }
    }

    public func policyVersion(_ arn: String, versionID: String, account: String) async throws -> (ManagedPolicy, ManagedPolicyVersion) {
        let found = try await aboutVersion(arn, versionID) { try await self.policy(arn, account: account) }
        guard let version = found.versions.first(where: { $0.versionID == versionID }) else { throw versionNotFound(arn, versionID) }
        return (found, version)
    }

    public func setDefaultPolicyVersion(_ arn: String, versionID: String, account: String) async throws {
        let missing = versionNotFound(arn, versionID)
        try await aboutVersion(arn, versionID) {
            try await changePolicy(arn, account: account) { policy in
                guard policy.versions.contains(where: { $0.versionID == versionID }) else { throw missing }
                policy.defaultVersionID = versionID
            }
        }
    }

    public func deletePolicyVersion(_ arn: String, versionID: String, account: String) async throws {
        let missing = versionNotFound(arn, versionID)
        try await aboutVersion(arn, versionID) {
            try await changePolicy(arn, account: account) { policy in
                guard policy.versions.contains(where: { $0.versionID == versionID }) else { throw missing }
                if policy.defaultVersionID == versionID { throw CofferError(.deleteConflict, "Cannot delete the default version of a policy.") }
                policy.versions.removeAll { $0.versionID == versionID }
            }
        }
    }

    public func attachmentCount(_ arn: String, account: String) async throws -> Int {
        let entities = try await entities(using: arn, asPermissions: true, asBoundary: true, pathPrefix: nil, account: account)
        return entities.users.count + entities.roles.count + entities.groups.count
    }

    /// The users, groups and roles a managed policy is attached to (ListEntitiesForPolicy): as a
    /// permissions policy, as a permissions boundary (users and roles only), or either.
    public func entities(using arn: String, asPermissions: Bool, asBoundary: Bool, pathPrefix: String?, account: String) async throws
        -> (users: [IAMUser], groups: [IAMGroup], roles: [IAMRole])
    {
        let scope = Self.scope(account)
        let prefix = pathPrefix ?? "/"
        func uses(_ attached: [String], _ boundary: String?) -> Bool {
            (asPermissions && attached.contains(arn)) || (asBoundary && boundary == arn)
        }
        let users = try await store.records(IAMUser.self, in: scope).filter { $0.path.hasPrefix(prefix) && uses($0.attachedPolicyARNs, $0.permissionsBoundaryARN) }
        let groups = try await store.records(IAMGroup.self, in: scope).filter { $0.path.hasPrefix(prefix) && uses($0.attachedPolicyARNs, nil) }
        let roles = try await store.records(IAMRole.self, in: scope).filter { $0.path.hasPrefix(prefix) && uses($0.attachedPolicyARNs, $0.permissionsBoundaryARN) }
        return (users, groups, roles)
    }

    /// `scope`: AWS's `Local` (the account's own), `AWS` (AWS managed) or `All`.
    public func listPolicies(onlyAttached: Bool, pathPrefix: String?, scope: String = "Local", account: String) async throws -> [(ManagedPolicy, Int)] {
        var out: [(ManagedPolicy, Int)] = []
        var policies = scope == "AWS" ? [] : try await store.records(ManagedPolicy.self, in: Self.scope(account))
        if scope != "Local" { policies += AWSManagedPolicies.all }
        // Attachments counted in one pass over the entities: AWS's list has some 1,500 policies.
        let entities = Self.scope(account)
        var counts: [String: Int] = [:]
        for user in try await store.records(IAMUser.self, in: entities) {
            for arn in Set(user.attachedPolicyARNs + [user.permissionsBoundaryARN].compactMap { $0 }) { counts[arn, default: 0] += 1 }
        }
        for role in try await store.records(IAMRole.self, in: entities) {
            for arn in Set(role.attachedPolicyARNs + [role.permissionsBoundaryARN].compactMap { $0 }) { counts[arn, default: 0] += 1 }
        }
        for group in try await store.records(IAMGroup.self, in: entities) {
            for arn in Set(group.attachedPolicyARNs) { counts[arn, default: 0] += 1 }
        }
        for policy in policies where policy.path.hasPrefix(pathPrefix ?? "/") {
            let count = counts[policy.arn] ?? 0
            if !onlyAttached || count > 0 { out.append((policy, count)) }
        }
        return out.sorted { $0.0.policyName.lowercased() < $1.0.policyName.lowercased() }
    }

    static func awsManagedRefused(_ arn: String) -> CofferError {
        CofferError(.accessDenied, "Cannot modify AWS managed policy \(arn); AWS managed policies can only be attached and detached.")
    }

    public func deletePolicy(_ arn: String, account: String) async throws {
        if AWSManagedPolicies.policy(arn) != nil { throw Self.awsManagedRefused(arn) }
        let policy = try await policy(arn, account: account)
        if try await attachmentCount(arn, account: account) > 0 {
            throw CofferError(.deleteConflict, "Cannot delete a policy attached to entities.")
        }
        try await store.removeRecord(arn: policy.arn)
    }

    // MARK: Attachments and inline policies (users, groups and roles alike)

    public func holder<H: PolicyHolder>(_ type: H.Type, _ name: String, account: String) async throws -> H {
        guard let holder = try await store.record(H.self, named: name.lowercased(), in: Self.scope(account)) else {
            throw CofferError(.noSuchEntity, "The \(H.entityName) with name \(name) cannot be found.")
        }
        return holder
    }

    @discardableResult
    func changeHolder<H: PolicyHolder>(_ type: H.Type, _ name: String, account: String, _ apply: @escaping @Sendable (inout H) throws -> Void)
        async throws -> H
    {
        try await updating(store, in: Self.scope(account), read: { try await holder(H.self, name, account: account) }, apply)
    }

    public func attachPolicy<H: PolicyHolder>(_ type: H.Type, _ name: String, policyARN: String, account: String) async throws {
        _ = try await policy(policyARN, account: account, attaching: true)
        try await changeHolder(H.self, name, account: account) { holder in
            guard !holder.attachedPolicyARNs.contains(policyARN) else { return }
            guard holder.attachedPolicyARNs.count < IAMRules.maximumManagedPoliciesPerUser else {
                throw CofferError(.limitExceeded, "Cannot exceed quota for PoliciesPer\(H.entityName.capitalized): \(IAMRules.maximumManagedPoliciesPerUser)")
            }
            holder.attachedPolicyARNs.append(policyARN)
        }
    }

    public func detachPolicy<H: PolicyHolder>(_ type: H.Type, _ name: String, policyARN: String, account: String) async throws {
        try await changeHolder(H.self, name, account: account) { holder in
            guard holder.attachedPolicyARNs.contains(policyARN) else { throw CofferError(.noSuchEntity, "Policy \(policyARN) was not found.") }
            holder.attachedPolicyARNs.removeAll { $0 == policyARN }
        }
    }

    public func putInlinePolicy<H: PolicyHolder>(_ type: H.Type, _ name: String, policyName: String, document: String, account: String) async throws {
        try IAMRules.validateName(policyName, member: "policyName", maximum: 128)
        let limit = H.inlineLimit
        try Self.checkDocument(document, limit: limit, quota: "PolicySize")
        try await changeHolder(H.self, name, account: account) { holder in
            holder.inlinePolicies.removeAll { $0.name == policyName }
            holder.inlinePolicies.append(InlinePolicy(name: policyName, document: document))
            let total = holder.inlinePolicies.reduce(0) { $0 + $1.document.unicodeScalars.filter { !$0.properties.isWhitespace }.count }
            if total > limit {
                throw CofferError(.limitExceeded, "Maximum policy size of \(limit) bytes exceeded for \(H.entityName) \(name)")
            }
        }
    }

    public func inlinePolicy<H: PolicyHolder>(_ type: H.Type, _ name: String, policyName: String, account: String) async throws -> (H, InlinePolicy) {
        let holder = try await holder(H.self, name, account: account)
        guard let policy = holder.inlinePolicies.first(where: { $0.name == policyName }) else {
            throw CofferError(.noSuchEntity, "The \(H.entityName) policy with name \(policyName) cannot be found.")
        }
        return (holder, policy)
    }

    public func deleteInlinePolicy<H: PolicyHolder>(_ type: H.Type, _ name: String, policyName: String, account: String) async throws {
        try await changeHolder(H.self, name, account: account) { holder in
            guard holder.inlinePolicies.contains(where: { $0.name == policyName }) else {
                throw CofferError(.noSuchEntity, "The \(H.entityName) policy with name \(policyName) cannot be found.")
            }
            holder.inlinePolicies.removeAll { $0.name == policyName }
        }
    }

    public func setUserBoundary(_ userName: String, policyARN: String?, account: String) async throws {
        if let policyARN { _ = try await policy(policyARN, account: account, attaching: true) }
        try await changeUser(userName, account: account) { $0.permissionsBoundaryARN = policyARN }
    }

    // MARK: Evaluation

    /// The identity policies of one user, group or role: inline and attached.
    /// An attached policy: AWS managed, or one of the account's.
    func managedPolicy(_ arn: String) async throws -> ManagedPolicy? {
        if let managed = AWSManagedPolicies.policy(arn) { return managed }
        return try await store.record(ManagedPolicy.self, arn: arn)
    }

    func identityPolicies(_ holder: some PolicyHolder) async throws -> [NamedPolicy] {
        var out: [NamedPolicy] = []
        for inline in holder.inlinePolicies {
            out.append(NamedPolicy(name: inline.name, document: try PolicyDocument.parse(inline.document, kind: .identity)))
        }
        for arn in holder.attachedPolicyARNs {
            guard let policy = try await managedPolicy(arn), let document = policy.defaultDocument else { continue }
            out.append(NamedPolicy(name: arn, document: try PolicyDocument.parse(document, kind: .identity)))
        }
        return out
    }

    func boundary(_ arn: String?) async throws -> NamedPolicy? {
        guard let arn, let policy = try await managedPolicy(arn), let document = policy.defaultDocument else { return nil }
        return NamedPolicy(name: arn, document: try PolicyDocument.parse(document, kind: .identity))
    }

    /// The policies that apply to a user's requests: its own, its groups', and its boundary.
    public func policySet(for user: IAMUser, account: String) async throws -> PolicySet {
        var set = PolicySet(identity: try await identityPolicies(user), boundary: try await boundary(user.permissionsBoundaryARN))
        for group in user.groupNames {
            if let group = try await store.record(IAMGroup.self, named: group.lowercased(), in: Self.scope(account)) {
                set.identity += try await identityPolicies(group)
            }
        }
        return set
    }

    /// The policies that apply to a role session's requests, session policies included.
    public func policySet(for role: IAMRole, session: STSSession?) async throws -> PolicySet {
        var set = PolicySet(identity: try await identityPolicies(role), boundary: try await boundary(role.permissionsBoundaryARN))
        if let session, !session.sessionPolicies.isEmpty {
            set.session = try session.sessionPolicies.enumerated().map { index, text in
                NamedPolicy(name: "session policy \(index + 1)", document: try PolicyDocument.parse(text, kind: .identity))
            }
        }
        return set
    }
}

/// A user, group or role: something that holds inline and attached policies.
public protocol PolicyHolder: Record {
    static var entityName: String { get }
    /// The aggregate size limit of inline policies (users 2,048, groups 5,120, roles 10,240).
    static var inlineLimit: Int { get }
    var inlinePolicies: [InlinePolicy] { get set }
    var attachedPolicyARNs: [String] { get set }
}

extension IAMUser: PolicyHolder {
    public static let entityName = "user"
    public static let inlineLimit = 2048
}

extension IAMRole: PolicyHolder {
    public static let entityName = "role"
    public static let inlineLimit = 10_240
}

extension IAMGroup: PolicyHolder {
    public static let entityName = "group"
    public static let inlineLimit = 5120
}

public import CofferCore
import CofferStorage
import Foundation

/// Authorizes every request with the policy engine: the caller's identity policies and boundary,
/// the resource's policy, and the global context keys, before anything changes or is returned.
public struct AccessControl: Sendable {
    let iam: IAMService
    private let cache = PolicyCache()

    public init(iam: IAMService) { self.iam = iam }

    /// Throws AccessDenied with AWS's message unless the request is allowed.
    ///
    /// - Parameters:
    ///   - resourcePolicy: a secret's resource policy or a KMS key policy, as stored.
    ///   - resourcePolicyRequired: KMS: the key policy must allow (directly or by delegating to IAM).
    public func authorize(_ caller: CallerContext, action: String, resource: String, keys: [String: [String]] = [:],
                          resourcePolicy: String? = nil, resourcePolicyRequired: Bool = false) async throws {
        Self.noteAudited(resource)
        try await evaluate(caller, action: action, resource: resource, keys: keys, resourcePolicy: resourcePolicy,
                           resourcePolicyRequired: resourcePolicyRequired)
    }

    /// Whether the caller would be allowed `action` on `resource` under a KMS key policy not yet
    /// stored (the lockout safety check); the resource is not named in the audit record.
    public func wouldAllow(_ caller: CallerContext, action: String, resource: String, resourcePolicy: String) async throws -> Bool {
        do {
            try await evaluate(caller, action: action, resource: resource, keys: ["kms:CallerAccount": [caller.scope.account]],
                               resourcePolicy: resourcePolicy, resourcePolicyRequired: true)
            return true
        } catch let error as CofferError where error.code == .accessDenied {
            return false
        }
    }

    /// Names a resource in the call's audit record: what it was authorized against, or what the
    /// account root acted on where no policy had to be asked.
    public static func noteAudited(_ resource: String) {
        if let scope = AuditScope.current, let audited = AuditResource(arn: resource) { scope.note(audited) }
    }

    private func evaluate(_ caller: CallerContext, action: String, resource: String, keys: [String: [String]],
                          resourcePolicy: String?, resourcePolicyRequired: Bool) async throws {
        if try rootAllowed(caller, action: action, resource: resource, resourcePolicy: resourcePolicy,
                           resourcePolicyRequired: resourcePolicyRequired) { return }
        let who = try await self.caller(caller)
        var policies = who.policies
        policies.resourcePolicyRequired = resourcePolicyRequired
        if let resourcePolicy { policies.resource = NamedPolicy(name: "resource policy", document: try cache.document(resourcePolicy)) }
        var global: [(key: String, values: [String])] = [("aws:RequestedRegion", [caller.scope.region])]
        global.reserveCapacity(4)
        if let ip = caller.sourceIP { global.append(("aws:SourceIp", [ip])) }
        if let agent = caller.userAgent { global.append(("aws:UserAgent", [agent])) }
        if let proved = who.mfaAuthenticated, keys["aws:MultiFactorAuthAge"] == nil {
            global.append(("aws:MultiFactorAuthAge", [String(max(0, Int(caller.requestTime.timeIntervalSince(proved))))]))
        }
        let request = RequestContext(principal: who.principal, action: action, resource: resource, keys: keys, request: global,
                                     base: who.keys, time: caller.requestTime)
        let decision = PolicyEvaluator.evaluate(request, policies)
        guard decision.isAllowed else { throw CofferError(.accessDenied, decision.message(for: request)) }
    }

    /// Who the caller is, the policies that apply to it and its fixed context keys, cached until IAM changes.
    private func caller(_ caller: CallerContext) async throws -> PolicyCache.Caller {
        let generation = iam.generation
        let key = PolicyCache.CallerKey(principalARN: caller.principalARN, accessKeyID: caller.accessKeyID)
        if let cached = cache.caller(key, generation: generation) { return cached }
        var policies = PolicySet()
        let principal: PrincipalIdentity
        var context: [String: [String]] = [:]
        var mfa: Date?
        if caller.isRoot {
            principal = .root(account: caller.scope.account)
            context["aws:userid"] = [caller.scope.account]
        } else if ARN.resource(of: caller.principalARN, startsWith: "assumed-role/") {
            guard let session = try await iam.store.record(STSSession.self, arn: STSSession.arn(accessKeyID: caller.accessKeyID)),
                let roleARN = session.roleARN
            else { throw CofferError(.unrecognizedClient, "The security token included in the request is invalid.") }
            principal = PrincipalIdentity(kind: .assumedRole, arn: caller.principalARN, account: caller.scope.account, roleARN: roleARN)
            // A role deleted since (or, in --dev, never created) grants nothing.
            let role = try await iam.role(arn: roleARN)
            if let role { policies = try await iam.policySet(for: role, session: session) }
            context["aws:userid"] = [session.principalID]
            context["aws:TokenIssueTime"] = [SigV4Timestamp.iso8601(session.issued)]
            mfa = session.mfaAuthenticated
            for tag in role?.tags ?? [] { context["aws:PrincipalTag/\(tag.key)"] = [tag.value] }
            for tag in session.sessionTags { context["aws:PrincipalTag/\(tag.key)"] = [tag.value] }
            if let source = session.sourceIdentity { context["aws:SourceIdentity"] = [source] }
        } else if ARN.resource(of: caller.principalARN, startsWith: "federated-user/") {
            guard let session = try await iam.store.record(STSSession.self, arn: STSSession.arn(accessKeyID: caller.accessKeyID)),
                let from = session.federatedFrom
            else { throw CofferError(.unrecognizedClient, "The security token included in the request is invalid.") }
            principal = PrincipalIdentity(kind: .federatedUser, arn: caller.principalARN, account: caller.scope.account)
            policies = try await federatedPolicies(from: from, session: session)
            context["aws:userid"] = [session.principalID]
            context["aws:TokenIssueTime"] = [SigV4Timestamp.iso8601(session.issued)]
            for tag in session.sessionTags { context["aws:PrincipalTag/\(tag.key)"] = [tag.value] }
        } else if let user = try await iam.user(arn: caller.principalARN) {
            principal = PrincipalIdentity(kind: .user, arn: user.arn, account: caller.scope.account)
            policies = try await iam.policySet(for: user, account: caller.scope.account)
            context["aws:username"] = [user.userName]
            if let session = try await iam.store.record(STSSession.self, arn: STSSession.arn(accessKeyID: caller.accessKeyID)) {
                context["aws:TokenIssueTime"] = [SigV4Timestamp.iso8601(session.issued)]
                mfa = session.mfaAuthenticated
            }
            context["aws:userid"] = [user.userID]
            for tag in user.tags { context["aws:PrincipalTag/\(tag.key)"] = [tag.value] }
        } else {
            throw CofferError(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        context["aws:PrincipalArn"] = [principal.arn]
        context["aws:PrincipalAccount"] = [caller.scope.account]
        context["aws:PrincipalType"] = [principal.kind.rawValue]
        context["aws:SecureTransport"] = ["false"]
        // Long-term keys carry no MFA claim at all (AWS leaves the key out); sessions say whether they proved it.
        if caller.accessKeyID.hasPrefix("ASIA") || mfa != nil { context["aws:MultiFactorAuthPresent"] = [mfa == nil ? "false" : "true"] }
        let result = PolicyCache.Caller(principal: principal, policies: policies, keys: context, mfaAuthenticated: mfa)
        cache.store(result, for: key, generation: generation)
        return result
    }

    /// A federated user's permissions: those of the user (or root) that asked for the token, narrowed
    /// by the session policies given then; with none given, the session may do nothing.
    private func federatedPolicies(from: String, session: STSSession) async throws -> PolicySet {
        var set: PolicySet
        if from.hasSuffix(":root") {
            let everything = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
            set = PolicySet(identity: [NamedPolicy(name: "account root", document: try PolicyDocument.parse(everything, kind: .identity))])
        } else if let user = try await iam.user(arn: from) {
            set = try await iam.policySet(for: user, account: session.account)
        } else {
            return PolicySet()
        }
        set.session = try session.sessionPolicies.enumerated().map { index, text in
            NamedPolicy(name: "session policy \(index + 1)", document: try PolicyDocument.parse(text, kind: .identity))
        }
        return set
    }

    /// Whether the account root is allowed without looking at the request's context: always without a
    /// resource policy, and by a remembered decision under a resource policy that has no conditions.
    public func rootAllowed(_ caller: CallerContext, action: String, resource: String, resourcePolicy: String?,
                            resourcePolicyRequired: Bool = false) throws -> Bool {
        guard caller.isRoot else { return false }
        guard let resourcePolicy else { return true }
        let root = PrincipalIdentity.root(account: caller.scope.account)
        let decided = try cache.rootDecision(policy: resourcePolicy, action: action, resource: resource) {
            let set = PolicySet(resource: NamedPolicy(name: "resource policy", document: try cache.document(resourcePolicy)),
                                resourcePolicyRequired: resourcePolicyRequired)
            return PolicyEvaluator.evaluate(RequestContext(principal: root, action: action, resource: resource), set).isAllowed
        }
        return decided == true
    }

    /// The check AWS makes when a service uses a KMS key on the caller's behalf: the key policy (and
    /// IAM, where it delegates) must allow `action` with kms:ViaService set to that service.
    public func authorizeKeyUse(_ caller: CallerContext, key: KMSKey, action: String, viaService service: String) async throws {
        if caller.isRoot, key.keyManager == "AWS" { return }
        // An AWS-managed key's policy lets every principal of the account use it through its service;
        // with nothing that could take that away, the answer is known. A session policy does not: it
        // narrows what the session may ask the service, not the service's use of its own key.
        if key.keyManager == "AWS", !caller.isRoot {
            let who = try await self.caller(caller)
            if who.policies.boundary == nil, !who.mayDeny(action) { return }
        }
        let keys: [String: [String]] = [
            "kms:ViaService": ["\(service).\(caller.scope.region).amazonaws.com"], "kms:CallerAccount": [caller.scope.account],
            "kms:KeySpec": [key.keySpec.rawValue], "kms:KeyUsage": [key.keyUsage.rawValue],
        ]
        try await evaluate(caller, action: action, resource: key.arn, keys: keys, resourcePolicy: key.policy, resourcePolicyRequired: true)
    }

    /// The context keys for tags a request sets (aws:RequestTag/*, aws:TagKeys).
    public static func requestTagKeys(_ tags: [Tag]) -> [String: [String]] {
        var keys: [String: [String]] = ["aws:TagKeys": tags.map(\.key)]
        for tag in tags { keys["aws:RequestTag/\(tag.key)"] = [tag.value] }
        return keys
    }

    /// The context keys for a resource's tags (aws:ResourceTag/*).
    public static func resourceTagKeys(_ tags: [Tag], servicePrefix: String? = nil) -> [String: [String]] {
        var keys: [String: [String]] = [:]
        for tag in tags {
            keys["aws:ResourceTag/\(tag.key)"] = [tag.value]
            if let servicePrefix { keys["\(servicePrefix):ResourceTag/\(tag.key)"] = [tag.value] }
        }
        return keys
    }
}

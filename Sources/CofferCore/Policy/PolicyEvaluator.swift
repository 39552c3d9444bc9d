/// A policy with a name the decision can point at (a managed policy ARN, an inline policy's name,
/// "resource policy", "key policy"). A class: a caller's policies are handed around on every call,
/// and a copy of a reference is one retain where a copy of a document was one per member.
public final class NamedPolicy: Sendable, Equatable {
    public let name: String
    public let document: PolicyDocument

    public init(name: String, document: PolicyDocument) {
        self.name = name
        self.document = document
    }

    public static func == (a: NamedPolicy, b: NamedPolicy) -> Bool {
        a === b || (a.name == b.name && a.document == b.document)
    }
}

/// Every policy that bears on one request.
public struct PolicySet: Sendable {
    public var identity: [NamedPolicy]
    public var resource: NamedPolicy?
    public var boundary: NamedPolicy?
    /// Nil when the caller has no session policy; an empty list would deny everything.
    public var session: [NamedPolicy]?
    /// KMS: the key policy must allow the request, directly or by delegating to IAM.
    public var resourcePolicyRequired: Bool

    public init(identity: [NamedPolicy] = [], resource: NamedPolicy? = nil, boundary: NamedPolicy? = nil,
                session: [NamedPolicy]? = nil, resourcePolicyRequired: Bool = false) {
        self.identity = identity
        self.resource = resource
        self.boundary = boundary
        self.session = session
        self.resourcePolicyRequired = resourcePolicyRequired
    }
}

/// Where a deciding statement lives.
public enum PolicyKind: String, Sendable {
    case identity = "an identity-based policy", resource = "a resource-based policy"
    case boundary = "a permissions boundary", session = "a session policy"
}

public struct DecidingStatement: Sendable, Equatable {
    public let policy: String
    public let kind: PolicyKind
    public let sid: String?
    public let index: Int

    public init(policy: String, kind: PolicyKind, sid: String?, index: Int) {
        self.policy = policy
        self.kind = kind
        self.sid = sid
        self.index = index
    }
}

/// The outcome of evaluating a request: allow, explicit deny, or implicit deny, with what decided.
public enum PolicyDecision: Sendable, Equatable {
    case allow([DecidingStatement])
    case explicitDeny(DecidingStatement)
    case implicitDeny(missing: PolicyKind)

    public var isAllowed: Bool { if case .allow = self { true } else { false } }

    /// AWS's AccessDenied message for this decision.
    public func message(for context: RequestContext) -> String {
        let head = "User: \(context.principal.arn) is not authorized to perform: \(context.action) on resource: \(context.resource)"
        switch self {
        case .allow: return ""
        case .explicitDeny(let statement): return "\(head) with an explicit deny in \(statement.kind.rawValue)"
        case .implicitDeny(let missing):
            let what = switch missing {
            case .identity: "identity-based policy"
            case .resource: "resource-based policy"
            case .boundary: "permissions boundary"
            case .session: "session policy"
            }
            return "\(head) because no \(what) allows the \(context.action) action"
        }
    }
}

/// AWS's policy evaluation logic within one account. Pure: the caller gathers the policies.
public enum PolicyEvaluator {
    public static func evaluate(_ context: RequestContext, _ policies: PolicySet) -> PolicyDecision {
        // 1. An explicit deny anywhere wins.
        for index in policies.identity.indices {
            if let deny = firstDeny(policies.identity[index], .identity, context) { return deny }
        }
        if let resource = policies.resource, let deny = firstDeny(resource, .resource, context) { return deny }
        if let boundary = policies.boundary, let deny = firstDeny(boundary, .boundary, context) { return deny }
        for session in policies.session ?? [] {
            if let deny = firstDeny(session, .session, context) { return deny }
        }

        let resourceAllows = policies.resource.map { allows($0, .resource, context) } ?? []
        if policies.resourcePolicyRequired {
            // KMS: the key policy decides; naming the account's root delegates to IAM policies.
            guard !resourceAllows.isEmpty else { return .implicitDeny(missing: .resource) }
            let direct = resourceAllows.filter { $0.strength != .account }
            if direct.isEmpty {
                if context.principal.kind != .root {
                    let identity = policies.identity.flatMap { allows($0, .identity, context) }
                    if identity.isEmpty { return .implicitDeny(missing: .identity) }
                }
            }
            return limited(context, policies, resourceAllows.map(\.statement))
        }

        if context.principal.kind == .root { return .allow([]) }

        // 2. A resource policy that names this very user or session (or everyone) allows within the account.
        let exact = resourceAllows.filter { [.exact, .everyone, .notPrincipal].contains($0.strength) }
        if !exact.isEmpty { return .allow(exact.map(\.statement)) }

        // 3. Otherwise an identity-based policy (or a resource policy naming the session's role) must allow.
        var granting = policies.identity.flatMap { allows($0, .identity, context) }.map(\.statement)
        granting += resourceAllows.filter { $0.strength == .role }.map(\.statement)
        if granting.isEmpty { return .implicitDeny(missing: .identity) }
        return limited(context, policies, granting)
    }

    /// Boundaries and session policies can only take away.
    private static func limited(_ context: RequestContext, _ policies: PolicySet, _ granting: [DecidingStatement]) -> PolicyDecision {
        if context.principal.kind != .root, let boundary = policies.boundary, allows(boundary, .boundary, context).isEmpty {
            return .implicitDeny(missing: .boundary)
        }
        if let session = policies.session, session.flatMap({ allows($0, .session, context) }).isEmpty {
            return .implicitDeny(missing: .session)
        }
        return .allow(granting)
    }

    enum Strength: Equatable { case exact, role, account, everyone, notPrincipal, none }

    /// Statements are read in place, by index: a `for` over them (or `compactMap`) copied every statement,
    /// a retain and a release of each of its arrays and strings, for every statement of every policy of
    /// every call (about 4% of a read as an IAM user).
    private static func firstDeny(_ policy: NamedPolicy, _ kind: PolicyKind, _ context: RequestContext) -> PolicyDecision? {
        let statements = policy.document.statements
        for index in statements.indices where statements[index].effect == .deny {
            if applies(statements[index], context, principalCheck: kind == .resource) != nil {
                return .explicitDeny(DecidingStatement(policy: policy.name, kind: kind, sid: statements[index].sid, index: statements[index].index))
            }
        }
        return nil
    }

    private static func allows(_ policy: NamedPolicy, _ kind: PolicyKind, _ context: RequestContext)
        -> [(statement: DecidingStatement, strength: Strength)]
    {
        let statements = policy.document.statements
        var found: [(statement: DecidingStatement, strength: Strength)] = []
        for index in statements.indices where statements[index].effect == .allow {
            guard let strength = applies(statements[index], context, principalCheck: kind == .resource) else { continue }
            found.append((DecidingStatement(policy: policy.name, kind: kind, sid: statements[index].sid, index: statements[index].index), strength))
        }
        return found
    }

    /// Whether a statement applies to the request, and how strongly its Principal names the caller.
    static func applies(_ statement: PolicyStatement, _ context: RequestContext, principalCheck: Bool) -> Strength? {
        guard statement.names(action: context.action) else { return nil }
        if let resources = statement.resources {
            let variables = statement.variablesEnabled, kinds = statement.resourceKinds, withVariables = statement.resourceVariables
            func matches(_ patterns: [String]) -> Bool {
                for index in patterns.indices {
                    if variables, withVariables[index] {
                        guard let expanded = PolicyVariables.substitute(patterns[index], in: context) else { continue }
                        if Glob.matchesARN(pattern: expanded, context.resource) { return true }
                    } else if Glob.matchesARN(pattern: patterns[index], kinds[index], context.resource) {
                        return true
                    }
                }
                return false
            }
            switch resources {
            case .any(let patterns): guard matches(patterns) else { return nil }
            case .noneOf(let patterns): guard !matches(patterns) else { return nil }
            }
        }
        var strength = Strength.none
        if principalCheck {
            switch statement.principals {
            case .any(let set)?:
                strength = principalStrength(set, context.principal)
                if strength == .none { return nil }
            case .noneOf(let set)?:
                if principalStrength(set, context.principal) != .none { return nil }
                strength = .notPrincipal
            case nil: return nil
            }
        }
        guard statement.conditions.allSatisfy({ $0.holds(in: context) }) else { return nil }
        return strength
    }

    /// `123456789012` or `arn:PARTITION:iam::123456789012:root` (any partition: an account's root is
    /// named in the partition of the region it is used in), compared without parsing.
    public static func namesAccount(_ entry: String, _ account: String) -> Bool {
        if entry == account { return true }
        let suffix = ":root"
        guard entry.hasPrefix("arn:aws"), entry.hasSuffix(suffix) else { return false }
        let u = entry.utf8
        let head = u.dropLast(suffix.utf8.count)
        guard head.count > account.utf8.count, head.suffix(account.utf8.count).elementsEqual(account.utf8) else { return false }
        let partition = head.dropFirst(4).dropLast(account.utf8.count)  // "aws...:iam::"
        return partition.count >= ":iam::".utf8.count + 3 && partition.suffix(6).elementsEqual(":iam::".utf8)
            && !partition.dropLast(6).contains(UInt8(ascii: ":"))
    }

    static func principalStrength(_ set: PrincipalSet, _ principal: PrincipalIdentity) -> Strength {
        if set.everyone { return .everyone }
        var best = Strength.none
        for entry in set.aws {
            if entry == principal.arn { return .exact }
            if let role = principal.roleARN, entry == role { best = .role; continue }
            if best == .none, namesAccount(entry, principal.account) { best = .account }
        }
        if principal.kind == .service, set.services.contains(principal.arn) { return .exact }
        if principal.kind == .webIdentity, set.federated.contains(principal.arn) { return .exact }
        return best
    }
}

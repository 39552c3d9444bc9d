/// An IAM policy document, parsed and checked against AWS's grammar.
public struct PolicyDocument: Sendable, Equatable {
    public var version: String?
    public var id: String?
    public var statements: [PolicyStatement]

    /// What a document is for decides which elements it must and must not have.
    public enum Kind: Sendable {
        /// Attached to a user, group or role (or a boundary, or a session policy): no Principal.
        case identity
        /// Attached to a resource (secret policy, key policy) or a role's trust policy: Principal required.
        case resource
    }

    public init(version: String? = "2012-10-17", id: String? = nil, statements: [PolicyStatement]) {
        self.version = version
        self.id = id
        self.statements = statements
    }

    /// Parses `text`, throwing MalformedPolicyDocument with AWS's reason when it is not a valid policy.
    public static func parse(_ text: String, kind: Kind) throws(CofferError) -> PolicyDocument {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch { throw malformed("Syntax errors in policy.") }
        guard let object = value.objectValue else { throw malformed("Syntax errors in policy.") }
        for key in object.keys where !["Version", "Id", "Statement"].contains(key) {
            throw malformed("Policy document contains an unsupported element: \(key).")
        }
        var document = PolicyDocument(version: nil, statements: [])
        if let version = object["Version"] {
            guard let text = version.stringValue, ["2012-10-17", "2008-10-17"].contains(text) else {
                throw malformed("The policy must contain a valid version string")
            }
            document.version = text
        }
        document.id = object["Id"]?.stringValue
        let statements: [JSONValue]
        switch object["Statement"] {
        case .array(let list)?: statements = list
        case .object(let one)?: statements = [.object(one)]
        default: throw malformed("Syntax errors in policy.")
        }
        if statements.isEmpty { throw malformed("Syntax errors in policy.") }
        var sids = Set<String>()
        for (index, statement) in statements.enumerated() {
            var parsed = try PolicyStatement.parse(statement, index: index, kind: kind)
            // Policy variables exist only in 2012-10-17; under 2008-10-17, or with no Version at
            // all, `${aws:username}` is literal text (IAM User Guide, Version element).
            if document.version != "2012-10-17" {
                parsed.variablesEnabled = false
                for i in parsed.conditions.indices { parsed.conditions[i].variablesEnabled = false }
            }
            if let sid = parsed.sid, !sid.isEmpty, !sids.insert(sid).inserted {
                throw malformed("Statement IDs (SID) in a single policy must be unique.")
            }
            document.statements.append(parsed)
        }
        return document
    }

    /// A policy IAM is asked to store (CreatePolicy, CreatePolicyVersion, Put*Policy): IAM's own
    /// grammar and order of checks first, then the statements built.
    public static func parseForIAM(_ text: String) throws(CofferError) -> PolicyDocument {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch { throw malformed("Syntax errors in policy.") }
        try IdentityPolicyGrammar.check(value)
        return try parse(text, kind: .identity)
    }

    static func malformed(_ reason: String) -> CofferError { CofferError(.malformedPolicyDocument, reason) }
}

public enum PolicyEffect: String, Sendable { case allow = "Allow", deny = "Deny" }

/// One statement. Each list keeps the strings as written; matching applies AWS's case rules.
public struct PolicyStatement: Sendable, Equatable {
    public enum Match: Sendable, Equatable {
        case any(of: [String])
        case noneOf([String])
    }

    /// The statement's elements, kept in one shared, immutable box: evaluation reads every statement of
    /// every policy that bears on a call, and copying a statement of seven arrays and strings retained
    /// and released each of them (an eighth of the reference counting of a read as an IAM user).
    /// A change (only while a document is parsed) puts the changed elements in a new box.
    private struct Elements: Sendable, Equatable {
        var sid: String?
        var index: Int
        var effect: PolicyEffect
        var actions: Match
        var resources: Match?
        var principals: PrincipalMatch?
        var conditions: [ConditionClause]
        var variablesEnabled = true
    }

    private final class Box: Sendable {
        let elements: Elements
        /// Each action and resource pattern's kind, in the patterns' order, and which resource patterns
        /// hold a policy variable: decided here once rather than by every request that reads them.
        let actionKinds: [Glob.PatternKind]
        let resourceKinds: [Glob.PatternKind]
        let resourceVariables: [Bool]

        init(_ elements: Elements) {
            self.elements = elements
            actionKinds = elements.actions.values.map(Glob.kind(of:))
            let resources = elements.resources?.values ?? []
            resourceKinds = resources.map(Glob.kind(of:))
            resourceVariables = resources.map(PolicyVariables.hasVariable)
        }
    }

    private var box: Box

    var resourceKinds: [Glob.PatternKind] { box.resourceKinds }
    var resourceVariables: [Bool] { box.resourceVariables }

    /// Whether the statement's Action (or NotAction) covers `action`, with the kinds worked out when the
    /// statement was made; patterns are read in place by index (`contains(where:)` copied each string).
    public func names(action: String) -> Bool {
        let kinds = box.actionKinds
        func any(_ patterns: [String]) -> Bool {
            for index in patterns.indices where Glob.matches(patterns[index], kinds[index], action, caseInsensitive: true) { return true }
            return false
        }
        switch box.elements.actions {
        case .any(let patterns): return any(patterns)
        case .noneOf(let patterns): return !any(patterns)
        }
    }

    private mutating func change(_ body: (inout Elements) -> Void) {
        var elements = box.elements
        body(&elements)
        box = Box(elements)
    }

    public var sid: String? {
        get { box.elements.sid }
        set { change { $0.sid = newValue } }
    }
    public var index: Int {
        get { box.elements.index }
        set { change { $0.index = newValue } }
    }
    public var effect: PolicyEffect {
        get { box.elements.effect }
        set { change { $0.effect = newValue } }
    }
    public var actions: Match {
        get { box.elements.actions }
        set { change { $0.actions = newValue } }
    }
    /// Nil when the statement has neither Resource nor NotResource (trust policies).
    public var resources: Match? {
        get { box.elements.resources }
        set { change { $0.resources = newValue } }
    }
    public var principals: PrincipalMatch? {
        get { box.elements.principals }
        set { change { $0.principals = newValue } }
    }
    public var conditions: [ConditionClause] {
        get { box.elements.conditions }
        set { change { $0.conditions = newValue } }
    }
    /// False when the document's Version is not 2012-10-17: variables are then literal text.
    public var variablesEnabled: Bool {
        get { box.elements.variablesEnabled }
        set { change { $0.variablesEnabled = newValue } }
    }

    public init(sid: String? = nil, index: Int = 0, effect: PolicyEffect, actions: Match, resources: Match? = .any(of: ["*"]),
                principals: PrincipalMatch? = nil, conditions: [ConditionClause] = []) {
        box = Box(Elements(sid: sid, index: index, effect: effect, actions: actions, resources: resources, principals: principals,
                           conditions: conditions))
    }

    public static func == (a: PolicyStatement, b: PolicyStatement) -> Bool {
        a.box === b.box || a.box.elements == b.box.elements
    }

    static let elements = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]

    static func parse(_ value: JSONValue, index: Int, kind: PolicyDocument.Kind) throws(CofferError) -> PolicyStatement {
        guard let object = value.objectValue else { throw PolicyDocument.malformed("Syntax errors in policy.") }
        for key in object.keys where !elements.contains(key) {
            throw PolicyDocument.malformed("Policy document contains an unsupported element: \(key).")
        }
        guard let effectText = object["Effect"]?.stringValue, let effect = PolicyEffect(rawValue: effectText) else {
            throw PolicyDocument.malformed("Invalid effect: \(object["Effect"]?.stringValue ?? "null")")
        }
        let sid = object["Sid"]?.stringValue
        // IAM's own policies take alphanumeric Sids only; resource policies (key policies) allow more.
        if kind == .identity, let sid, !sid.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) {
            throw PolicyDocument.malformed("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
        }
        let actions: Match
        switch (object["Action"], object["NotAction"]) {
        case (let a?, nil): actions = .any(of: try strings(a, "Action"))
        case (nil, let n?): actions = .noneOf(try strings(n, "NotAction"))
        case (nil, nil): throw PolicyDocument.malformed("Policy statement must contain actions.")
        default: throw PolicyDocument.malformed("Statement cannot contain both Action and NotAction.")
        }
        for action in actions.values where action != "*" {
            let parts = action.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw PolicyDocument.malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
            }
        }
        var resources: Match?
        switch (object["Resource"], object["NotResource"]) {
        case (let r?, nil): resources = .any(of: try strings(r, "Resource"))
        case (nil, let n?): resources = .noneOf(try strings(n, "NotResource"))
        case (nil, nil):
            if kind == .identity { throw PolicyDocument.malformed("Policy statement must contain resources.") }
        default: throw PolicyDocument.malformed("Statement cannot contain both Resource and NotResource.")
        }
        for resource in resources?.values ?? [] where resource != "*" && !resource.hasPrefix("arn:") && !resource.contains("${") {
            throw PolicyDocument.malformed("Resource \(resource) must be in ARN format or \"*\".")
        }
        var principals: PrincipalMatch?
        switch (object["Principal"], object["NotPrincipal"]) {
        case (let p?, nil): principals = .any(of: try PrincipalSet.parse(p))
        case (nil, let n?): principals = .noneOf(try PrincipalSet.parse(n))
        case (nil, nil): break
        default: throw PolicyDocument.malformed("Statement cannot contain both Principal and NotPrincipal.")
        }
        if kind == .identity, principals != nil { throw PolicyDocument.malformed("Policy document should not specify a principal.") }
        if kind == .resource, principals == nil { throw PolicyDocument.malformed("Policy document should specify a principal.") }
        let conditions = try ConditionClause.parse(object["Condition"])
        return PolicyStatement(sid: sid, index: index, effect: effect, actions: actions, resources: resources,
                               principals: principals, conditions: conditions)
    }

    static func strings(_ value: JSONValue, _ element: String) throws(CofferError) -> [String] {
        switch value {
        case .string(let s): return [s]
        case .array(let items) where !items.isEmpty:
            var out: [String] = []
            // A null entry is skipped, as IAM skips it.
            for item in items where item != .null {
                guard let s = item.stringValue else { throw PolicyDocument.malformed("Syntax errors in policy.") }
                out.append(s)
            }
            return out
        default: throw PolicyDocument.malformed("Syntax errors in policy.")
        }
    }
}

extension PolicyStatement.Match {
    public var values: [String] {
        switch self {
        case .any(let v), .noneOf(let v): v
        }
    }
}

/// The principals a statement names, by kind.
public struct PrincipalSet: Sendable, Equatable {
    public var everyone = false
    public var aws: [String] = []
    public var services: [String] = []
    public var federated: [String] = []
    public var canonicalUsers: [String] = []

    public init(everyone: Bool = false, aws: [String] = [], services: [String] = [], federated: [String] = []) {
        self.everyone = everyone
        self.aws = aws
        self.services = services
        self.federated = federated
    }

    static func parse(_ value: JSONValue) throws(CofferError) -> PrincipalSet {
        if value == .string("*") { return PrincipalSet(everyone: true) }
        guard let object = value.objectValue else { throw PolicyDocument.malformed("Invalid principal in policy.") }
        var set = PrincipalSet()
        for (key, entry) in object.members {
            let values = try PolicyStatement.strings(entry, "Principal")
            switch key {
            case "AWS":
                for v in values where v != "*" && !v.hasPrefix("arn:") && !AccountID.isValid(v) {
                    throw PolicyDocument.malformed("Invalid principal in policy: \"AWS\":\"\(v)\"")
                }
                if values.contains("*") { set.everyone = true }
                set.aws += values.filter { $0 != "*" }
            case "Service": set.services += values
            case "Federated": set.federated += values
            case "CanonicalUser": set.canonicalUsers += values
            default: throw PolicyDocument.malformed("Invalid principal in policy: \"\(key)\"")
            }
        }
        return set
    }
}

public enum PrincipalMatch: Sendable, Equatable {
    case any(of: PrincipalSet)
    case noneOf(PrincipalSet)
}

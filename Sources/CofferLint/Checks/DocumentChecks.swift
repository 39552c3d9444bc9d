import CofferCore

/// A string in a policy with where it sits.
struct Located {
    let text: String
    let path: [JSONPathElement]
}

/// The top level of a policy: elements, Version, Statement, Sids, size; then each statement.
enum DocumentChecks {
    /// Codes after which the document cannot be read as a policy, so the evaluator is not asked about it.
    static let structural: Set<String> = [
        "JSON_SYNTAX_ERROR", "DATA_TYPE_MISMATCH", "MISSING_STATEMENT", "MISSING_EFFECT", "INVALID_EFFECT", "MISSING_ACTION",
        "MISSING_RESOURCE", "UNSUPPORTED_ELEMENT_COMBINATION", "MISSING_PRINCIPAL", "UNSUPPORTED_PRINCIPAL", "INVALID_POLICY_ELEMENT",
        "INVALID_CONDITION_OPERATOR", "INVALID_PRINCIPAL_KEY", "INVALID_PRINCIPAL_FORMAT", "NULL_WITH_IF_EXISTS", "INVALID_VERSION",
    ]

    static let topElements = ["Version", "Id", "Statement"]

    static func run(_ root: JSONValue, _ context: inout LintContext) {
        guard let object = root.objectValue else {
            context.report("DATA_TYPE_MISMATCH", .error, "The policy must be a JSON object with Version and Statement elements.", at: [])
            return
        }
        reportDuplicates(&context)
        for key in object.keys where !topElements.contains(key) && !(object["Statement"] == nil && StatementChecks.elements.contains(key)) {
            if topElements.contains(where: { Glob.equalIgnoringCase($0, key) }) {
                context.report("INVALID_POLICY_ELEMENT", .error, "The policy element \(key) is not valid: element names are case sensitive.",
                               at: [.key(key)], nameOnly: true)
            } else {
                context.report("INVALID_POLICY_ELEMENT", .error, "The policy element \(key) is not valid.", at: [.key(key)], nameOnly: true)
            }
        }
        var version: String?
        switch object["Version"] {
        case nil where object["Statement"] == nil: break
        case nil:
            context.report("MISSING_VERSION", .warning,
                           "Add a Version element with the value 2012-10-17. Without it IAM uses 2008-10-17, where policy variables such as ${aws:username} are read as literal text.",
                           at: [])
        case .string(let text)?:
            version = text
            if text != "2012-10-17", text != "2008-10-17" {
                context.report("INVALID_VERSION", .error, "The policy version \(text) is not valid: use 2012-10-17.", at: [.key("Version")])
            }
        case .some:
            context.report("DATA_TYPE_MISMATCH", .error, "The Version element must be a string.", at: [.key("Version")])
        }
        if let id = object["Id"], id.stringValue == nil {
            context.report("DATA_TYPE_MISMATCH", .error, "The Id element must be a string.", at: [.key("Id")])
        }
        var statementPaths: [[JSONPathElement]] = []
        switch object["Statement"] {
        case nil where object["Effect"] != nil || object["Action"] != nil || object["NotAction"] != nil:
            // A statement on its own (as documents often quote them): checked as the policy's only statement.
            context.report("MISSING_STATEMENT", .error,
                           "This is a single statement, not a policy: wrap it as {\"Version\": \"2012-10-17\", \"Statement\": [ ... ]}. It is checked below as that policy's only statement.",
                           at: [])
            context.bareStatement = true
            if let facts = StatementChecks.run(root, path: [], version: "2012-10-17", &context) {
                ResourceChecks.requiredResources([facts], &context)
                context.statements = [facts]
            }
            return
        case nil: context.report("MISSING_STATEMENT", .error, "Add a Statement element: a policy without statements grants nothing.", at: [])
        case .array(let list)?:
            if list.isEmpty { context.report("MISSING_STATEMENT", .error, "Add at least one statement to the Statement array.", at: [.key("Statement")]) }
            statementPaths = list.indices.map { [.key("Statement"), .index($0)] }
        case .object?: statementPaths = [[.key("Statement")]]
        case .some: context.report("DATA_TYPE_MISMATCH", .error, "The Statement element must be an object or an array of objects.", at: [.key("Statement")])
        }
        var statements: [StatementFacts] = []
        for path in statementPaths {
            guard let value = value(at: path, in: root) else { continue }
            if let facts = StatementChecks.run(value, path: path, version: version, &context) { statements.append(facts) }
        }
        checkSids(statements, &context)
        checkSize(&context)
        ActionChecks.redundancy(statements, &context)
        ResourceChecks.requiredResources(statements, &context)
        context.statements = statements
    }

    static func value(at path: [JSONPathElement], in root: JSONValue) -> JSONValue? {
        var current = root
        for element in path {
            switch (element, current) {
            case (.key(let k), .object(let o)): guard let next = o[k] else { return nil }; current = next
            case (.index(let i), .array(let a)) where i < a.count: current = a[i]
            default: return nil
            }
        }
        return current
    }

    static func reportDuplicates(_ context: inout LintContext) {
        for path in context.spans?.duplicateKeys ?? [] {
            guard case .key(let name)? = path.last else { continue }
            context.report("DUPLICATE_KEYS_WITH_DIFFERENT_CASE", .error,
                           "The key \(name) appears more than once in the same object; only the last one takes effect.", at: path, nameOnly: true)
        }
    }

    static func checkSids(_ statements: [StatementFacts], _ context: inout LintContext) {
        var seen: [String: Int] = [:]
        for statement in statements {
            guard let sid = statement.sid, !sid.text.isEmpty else { continue }
            if let first = seen[sid.text] {
                let required = context.type == .serviceControl || context.type == .resourceControl || context.resource == .key
                context.report(required ? "UNIQUE_SIDS_REQUIRED" : "UNIQUE_SIDS_RECOMMENDED", required ? .error : .warning,
                               "The Sid \(sid.text) is also used by statement \(first + 1): give each statement a unique Sid.", at: sid.path)
            } else {
                seen[sid.text] = statement.number
            }
        }
    }

    /// IAM counts characters without whitespace against these quotas.
    static func checkSize(_ context: inout LintContext) {
        let size = context.text.unicodeScalars.filter { !$0.properties.isWhitespace }.count
        let (code, limit, what): (String, Int, String) = switch (context.type, context.resource) {
        case (.serviceControl, _), (.resourceControl, _): ("POLICY_SIZE_EXCEEDS_SCP_QUOTA", 5_120, "service control policy")
        case (_, .roleTrust): ("POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA", 2_048, "role trust policy (the default quota; at most 4,096)")
        case (.resource, .secret): ("POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA", 20_480, "secret resource policy")
        case (.resource, .key): ("POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA", 32_768, "key policy")
        case (.resource, _): ("POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA", 20_480, "resource policy")
        case (.identity, _): ("POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", 6_144, "managed policy")
        }
        if size > limit {
            let level: LintLevel = code == "POLICY_SIZE_EXCEEDS_SCP_QUOTA" ? .error : .warning
            context.report(code, level, "The policy has \(size) characters without whitespace; a \(what) may have at most \(limit).", at: [])
        }
    }
}

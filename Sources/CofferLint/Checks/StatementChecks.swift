import Foundation
import CofferCore

/// What one statement says, with where each part sits, for the checks that follow.
struct StatementFacts {
    let number: Int
    let path: [JSONPathElement]
    var sid: Located?
    var effect: PolicyEffect?
    var actions: [Located] = []
    var notAction = false
    var resources: [Located] = []
    var notResource = false
    var hasResourceElement = false
    var principal: JSONValue?
    var notPrincipal = false
    var conditions: [ConditionFacts] = []

    var actionElement: [JSONPathElement] { path + [.key(notAction ? "NotAction" : "Action")] }
    var resourceElement: [JSONPathElement] { path + [.key(notResource ? "NotResource" : "Resource")] }
}

/// One key of a condition block under one operator.
struct ConditionFacts {
    let operatorName: String
    let base: String
    let qualifier: ConditionClause.SetQualifier
    let ifExists: Bool
    let key: Located
    let values: [(value: JSONValue, path: [JSONPathElement])]
    var operatorPath: [JSONPathElement] { Array(key.path.dropLast()) }
    var stringValues: [String] { values.compactMap { $0.value.stringValue ?? $0.value.scalarText } }
}

extension JSONValue {
    var scalarText: String? {
        switch self {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        default: nil
        }
    }
}

enum StatementChecks {
    static let elements = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]

    static func run(_ value: JSONValue, path: [JSONPathElement], version: String?, _ context: inout LintContext) -> StatementFacts? {
        let number: Int = if case .index(let i)? = path.last { i } else { 0 }
        guard let object = value.objectValue else {
            context.report("DATA_TYPE_MISMATCH", .error, "Each statement must be a JSON object.", at: path)
            return nil
        }
        var facts = StatementFacts(number: number, path: path)
        for key in object.keys where !elements.contains(key) {
            let hint = elements.first { Glob.equalIgnoringCase($0, key) }.map { " Did you mean \($0)? Element names are case sensitive." } ?? ""
            context.report("INVALID_POLICY_ELEMENT", .error, "The statement element \(key) is not valid.\(hint)", at: path + [.key(key)], nameOnly: true)
        }
        if let sid = object["Sid"] {
            if let text = sid.stringValue {
                facts.sid = Located(text: text, path: path + [.key("Sid")])
                if text.isEmpty {
                    context.report("EMPTY_SID_VALUE", .suggestion, "Remove the empty Sid or give it a value.", at: path + [.key("Sid")])
                } else if context.type == .identity || context.type == .serviceControl || context.isTrustPolicy,
                          !text.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) {
                    context.report("UNSUPPORTED_SID", .error,
                                   "The Sid \(text) may contain only the characters [0-9A-Za-z] in this policy type.", at: path + [.key("Sid")])
                }
            } else {
                context.report("DATA_TYPE_MISMATCH", .error, "The Sid element must be a string.", at: path + [.key("Sid")])
            }
        }
        switch object["Effect"] {
        case nil: context.report("MISSING_EFFECT", .error, "Add an Effect element with the value Allow or Deny.", at: path)
        case .string(let text)?:
            if let effect = PolicyEffect(rawValue: text) { facts.effect = effect } else {
                context.report("INVALID_EFFECT", .error, "The Effect \(text) is not valid: use Allow or Deny (case sensitive).", at: path + [.key("Effect")])
            }
        case .some: context.report("DATA_TYPE_MISMATCH", .error, "The Effect element must be a string.", at: path + [.key("Effect")])
        }
        // Action / NotAction
        switch (object["Action"], object["NotAction"]) {
        case (nil, nil): context.report("MISSING_ACTION", .error, "Add an Action or NotAction element.", at: path)
        case (.some, .some):
            context.report("UNSUPPORTED_ELEMENT_COMBINATION", .error, "A statement cannot have both Action and NotAction.", at: path + [.key("NotAction")], nameOnly: true)
        case (let a?, nil): facts.actions = strings(a, at: path + [.key("Action")], element: "Action", &context)
        case (nil, let n?):
            facts.notAction = true
            facts.actions = strings(n, at: path + [.key("NotAction")], element: "NotAction", &context)
        }
        // Resource / NotResource
        switch (object["Resource"], object["NotResource"]) {
        case (nil, nil):
            if !context.isResourcePolicy || context.type == .resourceControl {
                context.report("MISSING_RESOURCE", .error, "Add a Resource or NotResource element.", at: path)
            }
        case (.some, .some):
            context.report("UNSUPPORTED_ELEMENT_COMBINATION", .error, "A statement cannot have both Resource and NotResource.",
                           at: path + [.key("NotResource")], nameOnly: true)
        case (let r?, nil):
            facts.hasResourceElement = true
            facts.resources = strings(r, at: path + [.key("Resource")], element: "Resource", &context)
        case (nil, let n?):
            facts.hasResourceElement = true
            facts.notResource = true
            facts.resources = strings(n, at: path + [.key("NotResource")], element: "NotResource", &context)
        }
        // Principal / NotPrincipal
        switch (object["Principal"], object["NotPrincipal"]) {
        case (nil, nil):
            if context.isResourcePolicy, context.type != .resourceControl {
                context.report("MISSING_PRINCIPAL", .error, "A resource policy statement must name a Principal.", at: path)
            }
        case (.some, .some):
            context.report("UNSUPPORTED_ELEMENT_COMBINATION", .error, "A statement cannot have both Principal and NotPrincipal.",
                           at: path + [.key("NotPrincipal")], nameOnly: true)
        case (let p?, nil): facts.principal = p
        case (nil, let n?):
            facts.principal = n
            facts.notPrincipal = true
        }
        if let condition = object["Condition"] {
            facts.conditions = ConditionChecks.parse(condition, at: path + [.key("Condition")], &context)
        }
        if facts.principal != nil {
            PrincipalChecks.run(facts, &context)
        }
        checkVariables(object, path: path, version: version, &context)
        ActionChecks.run(facts, &context)
        ResourceChecks.run(facts, &context)
        ConditionChecks.run(facts, &context)
        ResourcePolicyChecks.run(facts, &context)
        if context.type == .serviceControl { scpRules(facts, object, &context) }
        if context.isTrustPolicy, facts.hasResourceElement {
            context.report("ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE", .error, "A role trust policy must not have a Resource or NotResource element.",
                           at: facts.resourceElement, nameOnly: true)
        }
        return facts
    }

    /// The strings of an element that takes a string or an array of strings.
    static func strings(_ value: JSONValue, at path: [JSONPathElement], element: String, _ context: inout LintContext) -> [Located] {
        switch value {
        case .string(let s): return [Located(text: s, path: path)]
        case .array(let items):
            if items.isEmpty {
                let code = element.hasSuffix("Action") ? "EMPTY_ARRAY_ACTION" : element.hasSuffix("Resource") ? "EMPTY_ARRAY_RESOURCE" : "EMPTY_ARRAY_PRINCIPAL"
                context.report(code, .suggestion, "The \(element) array is empty, so this statement has no effect: add values or remove the statement.", at: path)
            }
            var out: [Located] = []
            for (i, item) in items.enumerated() {
                if let s = item.stringValue { out.append(Located(text: s, path: path + [.index(i)])) } else {
                    context.report("DATA_TYPE_MISMATCH", .error, "Each \(element) entry must be a string.", at: path + [.index(i)])
                }
            }
            return out
        default:
            context.report("DATA_TYPE_MISMATCH", .error, "The \(element) element must be a string or an array of strings.", at: path)
            return []
        }
    }

    /// The strings of a value that is a string or an array of them, without reporting anything.
    static func flat(_ value: JSONValue) -> [String] {
        switch value {
        case .string(let s): [s]
        case .array(let items): items.compactMap(\.stringValue)
        default: []
        }
    }

    static func scpRules(_ facts: StatementFacts, _ object: JSONObject, _ context: inout LintContext) {
        if facts.principal != nil {
            context.report("SCP_SYNTAX_ERROR_PRINCIPAL", .error, "A service control policy cannot name a Principal or NotPrincipal.",
                           at: facts.path + [.key(facts.notPrincipal ? "NotPrincipal" : "Principal")], nameOnly: true)
        }
        if facts.notResource {
            context.report("SCP_SYNTAX_ERROR_NOTRESOURCE", .error, "A service control policy cannot use NotResource.", at: facts.resourceElement, nameOnly: true)
        }
        if facts.effect == .allow, facts.notAction {
            context.report("SCP_SYNTAX_ERROR_ALLOW_NOTACTION", .error, "An Allow statement in a service control policy cannot use NotAction.",
                           at: facts.actionElement, nameOnly: true)
        }
        for action in facts.actions {
            if let star = action.text.firstIndex(of: "*"), action.text.index(after: star) != action.text.endIndex {
                context.report("SCP_SYNTAX_ERROR_ACTION_WILDCARD", .error,
                               "In a service control policy a wildcard may only end an action name: \(action.text).", at: action.path)
            }
        }
    }

    /// `${...}` policy variables: where they may appear and how they must be written.
    static func checkVariables(_ object: JSONObject, path: [JSONPathElement], version: String?, _ context: inout LintContext) {
        func visit(_ value: JSONValue, _ at: [JSONPathElement], element: String) {
            switch value {
            case .string(let s): check(s, at, element: element)
            case .array(let items): for (i, item) in items.enumerated() { visit(item, at + [.index(i)], element: element) }
            case .object(let o): for (k, v) in o.members { visit(v, at + [.key(k)], element: element) }
            default: break
            }
        }
        func check(_ text: String, _ at: [JSONPathElement], element: String) {
            guard text.contains("${") else { return }
            if version == "2008-10-17" || version == nil {
                context.report("VARIABLE_UNSUPPORTED_IN_VERSION", .error,
                               "Policy variables need Version 2012-10-17; with \(version ?? "no Version") \(text) is literal text.", at: at)
                return
            }
            if !["Resource", "NotResource", "Condition"].contains(element) {
                context.report("VARIABLE_UNSUPPORTED_IN_ELEMENT", .error, "Policy variables are supported only in Resource and Condition, not in \(element).", at: at)
                return
            }
            var rest = Substring(text)
            while let start = rest.range(of: "${") {
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                    context.report("MISSING_BRACE_IN_VARIABLE", .error, "The variable in \(text) has no closing brace.", at: at)
                    return
                }
                let body = rest[start.upperBound..<end]
                rest = rest[rest.index(after: end)...]
                if body.allSatisfy({ $0 == " " }) {
                    context.report("EMPTY_VARIABLE", .error, "The variable in \(text) is empty.", at: at)
                } else if let comma = body.firstIndex(of: ",") {
                    let fallback = body[body.index(after: comma)...].drop { $0 == " " }
                    if !(fallback.hasPrefix("'") && fallback.hasSuffix("'") && fallback.count >= 2) {
                        context.report("MISSING_QUOTE_IN_VARIABLE", .error, "The default value in \(text) must be in single quotes: ${key, 'default'}.", at: at)
                    }
                } else if body.contains(" ") {
                    context.report("UNSUPPORTED_SPACE_IN_VARIABLE", .error, "Remove the spaces inside the variable in \(text).", at: at)
                }
            }
        }
        for (key, value) in object.members where key != "Sid" && key != "Effect" { visit(value, path + [.key(key)], element: key) }
    }
}

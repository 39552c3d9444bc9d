import Foundation
import CofferCore

/// The Condition block: operators, keys against the dataset, value types, set qualifiers, and keys
/// that some of the statement's actions never carry.
enum ConditionChecks {
    static func parse(_ value: JSONValue, at path: [JSONPathElement], _ context: inout LintContext) -> [ConditionFacts] {
        guard let block = value.objectValue else {
            context.report("DATA_TYPE_MISMATCH", .error, "The Condition element must be an object of operators.", at: path)
            return []
        }
        if block.isEmpty { context.report("EMPTY_OBJECT_CONDITION", .suggestion, "The Condition object is empty; remove it.", at: path) }
        var out: [ConditionFacts] = []
        for (name, body) in block.members {
            let operatorPath = path + [.key(name)]
            let (qualifier, base, ifExists) = ConditionClause.splitOperator(name)
            guard ConditionClause.operators.contains(base) else {
                context.report("INVALID_CONDITION_OPERATOR", .error, "The condition operator \(name) is not valid.", at: operatorPath, nameOnly: true)
                continue
            }
            if base == "Null", ifExists {
                context.report("NULL_WITH_IF_EXISTS", .error, "The Null operator cannot take IfExists: it already tests whether the key exists.",
                               at: operatorPath, nameOnly: true)
            }
            if base == "Null", qualifier != .none {
                context.report("NULL_WITH_QUALIFIER", .suggestion, "Null with \(qualifier.rawValue) behaves as plain Null; remove the qualifier.",
                               at: operatorPath, nameOnly: true)
            }
            guard let keys = body.objectValue else {
                context.report("DATA_TYPE_MISMATCH", .error, "The body of \(name) must be an object of condition keys.", at: operatorPath)
                continue
            }
            var seen: [String: String] = [:]
            for (key, raw) in keys.members {
                let keyPath = operatorPath + [.key(key)]
                if let other = seen[key.lowercased()], other != key {
                    context.report("DUPLICATE_KEYS_WITH_DIFFERENT_CASE", .error,
                                   "The condition keys \(other) and \(key) differ only in case; IAM treats them as one key. Merge them.", at: keyPath, nameOnly: true)
                }
                seen[key.lowercased()] = key
                var values: [(value: JSONValue, path: [JSONPathElement])] = []
                switch raw {
                case .array(let items):
                    values = items.enumerated().map { ($0.element, keyPath + [.index($0.offset)]) }
                    if items.isEmpty {
                        let (code, why): (String, String) = switch (qualifier, ifExists) {
                        case (.forAllValues, _): ("EMPTY_ARRAY_CONDITION_FORALLVALUES", "ForAllValues with no values matches only requests without the key")
                        case (.forAnyValue, _): ("EMPTY_ARRAY_CONDITION_FORANYVALUE", "ForAnyValue with no values never matches")
                        case (_, true): ("EMPTY_ARRAY_CONDITION_IFEXISTS", "IfExists with no values matches only requests without the key")
                        default: ("EMPTY_ARRAY_CONDITION", "a condition with no values never matches")
                        }
                        context.report(code, .suggestion, "The condition key \(key) has no values: \(why).", at: keyPath)
                    }
                    let kinds = Set(items.map(\.typeName))
                    if kinds.count > 1 {
                        context.report("INVALID_CONDITION_DATA_TYPE", .error, "The values of \(key) mix JSON types (\(kinds.sorted().joined(separator: ", "))); use one type.", at: keyPath)
                    }
                    if base == "Bool", items.count > 1 {
                        context.report("INVALID_CONDITION_MULTIPLE_BOOLEAN", .error, "A Bool condition takes one value; \(key) has \(items.count).", at: keyPath)
                    }
                case .object, .null:
                    context.report("DATA_TYPE_MISMATCH", .error, "The value of condition key \(key) must be a string, number, boolean or an array of them.", at: keyPath)
                    continue
                default: values = [(raw, keyPath)]
                }
                for (item, at) in values where item.scalarText == nil {
                    context.report("DATA_TYPE_MISMATCH", .error, "Condition values must be strings, numbers or booleans.", at: at)
                }
                out.append(ConditionFacts(operatorName: name, base: base, qualifier: qualifier, ifExists: ifExists,
                                          key: Located(text: key, path: keyPath), values: values))
            }
        }
        return out
    }

    static func run(_ facts: StatementFacts, _ context: inout LintContext) {
        let keys = Set(facts.conditions.map { $0.key.text.lowercased() })
        for condition in facts.conditions {
            checkKey(condition, facts, &context)
            checkValues(condition, &context)
            if condition.key.text.lowercased() == "aws:vpcsourceip", !keys.contains("aws:sourcevpc"), !keys.contains("aws:sourcevpce") {
                context.report("MISSING_PAIRED_CONDITION_KEYS", .securityWarning,
                               "aws:VpcSourceIp alone matches the address in any VPC, including other accounts' VPCs: pair it with aws:SourceVpc or aws:SourceVpce.",
                               at: condition.key.path, nameOnly: true)
            }
            if condition.key.text.lowercased() == "aws:multifactorauthpresent", condition.base == "Bool", !condition.ifExists, facts.effect == .deny,
               condition.stringValues.contains(where: { $0.lowercased() == "false" }) {
                context.report("BAD_PATTERN_FOR_MFA", "Requests signed with long-term access keys carry no aws:MultiFactorAuthPresent, so Bool \"false\" never matches them and they escape this Deny. Use BoolIfExists.",
                               at: condition.operatorPath, level: nil)
            }
        }
        unsupportedActions(facts, &context)
    }

    /// The key's type, from the global table or the service's own keys; nil when unknown.
    static func keyType(_ key: String, _ context: LintContext) -> (type: String, multivalued: Bool)? {
        if key.lowercased().hasPrefix("aws:") {
            return GlobalConditionKeys.lookup(key).map { ($0.type, $0.multivalued) }
        }
        let prefix = String(key.prefix { $0 != ":" })
        guard let service = context.dataset.service(prefix), let entry = context.dataset.conditionKey(key, in: service) else { return nil }
        return (entry.type, entry.type.hasPrefix("ArrayOf"))
    }

    static func checkKey(_ condition: ConditionFacts, _ facts: StatementFacts, _ context: inout LintContext) {
        let key = condition.key.text, at = condition.key.path
        let parts = key.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            context.report("INVALID_CONDITION_KEY_FORMAT", .error, "The condition key \(key) must have the form service:keyname.", at: at, nameOnly: true)
            return
        }
        let prefix = parts[0].lowercased()
        if prefix == "aws" {
            if key.lowercased() == "aws:arn" {
                context.report("DEPRECATED_GLOBAL_CONDITION_KEY", .warning, "aws:ARN is deprecated: use aws:PrincipalArn.", at: at, nameOnly: true)
                return
            }
            let family = GlobalConditionKeys.tagFamilies.first { key.lowercased() == $0 || key.lowercased() == $0 + "/" }
            if let family {
                context.report("MISSING_TAG_KEY_IN_CONDITION", .error, "Name the tag after the slash: \(key.prefix(family.count))/TAG-KEY.", at: at, nameOnly: true)
                return
            }
            if GlobalConditionKeys.lookup(key) == nil {
                context.report("INVALID_GLOBAL_CONDITION_KEY", .error, "\(key) is not an AWS global condition key.", at: at, nameOnly: true)
                return
            }
        } else if let service = context.dataset.service(prefix), context.dataset.conditionKey(key, in: service) == nil {
            let hint = ActionChecks.closest(key, in: service.conditionKeys.values.map(\.key)).map { "; did you mean \($0)?" } ?? "."
            context.report("INVALID_SERVICE_CONDITION_KEY", .error, "\(key) is not a condition key of \(service.name)\(hint)", at: at, nameOnly: true)
            return
        }
        guard condition.base != "Null", let (type, multivalued) = keyType(key, context) else { return }
        if multivalued, condition.qualifier == .none {
            context.report("MISSING_QUALIFIER", .error,
                           "\(key) can hold several values in one request: say whether all of them (ForAllValues:\(condition.base)) or any of them (ForAnyValue:\(condition.base)) must match.",
                           at: condition.operatorPath, nameOnly: true)
        } else if !multivalued, condition.qualifier == .forAllValues {
            context.report("FORALLVALUES_WITH_SINGLE_VALUED_KEY", .securityWarning,
                           "ForAllValues on the single-valued key \(key) also matches requests without the key at all, which makes \(facts.effect == .deny ? "the Deny weaker" : "the Allow broader") than it reads. Drop the qualifier.",
                           at: condition.operatorPath, nameOnly: true)
        }
        let family = operatorFamily(condition.base)
        let base = type.hasPrefix("ArrayOf") ? String(type.dropFirst("ArrayOf".count)) : type
        let fits: Bool = switch base.lowercased() {
        case "string": family == "String"
        case "arn": family == "Arn" || family == "String"
        case "numeric", "long", "integer": family == "Numeric"
        case "date": family == "Date"
        case "bool", "boolean": family == "Bool"
        case "ipaddress": family == "IpAddress"
        case "binary": family == "Binary"
        default: true
        }
        if !fits {
            context.report("TYPE_MISMATCH", .warning, "\(key) holds \(base) values, but \(condition.operatorName) compares \(family) values; use an operator for \(base).",
                           at: condition.operatorPath, nameOnly: true)
        }
    }

    static func operatorFamily(_ base: String) -> String {
        for family in ["String", "Numeric", "Date", "Bool", "Binary", "IpAddress", "Arn"] where base.hasPrefix(family) { return family }
        return base == "NotIpAddress" ? "IpAddress" : base
    }

    static func checkValues(_ condition: ConditionFacts, _ context: inout LintContext) {
        let family = operatorFamily(condition.base)
        let key = condition.key.text.lowercased()
        var cidrs: [CIDR] = []
        for (value, at) in condition.values {
            guard let text = value.scalarText else { continue }
            if text.contains("${"), !["String", "Arn"].contains(family) {
                context.report("INVALID_VARIABLE_FOR_OPERATOR", .error, "Policy variables work only with String and Arn operators, not \(condition.operatorName).", at: at)
                continue
            }
            switch family {
            case "Bool" where !["true", "false"].contains(text.lowercased()):
                context.report("TYPE_MISMATCH_BOOLEAN", .warning, "\(condition.operatorName) takes true or false, not \(text).", at: at)
            case "Null" where !["true", "false"].contains(text.lowercased()):
                context.report("TYPE_MISMATCH_BOOLEAN", .warning, "Null takes true (the key is absent) or false (present), not \(text).", at: at)
            case "Numeric" where Double(text) == nil:
                context.report("TYPE_MISMATCH_NUMBER", .warning, "\(condition.operatorName) compares numbers; \(text) is not one.", at: at)
            case "Date" where ConditionClause.date(text) == nil:
                // Shaped like a date but not one (2026-13-01, 2026-02-30T25:00:00Z) is a different mistake from text that is no date at all.
                let dateShaped = text.count >= 10 && text.prefix(10).enumerated().allSatisfy { i, c in i == 4 || i == 7 ? c == "-" : c.isNumber }
                context.report(dateShaped ? "INVALID_DATE_VALUE" : "TYPE_MISMATCH_DATE", .warning,
                               dateShaped ? "\(text) is not a valid date, so \(condition.operatorName) never resolves it; check the month, day and time."
                                          : "\(condition.operatorName) compares dates; write \(text) as ISO 8601 (2026-01-31T00:00:00Z) or epoch seconds.",
                               at: at)
            case "Binary" where !isBase64(text):
                context.report("TYPE_MISMATCH_STRING", .warning, "BinaryEquals compares base64 text; \(text) is not base64.", at: at)
            case "IpAddress":
                if let cidr = CIDR(text) {
                    cidrs.append(cidr)
                    if cidr.hasHostBits {
                        context.report("IMPROVE_IP_RANGE", .suggestion, "\(text) has bits set beyond its prefix, which IAM ignores; write the network address.", at: at)
                    }
                } else {
                    context.report("TYPE_MISMATCH_IP_RANGE", .warning, "\(condition.operatorName) takes IP addresses or CIDR ranges; \(text) is neither.", at: at)
                }
            case "String", "Arn":
                let literal = text.replacingOccurrences("${*}", "").replacingOccurrences("${?}", "")
                if !condition.base.contains("Like"), literal.contains("*") || literal.contains("?") {
                    wildcardWithoutLike(condition, value: text, at: at, &context)
                }
            default: break
            }
            if key == "aws:sourcevpc", !text.contains("*"), !isResourceID(text, prefix: "vpc-") {
                context.report("INVALID_VPC_FORMAT", .error, "\(text) is not a VPC id (vpc- followed by 8 or 17 hexadecimal digits).", at: at)
            }
            if key == "aws:sourcevpce", !text.contains("*"), !isResourceID(text, prefix: "vpce-") {
                context.report("INVALID_VPCE_FORMAT", .error, "\(text) is not a VPC endpoint id (vpce- followed by 8 or 17 hexadecimal digits).", at: at)
            }
            if key == "aws:requestedregion", !text.contains("*"), !text.contains("?"), !ResourceChecks.isRegion(text) {
                context.report("INVALID_REGION", .error, "\(text) is not an AWS Region.", at: at)
            }
        }
        if ["NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"].contains(condition.base), condition.values.count > 1 {
            context.report("REDUNDANT_CONDITION_VALUE_NUM", .suggestion, "\(condition.operatorName) with several values behaves as the loosest one; keep one value.",
                           at: condition.key.path)
        }
        if key == "aws:sourceip", !cidrs.isEmpty {
            let negated = condition.base == "NotIpAddress"
            let privateCount = cidrs.filter(\.isPrivate).count
            if privateCount == cidrs.count {
                context.report(negated ? "PRIVATE_NOT_IP_ADDRESS" : "PRIVATE_IP_ADDRESS", .error,
                               "aws:SourceIp never holds a private address (requests through a VPC endpoint carry aws:VpcSourceIp instead), so this condition \(negated ? "always matches" : "never matches"). Use aws:VpcSourceIp with aws:SourceVpc.",
                               at: condition.key.path)
            } else if privateCount > 0 {
                context.report(negated ? "PRIVATE_NOT_IP_ADDRESS_SUBSET" : "PRIVATE_IP_ADDRESS_SUBSET", .suggestion,
                               "Some ranges of aws:SourceIp are private addresses, which it never holds; they have no effect.", at: condition.key.path)
            }
        }
    }

    /// Access Analyzer's WILDCARD_WITHOUT_LIKE_OPERATOR, confirmed by the evaluator: a request whose
    /// value fits the pattern is not matched by the equality operator, and is by its Like form.
    static func wildcardWithoutLike(_ condition: ConditionFacts, value: String, at: [JSONPathElement], _ context: inout LintContext) {
        let like = condition.base.replacingOccurrences("Equals", "Like")
        let sample = value.map { $0 == "*" ? "us-east-1" : $0 == "?" ? "x" : String($0) }.joined()
        let probe = RequestContext(principal: .root(account: "123456789012"), action: "probe:Probe", resource: "*", keys: [condition.key.text: [sample]])
        let literal = ConditionClause(qualifier: condition.qualifier, base: condition.base, ifExists: condition.ifExists, key: condition.key.text, values: [value])
        let globbing = ConditionClause(qualifier: condition.qualifier, base: like, ifExists: condition.ifExists, key: condition.key.text, values: [value])
        let confirmed = literal.holds(in: probe) != globbing.holds(in: probe)
        let outcome = condition.base.contains("Not") ? "always matches" : "never matches"
        context.report("WILDCARD_WITHOUT_LIKE_OPERATOR", .warning,
                       "\(condition.operatorName) compares \(condition.key.text) with \(value) literally: the * is not a wildcard here, so a request with \(sample) \(confirmed ? "does not match" : "is compared as text") and this value \(outcome) real requests. Use \(condition.qualifier == .none ? "" : condition.qualifier.rawValue + ":")\(like)\(condition.ifExists ? "IfExists" : "").",
                       at: at)
        if !context.fixes.contains(where: { if case .likeOperator(let p, _) = $0 { p == condition.operatorPath } else { false } }) {
            let replacement = (condition.qualifier == .none ? "" : condition.qualifier.rawValue + ":") + like + (condition.ifExists ? "IfExists" : "")
            context.fixes.append(.likeOperator(operatorPath: condition.operatorPath, replacement: replacement))
        }
    }

    /// Service condition keys that some of the statement's actions never carry, and tag keys that
    /// some services do not support.
    static func unsupportedActions(_ facts: StatementFacts, _ context: inout LintContext) {
        if facts.notAction {
            // NotAction reaches every service not listed, most of which ignore resource and request tags.
            for condition in facts.conditions where condition.base != "Null" {
                let lower = condition.key.text.lowercased()
                guard lower.hasPrefix("aws:resourcetag/") && lower.count > 16 || lower.hasPrefix("aws:requesttag/") && lower.count > 15 || lower == "aws:tagkeys"
                else { continue }
                let deny = facts.effect == .deny
                context.report(deny ? "DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE" : "ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
                               deny ? .securityWarning : .suggestion,
                               "NotAction covers services that do not support \(condition.key.text), so this \(deny ? "Deny does not apply to their actions" : "Allow never allows their actions"). List the actions instead.",
                               at: condition.key.path, nameOnly: true)
            }
            return
        }
        // Every action of every service says nothing about which ones the author meant.
        let named = facts.actions.filter { !$0.text.hasPrefix("*") && !($0.text.split(separator: ":").first?.contains("*") ?? true) }
        let actions = named.flatMap { context.dataset.actions(matching: $0.text) }
        guard !actions.isEmpty else { return }
        for condition in facts.conditions where condition.base != "Null" {
            let key = condition.key.text
            let lower = key.lowercased()
            if lower.hasPrefix("aws:") {
                guard lower.hasPrefix("aws:resourcetag/") && lower.count > 16 || lower.hasPrefix("aws:requesttag/") && lower.count > 15
                    || lower == "aws:tagkeys" else { continue }
                let unsupported = Set(actions.map(\.service)).filter { prefix in
                    guard let service = context.dataset.service(prefix) else { return false }
                    return !service.conditionKeys.values.contains { IAMDataset.keyMatches(template: $0.key, key) }
                }.sorted()
                guard !unsupported.isEmpty else { continue }
                let deny = facts.effect == .deny
                context.report(deny ? "DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE" : "ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
                               deny ? .securityWarning : .suggestion,
                               "\(unsupported.prefix(8).joined(separator: ", "))\(unsupported.count > 8 ? " and \(unsupported.count - 8) more services" : "") do not support \(key), so this \(deny ? "Deny does not apply to their actions" : "Allow never allows their actions").",
                               at: condition.key.path, nameOnly: true)
                continue
            }
            let prefix = String(lower.prefix { $0 != ":" })
            guard context.dataset.service(prefix) != nil else { continue }
            let missing = actions.filter { !context.dataset.supportsConditionKey(key, action: $0) }
            guard !missing.isEmpty else { continue }
            let names = missing.map(\.fullName).sorted()
            let absentMatches = condition.ifExists || condition.base.contains("Not") || condition.qualifier == .forAllValues
            let them = missing.count == 1 ? "it" : "them"
            let effect: String = switch (facts.effect, absentMatches) {
            case (.deny?, true): "this Deny applies to \(them) whatever the request says"
            case (.deny?, false): "this Deny never applies to \(them)"
            case (_, true): "the condition does not restrict \(them)"
            case (_, false): "\(condition.operatorName) never matches for \(them) and this statement never allows \(them)"
            }
            context.report("UNSUPPORTED_ACTION_FOR_CONDITION_KEY", .error,
                           "\(key) is never present in requests for \(names.joined(separator: ", ")), so \(effect). Move \(missing.count == 1 ? "it" : "them") to a statement without this condition, or remove \(missing.count == 1 ? "it" : "them").",
                           at: condition.key.path, nameOnly: true)
            if facts.effect == .allow, !absentMatches, missing.count < actions.count {
                let explicit = facts.actions.map(\.text).filter { text in missing.contains { Glob.equalIgnoringCase($0.fullName, text) } }
                if !explicit.isEmpty {
                    context.fixes.append(.moveActions(statement: facts.path, actions: explicit, resource: nil, dropCondition: true,
                                                      reason: "moved \(explicit.joined(separator: ", ")) out of the statement whose \(key) condition never matches for \(explicit.count == 1 ? "it" : "them")"))
                }
            }
        }
    }

    static func isBase64(_ text: String) -> Bool {
        text.utf8.count % 4 == 0 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=") }
    }

    static func isResourceID(_ text: String, prefix: String) -> Bool {
        guard text.hasPrefix(prefix) else { return false }
        let rest = text.dropFirst(prefix.count)
        return (rest.count == 8 || rest.count == 17) && rest.allSatisfy(\.isHexDigit)
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = "", rest = Substring(self)
        while let range = rest.range(of: target) {
            out += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}

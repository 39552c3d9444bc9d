public import Foundation

/// One operator-key pair of a Condition block, with its values.
public struct ConditionClause: Sendable, Equatable {
    public enum SetQualifier: String, Sendable { case none, forAnyValue = "ForAnyValue", forAllValues = "ForAllValues" }

    public var qualifier: SetQualifier
    public var base: String {
        didSet { (isNegated, substitutesVariables) = Self.traits(of: base) }
    }
    /// Whether the operator holds when the value matches none of the policy's values, and whether its
    /// values take policy variables: decided once from the operator, not on every evaluation (which
    /// built an array of the negated operators' names each time it asked).
    public private(set) var isNegated: Bool
    public private(set) var substitutesVariables: Bool
    public var ifExists: Bool
    public var key: String
    public var values: [String]
    /// False under a policy Version without variables: values are compared as written.
    public var variablesEnabled = true

    public init(qualifier: SetQualifier = .none, base: String, ifExists: Bool = false, key: String, values: [String]) {
        self.qualifier = qualifier
        self.base = base
        (isNegated, substitutesVariables) = Self.traits(of: base)
        self.ifExists = ifExists
        self.key = key
        self.values = values
    }

    public static let operators: Set<String> = [
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
        "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
        "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnNotEquals", "ArnLike",
        "ArnNotLike", "Null",
    ]

    /// Operators that hold when the value matches none of the policy's values.
    private static let negatedOperators: Set<String> = [
        "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals", "NotIpAddress",
        "ArnNotEquals", "ArnNotLike",
    ]

    private static func traits(of base: String) -> (negated: Bool, substitutesVariables: Bool) {
        (negatedOperators.contains(base), base.hasPrefix("String") || base.hasPrefix("Arn"))
    }

    static func parse(_ value: JSONValue?) throws(CofferError) -> [ConditionClause] {
        guard let value else { return [] }
        guard let block = value.objectValue else { throw PolicyDocument.malformed("Syntax errors in policy.") }
        var clauses: [ConditionClause] = []
        // An operator with nothing under it holds no condition: IAM accepts it whatever its name.
        for (name, body) in block.members where body.objectValue?.isEmpty != true {
            let (qualifier, base, ifExists) = splitOperator(name)
            guard operators.contains(base), !(base == "Null" && ifExists) else {
                throw PolicyDocument.malformed("Invalid Condition type : \(name).")
            }
            guard let keys = body.objectValue, !keys.isEmpty else { throw PolicyDocument.malformed("Syntax errors in policy.") }
            for (key, raw) in keys.members {
                let values: [String]
                switch raw {
                case .array(let items): values = try items.map { item throws(CofferError) in try scalar(item) }
                default: values = [try scalar(raw)]
                }
                clauses.append(ConditionClause(qualifier: qualifier, base: base, ifExists: ifExists, key: key, values: values))
            }
        }
        return clauses
    }

    /// `ForAllValues:StringLikeIfExists` as its set qualifier, base operator and IfExists.
    public static func splitOperator(_ name: String) -> (qualifier: SetQualifier, base: String, ifExists: Bool) {
        var rest = Substring(name)
        var qualifier = SetQualifier.none
        for q in [SetQualifier.forAnyValue, .forAllValues] where rest.hasPrefix(q.rawValue + ":") {
            qualifier = q
            rest = rest.dropFirst(q.rawValue.count + 1)
        }
        var ifExists = false
        if rest.hasSuffix("IfExists"), rest != "IfExists" {
            ifExists = true
            rest = rest.dropLast("IfExists".count)
        }
        return (qualifier, String(rest), ifExists)
    }

    static func scalar(_ value: JSONValue) throws(CofferError) -> String {
        switch value {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        default: throw PolicyDocument.malformed("Syntax errors in policy.")
        }
    }

    // MARK: Evaluation

    /// Whether the clause holds for `context`. Variables in values are substituted first; a value
    /// whose variable has no value in the context matches nothing.
    public func holds(in context: RequestContext) -> Bool {
        let present = context.values(for: key)
        if base == "Null" {
            let wantsAbsent = values.contains { $0.lowercased() == "true" }
            let wantsPresent = values.contains { $0.lowercased() == "false" }
            return (wantsAbsent && present == nil) || (wantsPresent && present != nil)
        }
        let policyValues = substitutesVariables && variablesEnabled ? values.compactMap { PolicyVariables.substitute($0, in: context) } : values
        guard let present else {
            if ifExists { return true }
            switch qualifier {
            case .forAllValues: return true
            case .forAnyValue: return false
            case .none: return isNegated
            }
        }
        switch qualifier {
        case .forAnyValue:
            return present.contains { matchesPositive($0, policyValues) != isNegated }
        case .forAllValues:
            return present.allSatisfy { matchesPositive($0, policyValues) != isNegated }
        case .none:
            // A single-valued operator on a multi-valued key holds if any value satisfies it.
            if isNegated { return !present.contains { matchesPositive($0, policyValues) } }
            return present.contains { matchesPositive($0, policyValues) }
        }
    }


    /// Whether `value` matches any of the policy values under the operator's positive form.
    func matchesPositive(_ value: String, _ policyValues: [String]) -> Bool {
        policyValues.contains { candidate in
            switch base {
            case "StringEquals", "StringNotEquals": return value == Glob.plain(candidate)
            case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase": return value.lowercased() == Glob.plain(candidate).lowercased()
            case "StringLike", "StringNotLike": return Glob.matches(candidate, value)
            case "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
                "NumericGreaterThanEquals":
                guard let lhs = Double(value), let rhs = Double(candidate) else { return false }
                return compare(lhs, rhs)
            case "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals":
                guard let lhs = Self.date(value), let rhs = Self.date(candidate) else { return false }
                return compare(lhs.timeIntervalSince1970, rhs.timeIntervalSince1970)
            case "Bool": return value.lowercased() == candidate.lowercased()
            case "BinaryEquals": return value == candidate
            case "IpAddress", "NotIpAddress": return CIDR(candidate)?.contains(value) ?? false
            case "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike": return Glob.matchesARN(pattern: candidate, value)
            default: return false
            }
        }
    }

    func compare(_ lhs: Double, _ rhs: Double) -> Bool {
        switch base {
        case "NumericLessThan", "DateLessThan": lhs < rhs
        case "NumericLessThanEquals", "DateLessThanEquals": lhs <= rhs
        case "NumericGreaterThan", "DateGreaterThan": lhs > rhs
        case "NumericGreaterThanEquals", "DateGreaterThanEquals": lhs >= rhs
        default: lhs == rhs
        }
    }

    /// ISO 8601 dates (with or without time and fractional seconds) or epoch seconds.
    public static func date(_ text: String) -> Date? {
        if let epoch = Double(text) { return Date(timeIntervalSince1970: epoch) }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime], [.withFullDate]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}

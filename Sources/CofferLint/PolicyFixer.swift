import CofferCore

/// Derives a narrower, working policy from the findings that have a mechanical fix: equality
/// operators with wildcard values become their Like forms; actions a statement can never allow
/// (a condition key they never carry, a resource they do not take) move to statements of their own.
enum PolicyFixer {
    static func suggest(_ root: JSONValue, findings: [LintFinding], context: LintContext) -> (policy: String, changes: [String])? {
        guard !context.fixes.isEmpty, case .object(var document) = root else { return nil }
        var changes: [String] = []
        var statements: [JSONValue]
        var single = false
        switch document["Statement"] {
        case .array(let list)?: statements = list
        case .object(let one)?: statements = [.object(one)]; single = true
        default: return nil
        }
        func index(_ path: [JSONPathElement]) -> Int? {
            if single { return 0 }
            guard path.count >= 2, case .index(let i) = path[1] else { return nil }
            return i
        }
        // Renames first: they do not move anything.
        for fix in context.fixes {
            guard case .likeOperator(let path, let replacement) = fix, let i = index(path), case .key(let name)? = path.last,
                  case .object(var statement) = statements[i], case .object(var condition)? = statement["Condition"],
                  let body = condition[name] else { continue }
            condition[name] = nil
            if case .object(var existing)? = condition[replacement], case .object(let moved) = body {
                for (k, v) in moved.members { existing[k] = v }
                condition[replacement] = .object(existing)
            } else {
                condition[replacement] = body
            }
            statement["Condition"] = .object(condition)
            statements[i] = .object(statement)
            changes.append("statement \(i + 1)\(sid(statement)): \(name) -> \(replacement), so that its wildcard values match")
        }
        var appended: [JSONValue] = []
        for fix in context.fixes {
            guard case .moveActions(let path, let actions, let resource, let dropCondition, let reason) = fix, let i = index(path),
                  case .object(var statement) = statements[i] else { continue }
            let listed: [String] = switch statement["Action"] {
            case .string(let s)?: [s]
            case .array(let a)?: a.compactMap(\.stringValue)
            default: []
            }
            let remaining = listed.filter { entry in !actions.contains { Glob.equalIgnoringCase($0, entry) } }
            var moved = statement
            moved["Action"] = actions.count == 1 ? .string(actions[0]) : .array(actions.map(JSONValue.string))
            if let resource { moved["Resource"] = .string(resource) }
            if dropCondition { moved["Condition"] = nil }
            if remaining.isEmpty {
                statements[i] = .object(moved)
            } else {
                statement["Action"] = remaining.count == 1 ? .string(remaining[0]) : .array(remaining.map(JSONValue.string))
                statements[i] = .object(statement)
                if let old = statement["Sid"]?.stringValue { moved["Sid"] = .string(old + (resource != nil ? "AnyResource" : "Unconditional")) }
                appended.append(.object(moved))
            }
            changes.append("statement \(i + 1)\(sid(statement)): \(reason)")
        }
        guard !changes.isEmpty else { return nil }
        document["Statement"] = single && appended.isEmpty ? statements[0] : .array(statements + appended)
        if document["Version"] == nil { document["Version"] = .string("2012-10-17") }
        return (JSONWriter.pretty(.object(document)), changes)
    }

    static func sid(_ statement: JSONObject) -> String { statement["Sid"]?.stringValue.map { " (\($0))" } ?? "" }
}

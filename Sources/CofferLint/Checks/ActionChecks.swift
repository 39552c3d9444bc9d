import CofferCore

/// Action and NotAction: every entry must name actions that exist; PassRole and
/// CreateServiceLinkedRole breadth as Access Analyzer reports it; redundancy.
enum ActionChecks {
    static func run(_ facts: StatementFacts, _ context: inout LintContext) {
        for action in facts.actions { check(action, &context) }
        // One entry covered by another wildcard entry of the same statement.
        for (i, action) in facts.actions.enumerated() where !isWildcard(action.text) {
            if let first = facts.actions[..<i].first(where: { Glob.equalIgnoringCase($0.text, action.text) }) {
                context.report("REDUNDANT_ACTION", .suggestion, "\(action.text) repeats \(first.text) (action names ignore case); remove it.", at: action.path)
            } else if let cover = facts.actions.first(where: { $0.path != action.path && isWildcard($0.text) && Glob.matchesAction($0.text, action.text) }) {
                context.report("REDUNDANT_ACTION", .suggestion, "\(action.text) is already covered by \(cover.text) in the same statement; remove it.", at: action.path)
            }
        }
        breadth(facts, action: "iam:PassRole", codePrefix: "PASS_ROLE", level: .securityWarning, &context)
        breadth(facts, action: "iam:CreateServiceLinkedRole", codePrefix: "CREATE_SLR", level: .warning, &context)
    }

    static func isWildcard(_ text: String) -> Bool { text.contains("*") || text.contains("?") }

    static func check(_ action: Located, _ context: inout LintContext) {
        let text = action.text
        if text == "*" { return }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            context.report("INVALID_ACTION", .error, "The action \(text) must have the form service:ActionName.", at: action.path)
            return
        }
        let prefix = String(parts[0]), name = String(parts[1])
        if isWildcard(prefix) {
            let matches = context.dataset.services.keys.filter { Glob.matches(prefix.lowercased(), $0) }.sorted()
            context.report("WILDCARD_IN_SERVICE_NAME", .suggestion,
                           "The service prefix \(prefix) is a wildcard matching \(matches.count) services\(matches.isEmpty ? "" : " (\(matches.prefix(5).joined(separator: ", "))\(matches.count > 5 ? ", ..." : ""))"); name the services.",
                           at: action.path)
            return
        }
        guard let service = context.dataset.service(prefix) else {
            context.report("INVALID_SERVICE_IN_ACTION", .error, "The service prefix \(prefix) in \(text) is not an AWS service\(closest(prefix, in: Array(context.dataset.services.keys)).map { "; did you mean \($0)?" } ?? ".")",
                           at: action.path)
            return
        }
        if isWildcard(name) {
            if context.dataset.actions(matching: text).isEmpty {
                context.report("INVALID_ACTION", .error, "The action pattern \(text) matches no \(service.name) action.", at: action.path)
            }
        } else if service.action(name) == nil {
            let names = service.actions.values.map(\.name)
            context.report("INVALID_ACTION", .error, "The action \(text) does not exist\(closest(name, in: names).map { "; did you mean \(prefix):\($0)?" } ?? ".")",
                           at: action.path)
        }
    }

    /// The nearest name by edit distance, when it is near enough to be a typo.
    static func closest(_ word: String, in candidates: [String]) -> String? {
        let lower = Array(word.lowercased())
        var best: (String, Int)?
        for candidate in candidates {
            let c = Array(candidate.lowercased())
            guard abs(c.count - lower.count) <= 3 else { continue }
            let d = distance(lower, c)
            if d <= max(1, lower.count / 4), best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let old = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = old
            }
        }
        return row[b.count]
    }

    /// Access Analyzer's PASS_ROLE_* and CREATE_SLR_* codes: the action reachable with `*` or NotResource.
    static func breadth(_ facts: StatementFacts, action: String, codePrefix: String, level: LintLevel, _ context: inout LintContext) {
        guard facts.effect == .allow, !facts.resources.isEmpty || facts.notResource else { return }
        let named = facts.actions.contains { Glob.equalIgnoringCase($0.text, action) }
        let viaWildcard = !named && facts.actions.contains { isWildcard($0.text) && Glob.matchesAction($0.text, action) }
        let viaNotAction = facts.notAction && !facts.actions.contains { Glob.matchesAction($0.text, action) }
        let starResource = !facts.notResource && facts.resources.contains { $0.text == "*" }
        let code: String?
        if facts.notAction {
            guard viaNotAction else { return }
            code = facts.notResource ? "\(codePrefix)_WITH_NOT_ACTION_AND_NOT_RESOURCE" : starResource ? "\(codePrefix)_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION" : nil
        } else if named {
            code = facts.notResource ? "\(codePrefix)_WITH_NOT_RESOURCE" : starResource ? "\(codePrefix)_WITH_STAR_IN_RESOURCE" : nil
        } else if viaWildcard {
            code = facts.notResource ? "\(codePrefix)_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE" : starResource ? "\(codePrefix)_WITH_STAR_IN_ACTION_AND_RESOURCE" : nil
        } else {
            return
        }
        guard let code else { return }
        let what = action == "iam:PassRole"
            ? "iam:PassRole on every role lets the caller hand any role, including administrator roles, to a service it controls. Name the roles in Resource, and add an iam:PassedToService condition."
            : "iam:CreateServiceLinkedRole on every resource lets the caller create any service's linked role. Name the roles in Resource or add an iam:AWSServiceName condition."
        context.report(code, level, what, at: facts.notResource || starResource ? facts.resourceElement : facts.actionElement)
    }

    /// Statements that grant the same thing as an earlier one.
    static func redundancy(_ statements: [StatementFacts], _ context: inout LintContext) {
        for (i, s) in statements.enumerated() {
            guard let earlier = statements[..<i].first(where: {
                $0.effect == s.effect && $0.notAction == s.notAction && $0.notResource == s.notResource
                    && Set($0.actions.map { $0.text.lowercased() }) == Set(s.actions.map { $0.text.lowercased() })
                    && Set($0.resources.map(\.text)) == Set(s.resources.map(\.text)) && $0.principal == s.principal
                    && $0.conditions.map { "\($0.operatorName)|\($0.key.text)|\($0.stringValues)" } == s.conditions.map { "\($0.operatorName)|\($0.key.text)|\($0.stringValues)" }
            }) else { continue }
            context.report("REDUNDANT_STATEMENT", .suggestion, "This statement grants exactly what statement \(earlier.number + 1) grants; remove one.", at: s.path)
        }
    }
}

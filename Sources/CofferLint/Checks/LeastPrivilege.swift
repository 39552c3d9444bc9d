import CofferCore

/// Least-privilege findings decided by Coffer's own evaluator: each question is a request put to
/// `PolicyEvaluator` against the whole document, so Deny statements, NotAction, NotResource,
/// wildcards and conditions count as they do at request time.
enum LeastPrivilege {
    static let account = "123456789012"
    static let probe = PrincipalIdentity(kind: .user, arn: "arn:aws:iam::123456789012:user/coffer-lint-probe", account: "123456789012")
    static let outsider = PrincipalIdentity(kind: .user, arn: "arn:aws:iam::999999999999:user/anyone", account: "999999999999")

    /// How far a policy lets an action reach.
    enum Reach: Equatable {
        /// On any resource of its type, with no condition to meet.
        case unrestricted(statement: Int)
        /// Only on named resources or when conditions hold.
        case scoped(statement: Int)
        case none
    }

    /// `text` holds exactly `statements`, in order, so the evaluator's statement index i is statements[i].
    static func run(_ text: String, statements: [StatementFacts], _ context: inout LintContext) {
        if context.isResourcePolicy {
            publicAccess(text, statements: statements, &context)
            return
        }
        guard context.type == .identity, let document = try? PolicyDocument.parse(text, kind: .identity) else { return }
        let policies = PolicySet(identity: [NamedPolicy(name: "policy", document: document)])
        var analysis = Analysis(policies: policies, statements: statements, dataset: context.dataset)
        statementShapes(&analysis, &context)
        administrator(&analysis, &context)
        secretData(&analysis, &context)
        credentials(&analysis, &context)
        permissionsManagement(&analysis, &context)
        escalation(&analysis, &context)
        passRole(&analysis, &context)
    }

    /// The evaluator's answers, cached per action.
    struct Analysis {
        let policies: PolicySet
        let statements: [StatementFacts]
        let dataset: IAMDataset
        var cache: [String: Reach] = [:]

        mutating func reach(_ action: String) -> Reach {
            if let known = cache[action] { return known }
            let answer = compute(action)
            cache[action] = answer
            return answer
        }

        func compute(_ action: String) -> Reach {
            let open = RequestContext(principal: LeastPrivilege.probe, action: action, resource: probeResource(action))
            if case .allow(let by) = PolicyEvaluator.evaluate(open, policies), let first = by.first {
                return .unrestricted(statement: statements[first.index].number)
            }
            // Scoped: try each allowing statement with a request shaped to fit it.
            for statement in statements where statement.effect == .allow && statement.matches(action) {
                var request = RequestContext(principal: LeastPrivilege.probe, action: action,
                                             resource: statement.notResource ? probeResource(action) : concrete(statement.resources.first?.text ?? "*"))
                for condition in statement.conditions where !condition.base.contains("Not") && condition.base != "Null" {
                    if let value = condition.stringValues.first { request.set(condition.key.text, concrete(value)) }
                }
                if PolicyEvaluator.evaluate(request, policies).isAllowed { return .scoped(statement: statement.number) }
            }
            return .none
        }

        /// A resource of the action's type that no policy names: `secret:coffer-lint-probe`.
        func probeResource(_ action: String) -> String {
            guard let info = dataset.actions(matching: action).first, let service = dataset.service(info.service) else { return "*" }
            let type = info.resourceTypes.first(where: \.required) ?? info.resourceTypes.first
            guard let type, let template = service.resourceTypes[type.name]?.arnTemplate else { return "*" }
            return template.replacingOccurrences("${Partition}", "aws").replacingOccurrences("${Region}", "us-east-1")
                .replacingOccurrences("${Account}", LeastPrivilege.account).replacingVariables(with: "coffer-lint-probe")
        }

        func concrete(_ pattern: String) -> String {
            pattern.replacingVariables(with: "probe").map { $0 == "*" ? "probe" : $0 == "?" ? "p" : String($0) }.joined()
        }
    }

    static func statementPath(_ index: Int, _ analysis: Analysis) -> StatementFacts? { analysis.statements.first { $0.number == index } }

    /// The entry of the statement's Action list that grants `action`, or the list itself.
    static func location(of action: String, in index: Int, _ analysis: Analysis) -> [JSONPathElement] {
        guard let statement = statementPath(index, analysis) else { return [] }
        if !statement.notAction, let entry = statement.actions.first(where: { Glob.matchesAction($0.text, action) }) { return entry.path }
        return statement.actionElement
    }

    static func statementShapes(_ analysis: inout Analysis, _ context: inout LintContext) {
        for statement in analysis.statements where statement.effect == .allow {
            if statement.notAction {
                let excluded = statement.actions.map(\.text)
                context.report("ALLOW_WITH_NOT_ACTION",
                               "Allow with NotAction grants every action except \(excluded.joined(separator: ", ")), across all services, including ones added in future. List the actions to allow instead.",
                               at: statement.actionElement, level: statement.conditions.isEmpty ? nil : .warning)
            }
            if statement.notResource {
                context.report("ALLOW_WITH_NOT_RESOURCE",
                               "Allow with NotResource grants the actions on every resource except those listed, including resources created later. List the resources to allow instead.",
                               at: statement.resourceElement, level: statement.conditions.isEmpty ? nil : .warning)
            }
            guard statement.conditions.isEmpty, !statement.notAction else { continue }
            let onEverything = statement.notResource || statement.resources.contains { $0.text == "*" }
            for action in statement.actions where action.text != "*" {
                let parts = action.text.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                if parts[1] == "*" {
                    context.report("SERVICE_WILDCARD",
                                   "\(action.text) grants every \(analysis.dataset.service(String(parts[0]))?.name ?? String(parts[0])) action, including ones added later\(onEverything ? ", on every resource" : ""). List the actions needed.",
                                   at: action.path)
                } else if ActionChecks.isWildcard(action.text), onEverything {
                    let writes = analysis.dataset.actions(matching: action.text).filter { $0.level == .write || $0.level == .permissionsManagement }
                    if !writes.isEmpty {
                        context.report("WILDCARD_WRITE_ACCESS",
                                       "\(action.text) grants \(writes.count) write or permissions-management actions on every resource (\(writes.map(\.fullName).sorted().prefix(4).joined(separator: ", "))\(writes.count > 4 ? ", ..." : "")). List the actions and resources needed.",
                                       at: action.path)
                    }
                }
            }
        }
    }

    static func administrator(_ analysis: inout Analysis, _ context: inout LintContext) {
        var statements = Set<Int>()
        for action in RiskyActions.administratorSample {
            guard case .unrestricted(let index) = analysis.reach(action) else { return }
            statements.insert(index)
        }
        for index in statements.sorted() {
            context.report("FULL_ADMINISTRATOR_ACCESS",
                           "This statement grants every action on every resource (administrator access). Grant administrators a role they assume with MFA, and everyone else the actions they need.",
                           at: statementPath(index, analysis)?.path ?? [])
        }
    }

    static func secretData(_ analysis: inout Analysis, _ context: inout LintContext) {
        var byStatement: [Int: [(action: String, noun: String, example: String)]] = [:]
        for entry in RiskyActions.secretData {
            if case .unrestricted(let index) = analysis.reach(entry.action) { byStatement[index, default: []].append(entry) }
        }
        for (index, entries) in byStatement.sorted(by: { $0.key < $1.key }) {
            let grants = entries.map { "\($0.action) on \($0.noun)" }.joined(separator: ", ")
            var examples: [String] = []
            for entry in entries where !examples.contains(entry.example) { examples.append(entry.example) }
            context.report("SECRET_DATA_ON_ALL_RESOURCES",
                           "The policy allows \(grants) of the account, with no condition. Name the resources (\(examples.joined(separator: ", "))) or add conditions.",
                           at: entries.count == 1 ? location(of: entries[0].action, in: index, analysis) : statementPath(index, analysis)?.actionElement ?? [])
        }
    }

    static func credentials(_ analysis: inout Analysis, _ context: inout LintContext) {
        var byStatement: [Int: [String]] = [:]
        for action in RiskyActions.credentials {
            if case .unrestricted(let index) = analysis.reach(action) { byStatement[index, default: []].append(action) }
        }
        for (index, actions) in byStatement.sorted(by: { $0.key < $1.key }) {
            context.report("CREDENTIALS_EXPOSURE",
                           "The policy allows actions that return credentials on every resource: \(actions.joined(separator: ", ")). Limit them to the users or roles concerned.",
                           at: actions.count == 1 ? location(of: actions[0], in: index, analysis) : statementPath(index, analysis)?.actionElement ?? [])
        }
    }

    static func permissionsManagement(_ analysis: inout Analysis, _ context: inout LintContext) {
        var byStatement: [Int: [String]] = [:]
        let candidates = Set(analysis.statements.filter { $0.effect == .allow }.flatMap { statement in
            statement.notAction ? analysis.dataset.services.values.filter { ["iam", "kms", "secretsmanager", "ssm", "sts", "s3"].contains($0.prefix) }
                .flatMap { $0.actions.values } : statement.actions.flatMap { analysis.dataset.actions(matching: $0.text) }
        }.filter { $0.level == .permissionsManagement }.map(\.fullName))
        for action in candidates.sorted() {
            if case .unrestricted(let index) = analysis.reach(action) { byStatement[index, default: []].append(action) }
        }
        for (index, actions) in byStatement.sorted(by: { $0.key < $1.key }) {
            context.report("PERMISSIONS_MANAGEMENT_ON_ALL_RESOURCES",
                           "The policy allows \(actions.count) permissions-management action\(actions.count == 1 ? "" : "s") on every resource (\(actions.prefix(6).joined(separator: ", "))\(actions.count > 6 ? ", ..." : "")): whoever holds it can change who may do what. Name the resources.",
                           at: statementPath(index, analysis)?.actionElement ?? [])
        }
    }

    static func escalation(_ analysis: inout Analysis, _ context: inout LintContext) {
        for method in RiskyActions.escalations {
            let reaches = method.actions.map { analysis.reach($0) }
            guard !reaches.contains(.none) else { continue }
            let scoped = zip(method.actions, reaches).compactMap { pair -> String? in if case .scoped = pair.1 { pair.0 } else { nil } }
            let index: Int = switch reaches[0] {
            case .unrestricted(let i), .scoped(let i): i
            case .none: 0
            }
            let how = method.actions.count == 1 ? method.actions[0] : method.actions.joined(separator: " + ")
            let detail = scoped.isEmpty
                ? "on any resource"
                : "though \(scoped.joined(separator: ", ")) \(scoped.count == 1 ? "is" : "are") limited to named resources or conditions; check those cannot reach more privileged principals"
            context.report("PRIVILEGE_ESCALATION",
                           "Privilege escalation (\(method.name)): the policy allows \(how) \(detail). A holder can use \(method.actions.count == 1 ? "it" : "them together") to gain permissions the policy does not grant.",
                           at: location(of: method.actions[0], in: index, analysis), level: scoped.isEmpty ? .securityWarning : .warning)
        }
    }

    static func passRole(_ analysis: inout Analysis, _ context: inout LintContext) {
        for statement in analysis.statements where statement.effect == .allow && !statement.notAction && statement.matches("iam:PassRole") {
            let star = statement.notResource || statement.resources.contains { $0.text == "*" }
            guard !star, !statement.conditions.contains(where: { $0.key.text.lowercased() == "iam:passedtoservice" }) else { continue }
            guard analysis.reach("iam:PassRole") != .none else { continue }
            context.report("PASS_ROLE_WITHOUT_SERVICE_CONDITION",
                           "iam:PassRole has no iam:PassedToService condition, so these roles can be passed to any service (including ones that run the caller's code). Add the services that need them.",
                           at: statement.actions.first { Glob.matchesAction($0.text, "iam:PassRole") }?.path ?? statement.actionElement)
        }
    }

    /// Resource policies: does any statement let a principal of another account in, with no condition?
    static func publicAccess(_ text: String, statements: [StatementFacts], _ context: inout LintContext) {
        guard let document = try? PolicyDocument.parse(text, kind: .resource) else { return }
        let policies = PolicySet(resource: NamedPolicy(name: "policy", document: document))
        for statement in statements where statement.effect == .allow && !statement.notAction {
            guard let action = statement.actions.first.map(\.text) else { continue }
            let concrete = action.map { $0 == "*" ? "Probe" : String($0) }.joined()
            let name = concrete == "Probe" ? "secretsmanager:GetSecretValue" : concrete
            let resource = statement.resources.first.map { $0.text.map { $0 == "*" || $0 == "?" ? "p" : String($0) }.joined() } ?? "*"
            let request = RequestContext(principal: outsider, action: name, resource: statement.resources.contains { $0.text == "*" } ? "*" : resource)
            guard PolicyEvaluator.evaluate(request, policies).isAllowed else { continue }
            context.report("PUBLIC_ACCESS",
                           "This statement lets any AWS principal, in any account, perform \(statement.actions.map(\.text).joined(separator: ", ")) with no condition. Name the principals, or add aws:PrincipalOrgID or aws:SourceAccount conditions.",
                           at: statement.path + [.key(statement.notPrincipal ? "NotPrincipal" : "Principal")])
        }
    }
}

extension StatementFacts {
    func matches(_ action: String) -> Bool {
        let listed = actions.contains { Glob.matchesAction($0.text, action) }
        return notAction ? !listed : listed
    }
}

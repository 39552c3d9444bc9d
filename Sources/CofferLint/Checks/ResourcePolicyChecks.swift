import CofferCore

/// What each kind of resource policy may say: the actions, resources and condition keys that mean
/// something on a secret, a key or a role's trust policy, and the actions some keys need beside them.
enum ResourcePolicyChecks {
    static let trustActions = ["sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity", "sts:tagsession",
                               "sts:setsourceidentity", "sts:setcontext"]

    static func run(_ facts: StatementFacts, _ context: inout LintContext) {
        let prefix: String? = switch context.resource {
        case .secret: "secretsmanager"
        case .key: "kms"
        default: nil
        }
        if context.isTrustPolicy {
            for action in facts.actions where !facts.notAction && !action.text.contains("*") && !trustActions.contains(action.text.lowercased()) {
                context.report("UNSUPPORTED_ACTION_IN_POLICY", .error,
                               "\(action.text) means nothing in a role trust policy, which only grants sts:AssumeRole* (and sts:TagSession, sts:SetSourceIdentity, sts:SetContext).",
                               at: action.path)
            }
            trustNeeds(facts, &context)
        }
        guard let prefix else { return }
        let what = context.resource == .secret ? "a secret's resource policy" : "a key policy"
        for action in facts.actions where !facts.notAction && action.text != "*" {
            let service = action.text.split(separator: ":").first.map { $0.lowercased() } ?? ""
            if !Glob.matches(service, prefix) {
                context.report("UNSUPPORTED_ACTION_IN_POLICY", .error, "\(action.text) cannot be granted in \(what): only \(prefix) actions apply to it.",
                               at: action.path)
            }
        }
        for resource in facts.resources where resource.text != "*" {
            let fields = resource.text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            let fits = fields.count == 6 && Glob.matches(String(fields[2]), prefix)
                && (prefix == "kms" ? fields[5].hasPrefix("key/") || fields[5] == "*" : fields[5].hasPrefix("secret:") || fields[5] == "*")
            if !fits {
                context.report("UNSUPPORTED_RESOURCE_ARN_IN_POLICY", .error,
                               "\(resource.text) is not \(prefix == "kms" ? "a KMS key" : "a secret"): \(what) applies only to its own resource; use \"*\".", at: resource.path)
            }
        }
        for condition in facts.conditions {
            let service = condition.key.text.lowercased().split(separator: ":").first.map(String.init) ?? ""
            if service != "aws", service != prefix, context.dataset.service(service) != nil {
                context.report("IRRELEVANT_CONDITION_KEY_IN_POLICY", .suggestion,
                               "\(condition.key.text) is never present in requests to \(what); the condition has no use here.", at: condition.key.path, nameOnly: true)
            }
        }
    }

    /// Keys that only reach a trust policy with their action: session tags need sts:TagSession,
    /// a source identity needs sts:SetSourceIdentity; IAM Roles Anywhere needs all three actions.
    static func trustNeeds(_ facts: StatementFacts, _ context: inout LintContext) {
        guard facts.effect == .allow, !facts.notAction else { return }
        let actions = Set(facts.actions.map { $0.text.lowercased() })
        let grants = { (action: String) in actions.contains(action) || actions.contains("sts:*") || actions.contains("*") }
        for condition in facts.conditions {
            let key = condition.key.text.lowercased()
            if key.hasPrefix("aws:requesttag/") || key == "aws:tagkeys", !grants("sts:tagsession") {
                context.report("MISSING_ACTION_FOR_CONDITION_KEY", .error,
                               "\(condition.key.text) is set by session tags, which need sts:TagSession in this statement's actions.", at: condition.key.path, nameOnly: true)
            }
            if key == "sts:sourceidentity", !grants("sts:setsourceidentity") {
                context.report("MISSING_ACTION_FOR_CONDITION_KEY", .error,
                               "sts:SourceIdentity is set with sts:SetSourceIdentity, which this statement does not allow.", at: condition.key.path, nameOnly: true)
            }
        }
        if case .object(let principal)? = facts.principal,
           (principal["Service"].map { StatementChecks.flat($0) } ?? []).contains("rolesanywhere.amazonaws.com") {
            let missing = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"].filter { !grants($0.lowercased()) }
            if !missing.isEmpty {
                context.report("MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY", .error,
                               "IAM Roles Anywhere needs \(missing.joined(separator: ", ")) as well in the trust policy.", at: facts.actionElement)
            }
        }
        // An assumed-role session named beside its own role adds nothing.
        if case .object(let principal)? = facts.principal, let aws = principal["AWS"] {
            let entries = StatementChecks.flat(aws)
            for entry in entries where entry.contains(":assumed-role/") {
                let parts = entry.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
                guard parts.count == 6 else { continue }
                let role = parts[5].split(separator: "/").dropFirst().first.map(String.init) ?? ""
                if entries.contains("arn:\(parts[1]):iam::\(parts[4]):role/\(role)") {
                    context.report("REDUNDANT_PRINCIPAL_IN_ROLE_TRUST_POLICY", .suggestion,
                                   "\(entry) is a session of a role this statement already names; remove it.", at: facts.path + [.key("Principal")])
                }
            }
        }
    }
}

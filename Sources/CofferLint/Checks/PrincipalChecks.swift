import CofferCore

/// Principal and NotPrincipal: form, kinds, and what trust policies and identity policies allow.
enum PrincipalChecks {
    static let kinds = ["AWS", "Service", "Federated", "CanonicalUser"]
    static let principalKeys: Set<String> = ["aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths",
                                             "aws:userid", "aws:username", "aws:principaltype"]

    static func run(_ facts: StatementFacts, _ context: inout LintContext) {
        let element = facts.notPrincipal ? "NotPrincipal" : "Principal"
        let path = facts.path + [.key(element)]
        guard let principal = facts.principal else { return }
        if context.type == .identity {
            context.report("UNSUPPORTED_PRINCIPAL", .error, "An identity-based policy cannot name a \(element): the policy applies to whoever it is attached to.",
                           at: path, nameOnly: true)
            return
        }
        if facts.notPrincipal {
            if context.isTrustPolicy {
                context.report("ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL", .error, "A role trust policy cannot use NotPrincipal.", at: path, nameOnly: true)
            } else if facts.effect == .allow {
                context.report("ALLOW_WITH_NOT_PRINCIPAL", .securityWarning,
                               "Allow with NotPrincipal grants access to every principal not listed, including anonymous ones; name the principals in Principal instead.",
                               at: path, nameOnly: true)
            }
        }
        if case .string(let s) = principal {
            if s != "*" {
                context.report("INVALID_PRINCIPAL_FORMAT", .error, "The \(element) must be \"*\" or an object such as {\"AWS\": \"arn:...\"}.", at: path)
            } else if context.isTrustPolicy {
                context.report("ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL", .error,
                               "A role trust policy cannot let \"*\" assume the role; name the accounts, roles or services that may.", at: path)
            }
            return
        }
        guard let object = principal.objectValue else {
            context.report("INVALID_PRINCIPAL_FORMAT", .error, "The \(element) must be \"*\" or an object of principal kinds.", at: path)
            return
        }
        if object.isEmpty {
            context.report("EMPTY_OBJECT_PRINCIPAL", .suggestion, "The \(element) object is empty, so the statement applies to no one.", at: path)
        }
        var services: [Located] = [], federated: [Located] = []
        for (kind, value) in object.members {
            let at = path + [.key(kind)]
            guard kinds.contains(kind) else {
                context.report("INVALID_PRINCIPAL_KEY", .error, "The principal kind \(kind) is not valid: use AWS, Service, Federated or CanonicalUser.",
                               at: at, nameOnly: true)
                continue
            }
            for entry in StatementChecks.strings(value, at: at, element: "Principal", &context) {
                switch kind {
                case "AWS": aws(entry, &context)
                case "Service":
                    services.append(entry)
                    if entry.text.contains("*") || entry.text.contains("?") {
                        context.report("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", .error, "Wildcards are not allowed in a Service principal: \(entry.text).", at: entry.path)
                    } else if !isServicePrincipal(entry.text) {
                        context.report("INVALID_SERVICE_PRINCIPAL_FORMAT", .error,
                                       "The service principal \(entry.text) is not valid: use the form SERVICE.amazonaws.com.", at: entry.path)
                    }
                case "Federated":
                    federated.append(entry)
                    if !context.isTrustPolicy, context.resource == .secret || context.resource == .key {
                        context.report("FEDERATED_PRINCIPAL_NOT_SUPPORTED", .error,
                                       "A federated principal cannot be named in this policy type; only role trust policies take one.", at: entry.path)
                    }
                    if entry.text.contains("*") {
                        context.report("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", .error, "Wildcards are not allowed in a Federated principal: \(entry.text).", at: entry.path)
                    } else if context.isTrustPolicy, !entry.text.hasPrefix("arn:"), !entry.text.contains(".") {
                        context.report("INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY", .error,
                                       "The federated principal \(entry.text) must be an identity provider's domain or a SAML or OIDC provider ARN.", at: entry.path)
                    }
                default: break
                }
            }
        }
        let keys = Set(facts.conditions.map { $0.key.text.lowercased() })
        // A service calling as itself carries no principal ARN, account, organization, tags or user id.
        if !services.isEmpty, !object.members.contains(where: { $0.key != "Service" }) {
            for condition in facts.conditions {
                let key = condition.key.text.lowercased()
                guard Self.principalKeys.contains(key) || key.hasPrefix("aws:principaltag/") else { continue }
                context.report("UNSUPPORTED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL", .error,
                               "\(condition.key.text) is never present when a service principal calls, so this condition \(condition.base.contains("Not") || condition.ifExists ? "always matches" : "never matches").",
                               at: condition.key.path, nameOnly: true)
                context.report("RECOMMENDED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL", .suggestion,
                               "To limit what a service principal may do on your behalf, use aws:SourceArn or aws:SourceAccount instead of \(condition.key.text).",
                               at: condition.key.path, nameOnly: true)
            }
        }
        if !services.isEmpty, context.isResourcePolicy, !context.isTrustPolicy,
           !keys.contains("aws:sourcearn"), !keys.contains("aws:sourceaccount"), !keys.contains("aws:sourceorgid"), !keys.contains("aws:sourceorgpaths") {
            context.report("RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL", .securityWarning,
                           "The service principal acts for every customer of the service: add an aws:SourceArn or aws:SourceAccount condition so that only your resources can use this access (the confused deputy problem).",
                           at: services[0].path)
        }
        for provider in federated where context.isTrustPolicy {
            let host = provider.text.split(separator: "/").dropFirst().joined(separator: "/")
            let isOIDC = provider.text.contains(":oidc-provider/")
            let github = host == "token.actions.githubusercontent.com"
            let constrained = github ? keys.contains("token.actions.githubusercontent.com:sub") : keys.contains { $0.hasPrefix(host.lowercased() + ":") }
            if isOIDC, !constrained {
                context.report(github ? "MISSING_GITHUB_REPO_CONDITION_KEY" : "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL", .securityWarning,
                               github ? "Any GitHub repository can assume this role: add a condition on token.actions.githubusercontent.com:sub naming your repository."
                                      : "Any identity from \(host) can assume this role: add conditions on its aud and sub claims.",
                               at: provider.path)
            }
            if host == "token.actions.githubusercontent.com" {
                for condition in facts.conditions where condition.key.text.lowercased() == "token.actions.githubusercontent.com:sub" {
                    for value in condition.stringValues where value.hasSuffix(":*") || value == "*" || value.contains("/*") {
                        context.report("SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED", .warning,
                                       "The sub value \(value) lets many repositories or branches assume the role; name the repository and branch.",
                                       at: condition.key.path)
                    }
                }
            }
            let actions = facts.actions.map { $0.text.lowercased() }
            if provider.text.contains(":saml-provider/"), !actions.contains(where: { $0 == "sts:assumerolewithsaml" || $0 == "sts:*" || $0 == "*" }) {
                context.report("MISMATCHED_ACTION_FOR_PRINCIPAL", .error, "A SAML provider can only assume the role with sts:AssumeRoleWithSAML.", at: provider.path)
            }
            if isOIDC, !actions.contains(where: { $0 == "sts:assumerolewithwebidentity" || $0 == "sts:*" || $0 == "*" }) {
                context.report("MISMATCHED_ACTION_FOR_PRINCIPAL", .error, "An OIDC provider can only assume the role with sts:AssumeRoleWithWebIdentity.", at: provider.path)
            }
        }
    }

    static func aws(_ entry: Located, _ context: inout LintContext) {
        let text = entry.text
        if text == "*" { return }
        if text.hasPrefix("AROA"), text.count == 21 {
            context.report("INVALID_ROLE_REFERENCE", .warning, "\(text) is a role's unique id: IAM writes it when the role was deleted. Use the role's ARN.", at: entry.path)
        } else if text.hasPrefix("AIDA"), text.count == 21 {
            context.report("INVALID_USER_REFERENCE", .warning, "\(text) is a user's unique id: IAM writes it when the user was deleted. Use the user's ARN.", at: entry.path)
        } else if !text.hasPrefix("arn:"), !AccountID.isValid(text) {
            context.report("INVALID_PRINCIPAL_FORMAT", .error, "The AWS principal \(text) must be an account id, an ARN or \"*\".", at: entry.path)
        } else if text.hasPrefix("arn:"), text.contains("*") || text.contains("?") {
            context.report("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", .error,
                           "Wildcards are not allowed in an AWS principal ARN: \(text). Use \"*\" with an aws:PrincipalArn condition.", at: entry.path)
        }
    }

    static func isServicePrincipal(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.allSatisfy({ !$0.isEmpty }) else { return false }
        return text.hasSuffix(".amazonaws.com") || text.hasSuffix(".amazonaws.com.cn") || text.hasSuffix(".amazon.com")
    }
}

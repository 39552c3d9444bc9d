import Foundation
import CofferCore

/// Resource and NotResource: ARN form against each service's ARN formats, and whether each action
/// of the statement can be authorized on any of the listed resources.
enum ResourceChecks {
    static let partitions: Set<String> = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"]

    static func run(_ facts: StatementFacts, _ context: inout LintContext) {
        for resource in facts.resources { checkARN(resource, &context) }
        for resource in facts.resources where resource.text != "*" {
            if let cover = facts.resources.first(where: { $0.path != resource.path && ($0.text.contains("*") || $0.text.contains("?"))
                && Glob.matchesARN(pattern: $0.text, resource.text) && $0.text != resource.text }) {
                context.report("REDUNDANT_RESOURCE", .suggestion, "\(resource.text) is already covered by \(cover.text); remove it.", at: resource.path)
            }
        }
        guard facts.effect == .allow, !facts.notAction, !facts.notResource, !facts.resources.isEmpty else { return }
        let star = facts.resources.contains { $0.text == "*" }
        var scopable: [String] = []
        for action in facts.actions where !ActionChecks.isWildcard(action.text) {
            guard let info = context.dataset.actions(matching: action.text).first, let service = context.dataset.service(info.service) else { continue }
            if star {
                if info.resourceTypes.contains(where: \.required), !scopable.contains(info.fullName) { scopable.append(info.fullName) }
                continue
            }
            let usable = facts.resources.filter { arn in arnMayMatch(arn.text, service: service, types: info.resourceTypes.map(\.name)) }
            if info.resourceTypes.isEmpty {
                context.report("RESOURCE_MISMATCH",
                               "\(info.fullName) does not support resource-level permissions: IAM authorizes it only on Resource \"*\", so this statement never allows it. Move it to a statement with \"Resource\": \"*\".",
                               at: action.path)
                context.fixes.append(.moveActions(statement: facts.path, actions: [action.text], resource: "*", dropCondition: false,
                                                  reason: "moved \(info.fullName) to a statement with Resource \"*\" (it takes no resource)"))
            } else if !info.resourceTypes.isEmpty, usable.isEmpty {
                let formats = info.resourceTypes.compactMap { service.resourceTypes[$0.name]?.arnTemplate }
                context.report("RESOURCE_MISMATCH",
                               "None of the statement's resources is a resource \(info.fullName) acts on, so this statement never allows it. It takes: \(formats.joined(separator: ", ")).",
                               at: action.path)
            }
        }
        if !scopable.isEmpty {
            context.report("RESOURCE_STAR",
                           "These actions can be limited to specific resources but are granted on \"*\": \(scopable.joined(separator: ", ")). Name the resources they need.",
                           at: facts.resourceElement)
        }
    }

    /// Actions authorized on several resources at once (ec2:RunInstances needs the instance, image,
    /// subnet, security group and network interface): every required type must be allowed somewhere.
    static func requiredResources(_ statements: [StatementFacts], _ context: inout LintContext) {
        let allowing = statements.filter { $0.effect == .allow && !$0.notAction && !$0.notResource }
        var reported = Set<String>()
        for statement in allowing {
            for action in statement.actions where !ActionChecks.isWildcard(action.text) {
                guard let info = context.dataset.actions(matching: action.text).first, let service = context.dataset.service(info.service),
                      !reported.contains(info.fullName) else { continue }
                let required = info.resourceTypes.filter(\.required).map(\.name)
                guard required.count > 1 else { continue }
                let missing = required.filter { type in
                    !allowing.contains { other in
                        other.actions.contains { Glob.matchesAction($0.text, info.fullName) }
                            && other.resources.contains { arnMayMatch($0.text, service: service, types: [type]) }
                    }
                }
                guard !missing.isEmpty, missing.count < required.count else { continue }
                reported.insert(info.fullName)
                context.report("MISSING_REQUIRED_RESOURCE",
                               "\(info.fullName) is authorized on each of \(required.joined(separator: ", ")) in one request, and no statement allows it on \(missing.joined(separator: ", ")), so every call is denied. Add \(missing.compactMap { service.resourceTypes[$0]?.arnTemplate }.joined(separator: ", ")).",
                               at: action.path)
            }
        }
    }

    static func checkARN(_ resource: Located, _ context: inout LintContext) {
        let text = resource.text
        guard text != "*" else { return }
        guard text.hasPrefix("arn:") else {
            if !text.hasPrefix("${") {
                context.report("INVALID_ARN_PREFIX", .error, "The resource \(text) must be \"*\" or an ARN starting with arn:.", at: resource.path)
            }
            return
        }
        let fields = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 6 else {
            context.report("MISSING_ARN_FIELD", .error, "The ARN \(text) needs six fields: arn:partition:service:region:account:resource.", at: resource.path)
            return
        }
        let (partition, serviceName, region, account, rest) = (fields[1], fields[2], fields[3], fields[4], fields[5])
        if !isPattern(partition), !partitions.contains(partition) {
            context.report("INVALID_PARTITION", .error, "The partition \(partition) in \(text) is not an AWS partition (aws, aws-cn, aws-us-gov, ...).", at: resource.path)
        }
        if serviceName != serviceName.lowercased() {
            context.report("INVALID_ARN_SERVICE_CASE", .error, "The service in \(text) must be lower case: \(serviceName.lowercased()).", at: resource.path)
            return
        }
        if isPattern(serviceName) { return }
        guard let service = context.dataset.service(serviceName) else {
            context.report("INVALID_SERVICE", .error, "The service \(serviceName) in \(text) is not an AWS service.", at: resource.path)
            return
        }
        let all = service.resourceTypes.values.map { $0.arnTemplate.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count == 6 }
        guard !all.isEmpty else { return }
        // Region and account rules come from the resource types this ARN can be.
        let templates = all.filter { resourcePart($0[5], matches: rest) }
        guard !templates.isEmpty else {
            let formats = service.resourceTypes.values.map(\.arnTemplate).sorted().prefix(6)
            context.report("INVALID_ARN_RESOURCE", .error, "The resource part of \(text) matches no \(service.name) resource type. Formats: \(formats.joined(separator: ", ")).",
                           at: resource.path)
            return
        }
        if !region.isEmpty, !isPattern(region), templates.allSatisfy({ $0[3].isEmpty }) {
            context.report("ARN_REGION_NOT_ALLOWED", .error, "\(service.name) ARNs have no region: write \(text.replacingField(3, with: "")).", at: resource.path)
        } else if region.isEmpty, templates.allSatisfy({ !$0[3].isEmpty }) {
            context.report("MISSING_ARN_REGION", .error, "\(service.name) ARNs need a region (or *) in \(text).", at: resource.path)
        } else if !region.isEmpty, !isPattern(region), !isRegion(region) {
            context.report("INVALID_ARN_REGION", .error, "The region \(region) in \(text) is not an AWS Region.", at: resource.path)
        }
        if !account.isEmpty, !isPattern(account), templates.allSatisfy({ $0[4].isEmpty }) {
            context.report("ARN_ACCOUNT_NOT_ALLOWED", .error, "\(service.name) ARNs have no account id: write \(text.replacingField(4, with: "")).", at: resource.path)
        } else if !account.isEmpty, !isPattern(account), !AccountID.isValid(account), account != "aws" {
            context.report("INVALID_ARN_ACCOUNT", .error, "The account \(account) in \(text) must be a 12-digit account id.", at: resource.path)
        }
    }

    static func isPattern(_ text: String) -> Bool { text.contains("*") || text.contains("?") || text.contains("${") }

    static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        guard parts.count >= 3, let last = parts.last, last.allSatisfy(\.isNumber), parts.first?.count == 2 else { return false }
        return parts.dropLast().allSatisfy { $0.allSatisfy { $0.isLowercase && $0.isLetter } }
    }

    /// Whether a policy's resource part can name something of a template's resource part.
    static func resourcePart(_ template: String, matches value: String) -> Bool {
        if value == "*" { return true }
        let pattern = template.replacingVariables(with: "*")
        if Glob.matches(pattern, value) { return true }
        // The policy's own wildcard may stand for the template's fixed text ("secret*", "key/*").
        let literal = pattern.prefix { $0 != "*" }
        let valueHead = value.prefix { $0 != "*" && $0 != "?" && $0 != "$" }
        return value.contains(where: { $0 == "*" || $0 == "?" || $0 == "$" }) && (literal.hasPrefix(valueHead) || valueHead.hasPrefix(literal))
    }

    /// Whether an ARN pattern of the policy can name a resource of one of `types`.
    static func arnMayMatch(_ arn: String, service: IAMDataset.Service, types: [String]) -> Bool {
        if arn == "*" { return true }
        let fields = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 6 else { return false }
        if !Glob.matches(fields[2], service.prefix) { return false }
        for type in types {
            guard let template = service.resourceTypes[type]?.arnTemplate else { continue }
            let t = template.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            if t.count == 6, resourcePart(t[5], matches: fields[5]) { return true }
        }
        return false
    }
}

extension String {
    /// `${Name}` placeholders of an ARN template replaced by `with`.
    func replacingVariables(with replacement: String) -> String {
        var out = "", rest = Substring(self)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            out += replacement
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    func replacingField(_ index: Int, with value: String) -> String {
        var fields = split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard index < fields.count else { return self }
        fields[index] = value
        return fields.joined(separator: ":")
    }
}

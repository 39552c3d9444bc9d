import CofferCore
import CofferLint
import CofferServices
import CofferWire

/// IAM Access Analyzer's ValidatePolicy (REST-JSON, `POST /policy/validation`), answered by
/// `coffer policy lint`'s checks.
struct AccessAnalyzerHandler: JSONServiceHandler {
    let access: AccessControl

    static let policyTypes = LintPolicyType.allCases.map(\.rawValue)
    static let resourceTypes: [String: LintResourceKind] = [
        "AWS::S3::Bucket": .s3Bucket, "AWS::S3::AccessPoint": .other, "AWS::S3::MultiRegionAccessPoint": .other,
        "AWS::S3ObjectLambda::AccessPoint": .other, "AWS::IAM::AssumeRolePolicyDocument": .roleTrust, "AWS::DynamoDB::Table": .other,
    ]
    static let locales = ["DE", "EN", "ES", "FR", "IT", "JA", "KO", "PT_BR", "ZH_CN", "ZH_TW"]

    func handle(_ operation: String, _ r: JSONRequest, context: CallerContext) async throws -> JSONValue {
        guard operation == "ValidatePolicy" else { throw CofferError(.unknownOperation, "") }
        if !context.isRoot { try await access.authorize(context, action: "access-analyzer:ValidatePolicy", resource: "*") }
        let document = try r.requiredString("policyDocument")
        let type = try r.requiredString("policyType")
        guard let policyType = LintPolicyType(rawValue: type) else {
            throw CofferError.validation(
                "1 validation error detected: Value '\(type)' at 'policyType' failed to satisfy constraint: Member must satisfy enum value set: [\(Self.policyTypes.joined(separator: ", "))]")
        }
        var resource = LintResourceKind.none
        if let name = try r.string("validatePolicyResourceType") {
            guard let kind = Self.resourceTypes[name] else {
                throw CofferError.validation(
                    "1 validation error detected: Value '\(name)' at 'validatePolicyResourceType' failed to satisfy constraint: Member must satisfy enum value set: [\(Self.resourceTypes.keys.sorted().joined(separator: ", "))]")
            }
            guard policyType == .resource else {
                throw CofferError.validation("validatePolicyResourceType can only be used with policyType RESOURCE_POLICY.")
            }
            resource = kind
        } else if policyType == .resource {
            resource = .other
        }
        if let locale = try r.string("locale"), !Self.locales.contains(locale) {
            throw CofferError.validation(
                "1 validation error detected: Value '\(locale)' at 'locale' failed to satisfy constraint: Member must satisfy enum value set: [\(Self.locales.joined(separator: ", "))]")
        }
        let pageSize = try r.integer("maxResults", min: 1) ?? 100
        var start = 0
        if let token = try r.string("nextToken") {
            guard token.hasPrefix("coffer-"), let offset = Int(token.dropFirst("coffer-".count)), offset >= 0 else {
                throw CofferError.validation("Invalid pagination token.")
            }
            start = offset
        }
        // Access Analyzer's own codes only: scripts that gate on its answer must see what AWS would
        // say; Coffer's least-privilege verdicts are `coffer policy lint`'s.
        let findings = PolicyLinter.lint(document, type: policyType, resource: resource).findings.filter { !$0.isCofferOwn }
        guard start <= findings.count else { throw CofferError.validation("Invalid pagination token.") }
        let page = findings[start..<min(findings.count, start + pageSize)]
        var answer: JSONObject = ["findings": .array(page.map(LintReports.finding))]
        if start + pageSize < findings.count { answer["nextToken"] = .string("coffer-\(start + pageSize)") }
        return .object(answer)
    }
}

/// Every issue code `coffer policy lint` reports, its level and where to read about it. Codes that
/// IAM Access Analyzer's ValidatePolicy also reports keep its names and levels; the rest are
/// Coffer's own, for what only an evaluator can decide.
enum IssueCatalog {
    static let accessAnalyzerPage = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
    static let leastPrivilegePage = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"

    /// Coffer's own codes, with the page that explains the risk.
    static let cofferCodes: [String: (LintLevel, String)] = [
        "ALLOW_WITH_NOT_ACTION": (.securityWarning, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"),
        "ALLOW_WITH_NOT_RESOURCE": (.securityWarning, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"),
        "FULL_ADMINISTRATOR_ACCESS": (.securityWarning, leastPrivilegePage),
        "SERVICE_WILDCARD": (.warning, leastPrivilegePage),
        "WILDCARD_WRITE_ACCESS": (.warning, leastPrivilegePage),
        "PERMISSIONS_MANAGEMENT_ON_ALL_RESOURCES": (.securityWarning, leastPrivilegePage),
        "SECRET_DATA_ON_ALL_RESOURCES": (.securityWarning, leastPrivilegePage),
        "CREDENTIALS_EXPOSURE": (.securityWarning, "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp.html"),
        "PRIVILEGE_ESCALATION": (.securityWarning, "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"),
        "PASS_ROLE_WITHOUT_SERVICE_CONDITION": (.warning, "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"),
        "RESOURCE_MISMATCH": (.error, "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"),
        "RESOURCE_STAR": (.suggestion, leastPrivilegePage),
        "MISSING_REQUIRED_RESOURCE": (.error, "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"),
        "PUBLIC_ACCESS": (.securityWarning, "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html"),
        "BAD_PATTERN_FOR_MFA": (.warning, "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent"),
    ]

    static func link(code: String, level: LintLevel) -> String {
        if let own = cofferCodes[code] { return own.1 }
        let anchor = (level.rawValue + "-" + code).lowercased().map { $0 == "_" ? "-" : $0 }
        return accessAnalyzerPage + "#access-analyzer-reference-policy-checks-" + String(anchor)
    }
}

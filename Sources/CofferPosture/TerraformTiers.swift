import Foundation

/// Seed 001's security tiers: which of Basic, Enhanced and Enterprise a terraform.tfvars meets.
public struct TierReport: Sendable {
    public struct Tier: Sendable {
        public let name: String
        public let met: Bool
        /// Settings the tier needs that the file does not set as needed.
        public let missing: [String]
    }

    public let file: String
    public let tiers: [Tier]
    public var highest: String? { tiers.last(where: \.met)?.name }
}

public enum TerraformTiers {
    /// Each tier's settings: `true` flags, or `"set"` for a value that must be present and non-empty.
    public static let tiers: [(name: String, settings: [String])] = [
        ("Basic", ["enable_sagemaker", "enable_kms_encryption", "enable_cloudwatch_monitoring", "enable_vpc_endpoints"]),
        ("Enhanced", ["enable_sagemaker", "enable_kms_encryption", "enable_cloudwatch_monitoring", "enable_vpc_endpoints", "enable_guardduty",
                      "enable_security_hub", "enable_waf", "enable_cloudtrail", "enable_vpc_flow_logs"]),
        ("Enterprise", ["enable_sagemaker", "enable_kms_encryption", "enable_cloudwatch_monitoring", "enable_vpc_endpoints", "enable_guardduty",
                        "enable_security_hub", "enable_waf", "enable_cloudtrail", "enable_vpc_flow_logs", "enable_config", "enable_access_analyzer",
                        "enable_strict_password_policy", "enable_security_alerts", "security_alert_email"]),
    ]

    /// `name = value` lines of HCL variable files: booleans, numbers and quoted strings; comments dropped.
    public static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            var line = Substring(raw)
            if let hash = line.firstIndex(where: { $0 == "#" }), !line[..<hash].contains("\"") { line = line[..<hash] }
            if let slashes = line.range(of: "//"), !line[..<slashes.lowerBound].contains("\"") { line = line[..<slashes.lowerBound] }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) { values[name] = value }
        }
        return values
    }

    public static func evaluate(file: String, text: String) -> TierReport {
        let values = parse(text)
        let tiers = Self.tiers.map { tier in
            let missing = tier.settings.filter { setting in
                guard let value = values[setting] else { return true }
                return setting.hasPrefix("enable_") ? value.lowercased() != "true" : value.isEmpty || value.contains("yourcompany.com") || value.contains("domain.com")
            }
            return TierReport.Tier(name: tier.name, met: missing.isEmpty, missing: missing)
        }
        return TierReport(file: file, tiers: tiers)
    }
}

/// AWS's public parameters under `/aws/service/global-infrastructure/`: the regions and the
/// services, with their long names, readable by every account as on AWS.
public enum PublicParameters {
    public static let prefix = "/aws/service/"
    static let root = "/aws/service/global-infrastructure"

    static let regions: [(code: String, name: String)] = [
        ("af-south-1", "Africa (Cape Town)"), ("ap-east-1", "Asia Pacific (Hong Kong)"), ("ap-northeast-1", "Asia Pacific (Tokyo)"),
        ("ap-northeast-2", "Asia Pacific (Seoul)"), ("ap-northeast-3", "Asia Pacific (Osaka)"), ("ap-south-1", "Asia Pacific (Mumbai)"),
        ("ap-south-2", "Asia Pacific (Hyderabad)"), ("ap-southeast-1", "Asia Pacific (Singapore)"), ("ap-southeast-2", "Asia Pacific (Sydney)"),
        ("ap-southeast-3", "Asia Pacific (Jakarta)"), ("ap-southeast-4", "Asia Pacific (Melbourne)"), ("ca-central-1", "Canada (Central)"),
        ("ca-west-1", "Canada West (Calgary)"), ("eu-central-1", "Europe (Frankfurt)"), ("eu-central-2", "Europe (Zurich)"),
        ("eu-north-1", "Europe (Stockholm)"), ("eu-south-1", "Europe (Milan)"), ("eu-south-2", "Europe (Spain)"),
        ("eu-west-1", "Europe (Ireland)"), ("eu-west-2", "Europe (London)"), ("eu-west-3", "Europe (Paris)"),
        ("il-central-1", "Israel (Tel Aviv)"), ("me-central-1", "Middle East (UAE)"), ("me-south-1", "Middle East (Bahrain)"),
        ("sa-east-1", "South America (Sao Paulo)"), ("us-east-1", "US East (N. Virginia)"), ("us-east-2", "US East (Ohio)"),
        ("us-west-1", "US West (N. California)"), ("us-west-2", "US West (Oregon)"),
    ]

    /// The services Coffer serves, as AWS names them there.
    static let services: [(code: String, name: String)] = [
        ("access-analyzer", "AWS IAM Access Analyzer"), ("cloudtrail", "AWS CloudTrail"),
        ("iam", "AWS Identity and Access Management (IAM)"), ("kms", "AWS Key Management Service"),
        ("secretsmanager", "AWS Secrets Manager"), ("ssm", "AWS Systems Manager"), ("sts", "AWS Security Token Service"),
    ]

    /// Every public parameter, sorted by name.
    public static let all: [(name: String, value: String)] = {
        var out: [(String, String)] = []
        for region in regions {
            let base = "\(root)/regions/\(region.code)"
            out += [(base, region.code), (base + "/longName", region.name), (base + "/partition", "aws"), (base + "/domain", "amazonaws.com")]
            out += services.map { ("\(base)/services/\($0.code)", $0.code) }
        }
        for service in services {
            let base = "\(root)/services/\(service.code)"
            out += [(base, service.code), (base + "/longName", service.name)]
            out += regions.map { ("\(base)/regions/\($0.code)", $0.code) }
        }
        return out.sorted { $0.0 < $1.0 }
    }()

    public static func value(_ name: String) -> String? {
        var low = 0, high = all.count
        while low < high {
            let mid = (low + high) / 2
            if all[mid].name < name { low = mid + 1 } else { high = mid }
        }
        return low < all.count && all[low].name == name ? all[low].value : nil
    }

    /// The parameters under `path` (its direct children unless `recursive`).
    public static func under(_ path: String, recursive: Bool) -> [(name: String, value: String)] {
        let base = path.hasSuffix("/") ? path : path + "/"
        return all.filter { $0.name.hasPrefix(base) && (recursive || !$0.name.dropFirst(base.count).contains("/")) }
    }
}

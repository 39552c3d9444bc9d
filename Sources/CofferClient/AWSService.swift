/// The services the client speaks to, with the names the SDKs' settings use for each.
public enum AWSService: String, Sendable, CaseIterable {
    case secretsManager, ssm, kms, sts, iam, cloudTrail, accessAnalyzer

    /// The SigV4 signing name.
    public var signingName: String {
        switch self {
        case .secretsManager: "secretsmanager"
        case .ssm: "ssm"
        case .kms: "kms"
        case .sts: "sts"
        case .iam: "iam"
        case .cloudTrail: "cloudtrail"
        case .accessAnalyzer: "access-analyzer"
        }
    }

    /// From the serviceId, as `AWS_ENDPOINT_URL_<THIS>` and the `services` section's key spell it.
    public var endpointKey: String {
        switch self {
        case .secretsManager: "secrets_manager"
        case .ssm: "ssm"
        case .kms: "kms"
        case .sts: "sts"
        case .iam: "iam"
        case .cloudTrail: "cloudtrail"
        case .accessAnalyzer: "accessanalyzer"
        }
    }
}

/// Secrets Manager's ARNs: `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX`.
public enum SecretARN {
    static let suffixAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    public static func make(name: String, scope: ResourceScope, random: any RandomSource) -> String {
        let suffix = String((0..<6).map { _ in suffixAlphabet[random.uniform(suffixAlphabet.count)] })
        return ARN(service: "secretsmanager", region: scope.region, account: scope.account, resource: "secret:\(name)-\(suffix)").description
    }

    /// How a SecretId names a secret.
    public enum Reference: Sendable, Equatable {
        case name(String)
        /// A full ARN, or a partial one without the random suffix; `name` is the resource's name part.
        case arn(String, name: String)
    }

    /// Reads a SecretId, which may be a name, a full ARN or a partial ARN.
    public static func reference(_ secretID: String) -> Reference {
        guard secretID.hasPrefix("arn:"), let arn = ARN(secretID), arn.resource.hasPrefix("secret:") else {
            return .name(secretID)
        }
        return .arn(secretID, name: String(arn.resource.dropFirst("secret:".count)))
    }

    /// Whether `secret` is the one `reference` names, by name, full ARN, or ARN without the suffix.
    public static func matches(_ reference: Reference, arn: String, name: String) -> Bool {
        switch reference {
        case .name(let candidate): return candidate == name
        case .arn(let full, let namePart): return full == arn || namePart == name
        }
    }
}

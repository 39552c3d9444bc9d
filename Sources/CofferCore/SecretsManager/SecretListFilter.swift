/// ListSecrets and BatchGetSecretValue filters, matched as Secrets Manager matches them: name,
/// tag-key, tag-value and primary-region by case-sensitive prefix; description and all by words,
/// case-insensitively; a leading `!` negates a value.
public struct SecretListFilter: Sendable, Equatable {
    public static let keys = ["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"]

    public var key: String
    public var values: [String]

    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }

    /// All filters must match; within one filter, any value may.
    public static func matches(_ filters: [SecretListFilter], secret: Secret, region: String) -> Bool {
        filters.allSatisfy { $0.matches(secret, region: region) }
    }

    public func matches(_ secret: Secret, region: String) -> Bool {
        switch key {
        case "name": return Self.match(values, [secret.name], prefix: true, caseSensitive: true)
        case "description":
            return Self.match(values, secret.description.map { [$0] } ?? [], prefix: false, caseSensitive: false)
        case "tag-key": return Self.match(values, secret.tags.map(\.key), prefix: true, caseSensitive: true)
        case "tag-value": return Self.match(values, secret.tags.map(\.value), prefix: true, caseSensitive: true)
        case "primary-region":
            // A secret has a primary region once it is replicated (its own) or is a replica (its primary's).
            let primary = secret.primaryRegion ?? (secret.replicas?.isEmpty == false ? region : nil)
            return Self.match(values, primary.map { [$0] } ?? [], prefix: true, caseSensitive: true)
        case "owning-service": return Self.match(values, [], prefix: false, caseSensitive: false)
        case "all":
            let attributes = [secret.name] + (secret.description.map { [$0] } ?? []) + secret.tags.map(\.key)
                + secret.tags.map(\.value)
            return Self.match(values, attributes, prefix: false, caseSensitive: false)
        default: return false
        }
    }

    static func match(_ patterns: [String], _ attributes: [String], prefix: Bool, caseSensitive: Bool) -> Bool {
        for pattern in patterns where pattern.hasPrefix("!") {
            let positive = String(pattern.dropFirst())
            if attributes.isEmpty || attributes.contains(where: { !matchOne(positive, $0, prefix: prefix, caseSensitive: caseSensitive) }) {
                return true
            }
        }
        for pattern in patterns where !pattern.hasPrefix("!") {
            if attributes.contains(where: { matchOne(pattern, $0, prefix: prefix, caseSensitive: caseSensitive) }) {
                return true
            }
        }
        return false
    }

    static func matchOne(_ pattern: String, _ value: String, prefix: Bool, caseSensitive: Bool) -> Bool {
        let p = caseSensitive ? pattern : pattern.lowercased()
        let v = caseSensitive ? value : value.lowercased()
        if prefix { return v.hasPrefix(p) }
        let patternWords = words(p)
        guard !patternWords.isEmpty else { return false }
        let valueWords = words(v)
        return patternWords.allSatisfy { word in valueWords.contains { $0.hasPrefix(word) } }
    }

    /// Splits at separators and spaces, so `all` and `description` find words inside names.
    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { " /-_+=.@:".contains($0) }).map(String.init)
    }
}

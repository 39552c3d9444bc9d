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
        if prefix { return caseSensitive ? value.hasPrefix(pattern) : value.lowercased().hasPrefix(pattern.lowercased()) }
        // Words are found in the text as written (capitals start words), then compared as asked.
        let patternWords = words(pattern).map { caseSensitive ? $0 : $0.lowercased() }
        guard !patternWords.isEmpty else { return false }
        let valueWords = words(value).map { caseSensitive ? $0 : $0.lowercased() }
        return patternWords.allSatisfy { word in valueWords.contains { $0.hasPrefix(word) } }
    }

    static let separators: [Unicode.Scalar] = ["/", "-", "_", "+", "=", ".", "@"]

    /// The words Secrets Manager's `all` and `description` filters match the start of, as AWS answers
    /// (moto's AWS-verified ListSecrets tests): a text with one kind of separator is cut at it, a text
    /// with two kinds stays whole (`prod-AppBeta/x` is one word), a separator alone is no word; each
    /// piece is then cut before a capital or other non-lower-case character that starts a run of
    /// lower-case letters, so `SecretOne` is `Secret`, `One` and `COMPANYthings` is `COMPAN`, `Ythings`.
    static func words(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        if scalars.count == 1, separators.contains(scalars[0]) { return [] }
        let present = separators.filter { scalars.contains($0) }
        if present.count > 1 { return [text] }
        guard let separator = present.first else { return camelWords(scalars[...]) }
        return scalars.split(separator: separator).flatMap(camelWords)
    }

    private static func camelWords(_ scalars: ArraySlice<Unicode.Scalar>) -> [String] {
        func isLower(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= 0x61 && scalar.value <= 0x7A }
        var pieces: [ArraySlice<Unicode.Scalar>] = []
        var pieceStart = scalars.startIndex
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let next = scalars.index(after: index)
            guard !isLower(scalars[index]), next < scalars.endIndex, isLower(scalars[next]) else {
                index = next
                continue
            }
            var end = next
            while end < scalars.endIndex, isLower(scalars[end]) { end += 1 }
            if pieceStart < index { pieces.append(scalars[pieceStart..<index]) }
            pieces.append(scalars[index..<end])
            pieceStart = end
            index = end
        }
        if pieceStart < scalars.endIndex { pieces.append(scalars[pieceStart...]) }
        return pieces.compactMap { piece in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: piece.drop { $0.properties.isWhitespace }.reversed().drop { $0.properties.isWhitespace }.reversed())
            return view.isEmpty ? nil : String(view)
        }
    }
}

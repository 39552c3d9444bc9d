import CofferCore

/// Seed 003's configuration hierarchy: Parameter Store (when enabled) over the process environment
/// over `.env.<env>` over `.env` over a YAML file over a JSON file. Every key is in the UPPER_SNAKE
/// form programs read from their environment: `/ELASMETRICS/STAGING/MYSQL/PASSWORD` (prefix and
/// environment dropped), YAML's `mysql: {password: ...}` and JSON's `{"mysql": {"password": ...}}`
/// are all `MYSQL_PASSWORD`.
public struct ConfigurationHierarchy: Sendable {
    /// One layer's values with where each came from.
    public struct Layer: Sendable {
        public let name: String
        public var values: [String: (value: String, origin: String, secret: Bool)]

        public init(name: String, values: [String: (value: String, origin: String, secret: Bool)] = [:]) {
            self.name = name
            self.values = values
        }
    }

    public struct Resolved: Sendable {
        public let key: String
        public let value: String
        public let origin: String
        public let secret: Bool
        /// Lower layers that also set the key and lost, by origin.
        public let shadowed: [String]
    }

    /// Layers from highest to lowest priority.
    public var layers: [Layer]

    public init(layers: [Layer]) { self.layers = layers }

    public static func key(_ path: [String]) -> String { path.map { EnvironmentInjection.variableName($0) }.joined(separator: "_") }

    public func resolve() -> [Resolved] {
        var keys = Set<String>()
        for layer in layers { keys.formUnion(layer.values.keys) }
        return keys.sorted().compactMap { key in
            let holders = layers.compactMap { layer in layer.values[key] }
            guard let winner = holders.first else { return nil }
            // A value is secret if any layer says so: a SecureString stays masked when a .env overrides it.
            return Resolved(key: key, value: winner.value, origin: winner.origin, secret: holders.contains { $0.secret } || SecretNames.looksSecret(key),
                            shadowed: holders.dropFirst().map(\.origin))
        }
    }
}

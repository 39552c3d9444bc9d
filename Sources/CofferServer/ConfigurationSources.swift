public import Configuration
import Foundation

/// Where `coffer serve` reads its settings: swift-configuration's reader over three providers,
/// queried in order (command line, then environment, then the config file). The structured members
/// of the file (rotation functions, web identity keys, rate limits, alert webhooks) are read by
/// ``CofferConfiguration/apply(configFile:)``, which also refuses unknown members and wrong types;
/// the file's scalar settings go into the reader like the others. The database URL is read as a
/// secret, so an access log of the reader never shows it.
extension CofferConfiguration {
    enum Kind { case string, int, double, bool }

    /// One scalar setting: its key (dotted, as in the file), its environment variable, its type.
    struct Scalar: Sendable {
        let key: String
        let environment: String?
        let kind: Kind
        var secret = false
        let assign: @Sendable (inout CofferConfiguration, ConfigContent) -> Void
    }

    static let scalars: [Scalar] = [
        Scalar(key: "host", environment: "COFFER_HOST", kind: .string) { if case .string(let v) = $1 { $0.host = v } },
        Scalar(key: "port", environment: "COFFER_PORT", kind: .int) { if case .int(let v) = $1 { $0.port = v } },
        Scalar(key: "dataDir", environment: "COFFER_DATA_DIR", kind: .string) { if case .string(let v) = $1 { $0.dataDirectory = v } },
        Scalar(key: "database", environment: "COFFER_DATABASE_URL", kind: .string, secret: true) { if case .string(let v) = $1 { $0.database = v } },
        Scalar(key: "accountId", environment: "COFFER_ACCOUNT_ID", kind: .string) { if case .string(let v) = $1 { $0.accountID = v } },
        Scalar(key: "dev", environment: "COFFER_DEV", kind: .bool) { if case .bool(let v) = $1 { $0.dev = v } },
        Scalar(key: "logLevel", environment: "COFFER_LOG_LEVEL", kind: .string) { if case .string(let v) = $1 { $0.logLevel = v } },
        Scalar(key: "purgeIntervalSeconds", environment: "COFFER_PURGE_INTERVAL_SECONDS", kind: .double) {
            if case .double(let v) = $1 { $0.purgeIntervalSeconds = v }
        },
        Scalar(key: "audit.retentionDays", environment: "COFFER_AUDIT_RETENTION_DAYS", kind: .double) {
            if case .double(let v) = $1 { $0.auditRetentionDays = v }
        },
        Scalar(key: "audit.digestIntervalSeconds", environment: "COFFER_AUDIT_DIGEST_INTERVAL_SECONDS", kind: .double) {
            if case .double(let v) = $1 { $0.auditDigestIntervalSeconds = v }
        },
        Scalar(key: "rotation.intervalSeconds", environment: nil, kind: .double) { if case .double(let v) = $1 { $0.rotationIntervalSeconds = v } },
        Scalar(key: "rotation.leaseSeconds", environment: nil, kind: .double) { if case .double(let v) = $1 { $0.rotationLeaseSeconds = v } },
        Scalar(key: "tls.certificate", environment: "COFFER_TLS_CERT", kind: .string) { if case .string(let v) = $1 { $0.tlsCertificate = v } },
        Scalar(key: "tls.key", environment: "COFFER_TLS_KEY", kind: .string) { if case .string(let v) = $1 { $0.tlsKey = v } },
        Scalar(key: "alerts.denialThreshold", environment: nil, kind: .int) { if case .int(let v) = $1 { $0.alerts.denialThreshold = v } },
        Scalar(key: "alerts.denialWindowSeconds", environment: nil, kind: .double) { if case .double(let v) = $1 { $0.alerts.denialWindowSeconds = v } },
        Scalar(key: "alerts.rootUsage", environment: nil, kind: .bool) { if case .bool(let v) = $1 { $0.alerts.rootUsage = v } },
        Scalar(key: "alerts.retryBaseSeconds", environment: nil, kind: .double) { if case .double(let v) = $1 { $0.alerts.retryBaseSeconds = v } },
        Scalar(key: "alerts.maxAttempts", environment: nil, kind: .int) { if case .int(let v) = $1 { $0.alerts.maxAttempts = v } },
    ]

    /// Every setting, command line over environment over config file. `commandLine` holds the
    /// options given, by setting key (`"tls.certificate"`), as text; `flag` names each for errors.
    public static func load(commandLine: [String: String], flags: [String: String] = [:], environment: [String: String],
                            configFile: String?) throws -> CofferConfiguration {
        var settings = CofferConfiguration()
        var fileValues: [AbsoluteConfigKey: ConfigValue] = [:]
        if let configFile {
            // Read once: checked and its structured members applied, then its scalars handed to the reader.
            let object = try configObject(configFile)
            try settings.apply(configFile: configFile, object: object)
            fileValues = fileScalars(object)
        }
        var environmentValues: [AbsoluteConfigKey: ConfigValue] = [:]
        var commandLineValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for scalar in scalars {
            if let name = scalar.environment, let text = environment[name] {
                environmentValues[AbsoluteConfigKey(ConfigKey(scalar.key))] = try value(text, scalar, source: name)
            }
            if let text = commandLine[scalar.key] {
                commandLineValues[AbsoluteConfigKey(ConfigKey(scalar.key))] = try value(text, scalar, source: flags[scalar.key] ?? scalar.key)
            }
        }
        let reader = ConfigReader(providers: [
            InMemoryProvider(name: "command line", values: commandLineValues),
            InMemoryProvider(name: "environment", values: environmentValues),
            InMemoryProvider(name: "config file", values: fileValues),
        ])
        for scalar in scalars {
            let key = ConfigKey(scalar.key)
            let content: ConfigContent? = switch scalar.kind {
            case .string: reader.string(forKey: key, isSecret: scalar.secret).map(ConfigContent.string)
            case .int: reader.int(forKey: key, isSecret: scalar.secret).map(ConfigContent.int)
            case .double: reader.double(forKey: key, isSecret: scalar.secret).map(ConfigContent.double)
            case .bool: reader.bool(forKey: key, isSecret: scalar.secret).map(ConfigContent.bool)
            }
            if let content { scalar.assign(&settings, content) }
        }
        try settings.apply(environment: environment)
        try settings.validate()
        return settings
    }

    /// A setting's text (from the command line or the environment) as its type, or an error naming where it came from.
    static func value(_ text: String, _ scalar: Scalar, source: String) throws -> ConfigValue {
        let content: ConfigContent
        switch scalar.kind {
        case .string: content = .string(text)
        case .int:
            guard let number = Int(text) else { throw ConfigurationError("\(source) must be a whole number") }
            content = .int(number)
        case .double:
            guard let number = Double(text) else { throw ConfigurationError("\(source) must be a number") }
            content = .double(number)
        case .bool:
            switch text.lowercased() {
            case "1", "true", "yes", "on": content = .bool(true)
            case "0", "false", "no", "off", "": content = .bool(false)
            default: throw ConfigurationError("\(source) must be true or false")
            }
        }
        return ConfigValue(content, isSecret: scalar.secret)
    }

    /// The config file's scalar settings (already checked by ``apply(configFile:)``).
    static func fileScalars(_ object: [String: Any]) -> [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for scalar in scalars {
            var node: Any? = object
            for part in scalar.key.split(separator: ".") { node = (node as? [String: Any])?[String(part)] }
            guard let found = node, !(found is NSNull) else { continue }
            let content: ConfigContent? = switch scalar.kind {
            case .string: (found as? String).map(ConfigContent.string)
            case .int: (found as? Int).map(ConfigContent.int)
            case .double: (found as? NSNumber).map { ConfigContent.double($0.doubleValue) }
            case .bool: (found as? Bool).map(ConfigContent.bool)
            }
            if let content { values[AbsoluteConfigKey(ConfigKey(scalar.key))] = ConfigValue(content, isSecret: scalar.secret) }
        }
        return values
    }
}

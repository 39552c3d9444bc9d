public import CofferRotators
import CofferCore
import Foundation

/// Settings for `coffer serve`, read in the order command line > environment > config file.
public struct CofferConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 4566
    public var dataDirectory = "./coffer-data"
    /// A PostgreSQL URL shared by several nodes, instead of the data directory's SQLite file.
    public var database: String?
    public var accountID: String?
    public var dev = false
    /// How often secrets whose recovery window ended are removed.
    public var purgeIntervalSeconds: Double = 60
    public var logLevel = "info"
    /// How long audit records are kept (CloudTrail's event history keeps 90 days).
    public var auditRetentionDays: Double = 90
    /// How often a signed digest closes the audit chain (also written at shutdown).
    public var auditDigestIntervalSeconds: Double = 60
    public var alerts = AlertSettings()
    /// Registered rotation functions (`rotation.functions`), reloaded on SIGHUP.
    public var rotationFunctions: [RotationFunctionSpec] = []
    /// How often the rotation scheduler looks for due rotations.
    public var rotationIntervalSeconds: Double = 5
    /// How long a node holds a rotation it started before another run may take it over (after a crash).
    public var rotationLeaseSeconds: Double = 600
    /// Where the config file was read from, for reloading.
    public var configFile: String?
    /// OpenID Connect issuers' signing keys by issuer URL: a JWKS file or URL. Issuers not named
    /// here are asked through their discovery document.
    public var webIdentityKeys: [String: String] = [:]
    /// A PEM certificate (chain) and private key: with both, Coffer speaks HTTPS only.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Request limits per source address and per access key (none by default).
    public var rateLimits = RateLimitSettings()

    public init() {}

    /// Applies a JSON config file: `host`, `port`, `dataDir`, `database`, `accountId`, `dev`, `logLevel`,
    /// `purgeIntervalSeconds`, `audit`, `rotation`, `webIdentity`, `tls`, `rateLimits`, `alerts`. A member
    /// that is not a setting, or has the wrong type, is an error naming it (a typo must not pass unseen).
    public mutating func apply(configFile path: String) throws {
        try apply(configFile: path, object: try Self.configObject(path))
    }

    static func configObject(_ path: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] else {
            throw ConfigurationError("the config file \(path) is not a JSON object")
        }
        return object
    }

    mutating func apply(configFile path: String, object: [String: Any]) throws {
        let root = try ConfigSection(object, path: "", known: ["host", "port", "dataDir", "database", "accountId", "dev", "logLevel",
                                                              "purgeIntervalSeconds", "audit", "rotation", "webIdentity", "tls",
                                                              "rateLimits", "alerts"])
        if let v: String = try root["host"] { host = v }
        if let v: Int = try root["port"] { port = v }
        if let v: String = try root["dataDir"] { dataDirectory = v }
        if let v: String = try root["database"] { database = v }
        if let v: String = try root["accountId"] { accountID = v }
        if let v: Bool = try root["dev"] { dev = v }
        if let v: String = try root["logLevel"] { logLevel = v }
        if let v: Double = try root["purgeIntervalSeconds"] { purgeIntervalSeconds = v }
        if let audit = try root.section("audit", known: ["retentionDays", "digestIntervalSeconds"]) {
            if let v: Double = try audit["retentionDays"] { auditRetentionDays = v }
            if let v: Double = try audit["digestIntervalSeconds"] { auditDigestIntervalSeconds = v }
        }
        if let section = try root.section("rotation", known: ["functions", "intervalSeconds", "leaseSeconds"]) {
            if let list: [[String: Any]] = try section["functions"] {
                rotationFunctions = try list.map { try RotationFunctionSpec(json: $0) }
                let names = rotationFunctions.map(\.name)
                guard Set(names).count == names.count else { throw ConfigurationError("rotation.functions: every name must be unique") }
            }
            if let v: Double = try section["intervalSeconds"] { rotationIntervalSeconds = v }
            if let v: Double = try section["leaseSeconds"] { rotationLeaseSeconds = v }
        }
        configFile = path
        if let section = try root.section("webIdentity", known: ["keys"]), let keys: [String: String] = try section["keys"] {
            webIdentityKeys = keys
        }
        if let section = try root.section("tls", known: ["certificate", "key"]) {
            tlsCertificate = try section["certificate"]
            tlsKey = try section["key"]
        }
        if let section = try root.section("rateLimits", known: ["perSourceIp", "perAccessKey"]) {
            rateLimits = try RateLimitSettings(json: section.object)
        }
        if let section = try root.section("alerts", known: ["webhooks", "denialThreshold", "denialWindowSeconds", "rootUsage",
                                                           "retryBaseSeconds", "maxAttempts"]) {
            if let v: [String] = try section["webhooks"] { alerts.webhooks = v }
            if let v: Int = try section["denialThreshold"] { alerts.denialThreshold = v }
            if let v: Double = try section["denialWindowSeconds"] { alerts.denialWindowSeconds = v }
            if let v: Bool = try section["rootUsage"] { alerts.rootUsage = v }
            if let v: Double = try section["retryBaseSeconds"] { alerts.retryBaseSeconds = v }
            if let v: Int = try section["maxAttempts"] { alerts.maxAttempts = v }
        }
        try validate()
    }

    public func validate() throws {
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ConfigurationError("TLS needs both a certificate and a key") }
        guard rotationIntervalSeconds > 0, rotationLeaseSeconds > 0 else {
            throw ConfigurationError("rotation.intervalSeconds and rotation.leaseSeconds must be positive")
        }
        guard auditRetentionDays > 0, auditDigestIntervalSeconds > 0 else {
            throw ConfigurationError("audit.retentionDays and audit.digestIntervalSeconds must be positive")
        }
        guard alerts.denialThreshold >= 0, alerts.denialWindowSeconds > 0, alerts.maxAttempts >= 1, alerts.retryBaseSeconds >= 0 else {
            throw ConfigurationError("alerts: denialThreshold >= 0, denialWindowSeconds > 0, maxAttempts >= 1, retryBaseSeconds >= 0")
        }
        for hook in alerts.webhooks {
            guard let url = URL(string: hook), ["http", "https"].contains(url.scheme ?? "") else {
                throw ConfigurationError("alerts.webhooks must be http(s) URLs")
            }
        }
    }

    /// Applies the environment variables whose values are not one setting each:
    /// `COFFER_WEB_IDENTITY_KEYS` (ISSUER=SOURCE,...), `COFFER_ALERT_WEBHOOKS` (comma-separated),
    /// `COFFER_RATE_LIMIT_PER_SOURCE_IP` (REQUESTS/SECONDS). The others are read by ``load(commandLine:flags:environment:configFile:)``.
    mutating func apply(environment: [String: String]) throws {
        if let v = environment["COFFER_WEB_IDENTITY_KEYS"] {
            // ISSUER=SOURCE pairs separated by commas; the issuer is a URL and so holds no comma.
            for pair in v.split(separator: ",") {
                guard let mark = pair.firstIndex(of: "="), mark != pair.startIndex else {
                    throw ConfigurationError("COFFER_WEB_IDENTITY_KEYS holds ISSUER=JWKS pairs separated by commas")
                }
                webIdentityKeys[String(pair[..<mark])] = String(pair[pair.index(after: mark)...])
            }
        }
        if let v = environment["COFFER_RATE_LIMIT_PER_SOURCE_IP"] {
            // REQUESTS/SECONDS, as "2000/300" (AWS WAF's rate-based rule: 2,000 in five minutes).
            let parts = v.split(separator: "/")
            guard parts.count == 2, let requests = Int(parts[0]), requests > 0, let window = Double(parts[1]), window > 0 else {
                throw ConfigurationError("COFFER_RATE_LIMIT_PER_SOURCE_IP is REQUESTS/SECONDS, as 2000/300")
            }
            rateLimits.perSourceIP = RateRule(requests: requests, windowSeconds: window)
        }
        if let v = environment["COFFER_ALERT_WEBHOOKS"] { alerts.webhooks = v.split(separator: ",").map(String.init) }
        try validate()
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One object of the config file, refusing members it does not know and values of the wrong type.
struct ConfigSection {
    let object: [String: Any]
    let path: String

    init(_ object: [String: Any], path: String, known: Set<String>) throws {
        self.object = object
        self.path = path
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError("\(path)\(unknown) in the config file is not a setting (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    subscript<T>(_ name: String) -> T? {
        get throws {
            guard let value = object[name], !(value is NSNull) else { return nil }
            // JSON numbers arrive as NSNumber: a whole number is a Double too, as settings in seconds want.
            if T.self == Double.self, let number = value as? NSNumber, !(value is Bool) { return number.doubleValue as? T }
            guard let typed = value as? T else {
                throw ConfigurationError("\(path)\(name) in the config file must be \(Self.describe(T.self))")
            }
            return typed
        }
    }

    func section(_ name: String, known: Set<String>) throws -> ConfigSection? {
        guard let value = object[name] else { return nil }
        guard let nested = value as? [String: Any] else { throw ConfigurationError("\(path)\(name) in the config file must be an object") }
        return try ConfigSection(nested, path: path + name + ".", known: known)
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is [String].Type: "a list of strings"
        case is [String: String].Type: "an object of strings"
        default: "a list of objects"
        }
    }
}

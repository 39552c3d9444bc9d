import Foundation

/// Settings for `coffer serve`, read in the order command line > environment > config file.
public struct CofferConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 4566
    public var dataDirectory = "./coffer-data"
    public var accountID: String?
    public var dev = false
    /// How often secrets whose recovery window ended are removed.
    public var purgeIntervalSeconds: Double = 60
    public var logLevel = "info"

    public init() {}

    /// Applies a JSON config file's members (`host`, `port`, `dataDir`, `accountId`, `dev`, `logLevel`).
    public mutating func apply(configFile path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError("the config file \(path) is not a JSON object")
        }
        if let v = object["host"] as? String { host = v }
        if let v = object["port"] as? Int { port = v }
        if let v = object["dataDir"] as? String { dataDirectory = v }
        if let v = object["accountId"] as? String { accountID = v }
        if let v = object["dev"] as? Bool { dev = v }
        if let v = object["logLevel"] as? String { logLevel = v }
        if let v = object["purgeIntervalSeconds"] as? Double { purgeIntervalSeconds = v }
    }

    /// Applies `COFFER_HOST`, `COFFER_PORT`, `COFFER_DATA_DIR`, `COFFER_ACCOUNT_ID`, `COFFER_DEV`, `COFFER_LOG_LEVEL`.
    public mutating func apply(environment: [String: String]) throws {
        if let v = environment["COFFER_HOST"] { host = v }
        if let v = environment["COFFER_PORT"] {
            guard let port = Int(v) else { throw ConfigurationError("COFFER_PORT must be a number") }
            self.port = port
        }
        if let v = environment["COFFER_DATA_DIR"] { dataDirectory = v }
        if let v = environment["COFFER_ACCOUNT_ID"] { accountID = v }
        if let v = environment["COFFER_DEV"] { dev = ["1", "true", "yes"].contains(v.lowercased()) }
        if let v = environment["COFFER_LOG_LEVEL"] { logLevel = v }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

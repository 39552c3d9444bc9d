public import CofferClient
public import Configuration
import Foundation
public import ServiceLifecycle

/// Parameter Store as a swift-configuration provider: every parameter under `path` (recursively),
/// `/app/prod/db/password` answering the key `db.password`; SecureString values are secret. Loaded
/// when created; as a `Service` in a `ServiceGroup` it reloads every `refreshInterval`, and watchers
/// of a key hear when its value changes.
public final class ParameterStoreProvider: Sendable {
    let client: ParameterStoreClient
    let path: String
    let refreshInterval: Duration
    let values: PolledValues

    public init(client: ParameterStoreClient, path: String, refreshInterval: Duration = .seconds(60)) async throws {
        self.client = client
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        self.refreshInterval = refreshInterval
        values = PolledValues(providerName: "ParameterStoreProvider[\(path)]", values: [:])
        try await refresh()
    }

    /// Reads the path again now.
    public func refresh() async throws {
        var loaded: [String: PolledValues.Entry] = [:]
        for parameter in try await client.parameters(under: path) {
            let key = parameter.name.dropFirst(path == "/" ? 0 : path.count).split(separator: "/").joined(separator: ".").lowercased()
            loaded[key] = PolledValues.Entry(value: parameter.value.value, isSecret: parameter.isSecure)
        }
        values.replace(with: loaded)
    }
}

/// One secret's JSON fields as configuration keys (`password`, `host`), every value secret; a secret
/// that is not JSON answers `valueKey`. As a `Service` it checks the secret's version stages every
/// `refreshInterval` (DescribeSecret, no value read) and reloads when AWSCURRENT moved, so a rotation
/// reaches the application without a restart.
public final class SecretsManagerProvider: Sendable {
    let cache: SecretCache
    let secretID: String
    let valueKey: String
    let refreshInterval: Duration
    let values: PolledValues

    public init(client: SecretsManagerClient, secretID: String, valueKey: String = "value", refreshInterval: Duration = .seconds(60)) async throws {
        let seconds = Double(refreshInterval.components.seconds)
        cache = SecretCache(client: client, settings: SecretCache.Settings(ttlSeconds: 86_400, versionCheckSeconds: max(seconds, 0.001)))
        self.secretID = secretID
        self.valueKey = valueKey
        self.refreshInterval = refreshInterval
        values = PolledValues(providerName: "SecretsManagerProvider[\(secretID)]", values: [:])
        try await refresh()
    }

    public func refresh() async throws {
        let secret = try await cache.secret(secretID)
        var loaded: [String: PolledValues.Entry] = [:]
        if let fields = try? secret.fields() {
            for field in fields { loaded[field.name.lowercased()] = PolledValues.Entry(value: field.value.value, isSecret: true) }
        } else if let text = secret.string?.value {
            loaded[valueKey.lowercased()] = PolledValues.Entry(value: text, isSecret: true)
        }
        values.replace(with: loaded)
    }
}

/// What both providers share: answers from the last load, watchers, and the polling Service.
protocol PolledProvider: ConfigProvider, Service, CustomStringConvertible {
    var values: PolledValues { get }
    var refreshInterval: Duration { get }
    func refresh() async throws
}

extension PolledProvider {
    public var providerName: String { values.snapshot.providerName }
    public var description: String { "\(providerName) (\(values.snapshot.values.count) values)" }

    public func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        try values.snapshot.value(forKey: key, type: type)
    }

    public func fetchValue(forKey key: AbsoluteConfigKey, type: ConfigType) async throws -> LookupResult {
        try await refresh()
        return try value(forKey: key, type: type)
    }

    public func watchValue<Return: ~Copyable>(
        forKey key: AbsoluteConfigKey, type: ConfigType,
        updatesHandler: (_ updates: ConfigUpdatesAsyncSequence<Result<LookupResult, any Error>, Never>) async throws -> Return
    ) async throws -> Return {
        try await values.watchValue(forKey: key, type: type, updatesHandler: updatesHandler)
    }

    public func snapshot() -> any ConfigSnapshot { values.snapshot }

    public func watchSnapshot<Return: ~Copyable>(
        updatesHandler: (_ updates: ConfigUpdatesAsyncSequence<any ConfigSnapshot, Never>) async throws -> Return
    ) async throws -> Return {
        try await values.watchSnapshot(updatesHandler: updatesHandler)
    }

    /// Reloads every `refreshInterval` until the service group shuts down; a failed reload keeps the
    /// last good values (and is tried again at the next tick) rather than emptying the configuration.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: refreshInterval)
                try? await refresh()
            }
        }
    }
}

extension ParameterStoreProvider: PolledProvider {}
extension SecretsManagerProvider: PolledProvider {}

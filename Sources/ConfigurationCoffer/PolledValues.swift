public import Configuration
import Foundation
import Synchronization

/// A configuration value the providers could not turn into the type asked for.
public struct CofferConfigurationError: Error, CustomStringConvertible {
    public let description: String
}

/// The values a provider last loaded, as strings keyed by their dotted configuration key, and the
/// watchers waiting for them to change. Shared by the Parameter Store and Secrets Manager providers.
final class PolledValues: Sendable {
    struct Entry: Equatable, Sendable {
        let value: String
        let isSecret: Bool
    }

    struct Snapshot: ConfigSnapshot {
        let providerName: String
        let values: [String: Entry]

        func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
            let encoded = PolledValues.encode(key)
            guard let entry = values[encoded] else { return LookupResult(encodedKey: encoded, value: nil) }
            return LookupResult(encodedKey: encoded, value: try PolledValues.convert(entry, to: type, key: encoded))
        }
    }

    struct Storage {
        var snapshot: Snapshot
        var valueWatchers: [String: [UUID: AsyncStream<Entry?>.Continuation]] = [:]
        var snapshotWatchers: [UUID: AsyncStream<Snapshot>.Continuation] = [:]
    }

    private let storage: Mutex<Storage>

    /// Keys match without regard to case, as the environment provider's do: `mysql.password` finds
    /// `/ELASMETRICS/STAGING/MYSQL/PASSWORD`, so the providers compose with the built-in ones.
    static func encode(_ key: AbsoluteConfigKey) -> String { key.components.joined(separator: ".").lowercased() }

    init(providerName: String, values: [String: Entry]) {
        storage = Mutex(Storage(snapshot: Snapshot(providerName: providerName, values: values)))
    }

    var snapshot: Snapshot { storage.withLock { $0.snapshot } }

    /// Replaces the values; watchers of keys that changed (and snapshot watchers, if anything did) hear of it.
    func replace(with values: [String: Entry]) {
        let (valueNotices, snapshotNotice): ([(AsyncStream<Entry?>.Continuation, Entry?)], ([AsyncStream<Snapshot>.Continuation], Snapshot)?) =
            storage.withLock { storage in
                let old = storage.snapshot.values
                guard old != values else { return ([], nil) }
                storage.snapshot = Snapshot(providerName: storage.snapshot.providerName, values: values)
                var notices: [(AsyncStream<Entry?>.Continuation, Entry?)] = []
                for (key, watchers) in storage.valueWatchers where old[key] != values[key] {
                    for continuation in watchers.values { notices.append((continuation, values[key])) }
                }
                return (notices, storage.snapshotWatchers.isEmpty ? nil : (Array(storage.snapshotWatchers.values), storage.snapshot))
            }
        for (continuation, entry) in valueNotices { continuation.yield(entry) }
        if let (continuations, snapshot) = snapshotNotice { for continuation in continuations { continuation.yield(snapshot) } }
    }

    func watchValue<Return: ~Copyable>(
        forKey key: AbsoluteConfigKey, type: ConfigType,
        updatesHandler: (_ updates: ConfigUpdatesAsyncSequence<Result<LookupResult, any Error>, Never>) async throws -> Return
    ) async throws -> Return {
        let encoded = Self.encode(key)
        let (stream, continuation) = AsyncStream<Entry?>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        storage.withLock { storage in
            storage.valueWatchers[encoded, default: [:]][id] = continuation
            continuation.yield(storage.snapshot.values[encoded])
        }
        defer { storage.withLock { storage in storage.valueWatchers[encoded]?[id] = nil } }
        return try await updatesHandler(ConfigUpdatesAsyncSequence(stream.map { entry -> Result<LookupResult, any Error> in
            Result { LookupResult(encodedKey: encoded, value: try entry.map { try Self.convert($0, to: type, key: encoded) }) }
        }))
    }

    func watchSnapshot<Return: ~Copyable>(
        updatesHandler: (_ updates: ConfigUpdatesAsyncSequence<any ConfigSnapshot, Never>) async throws -> Return
    ) async throws -> Return {
        let (stream, continuation) = AsyncStream<Snapshot>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        storage.withLock { storage in
            storage.snapshotWatchers[id] = continuation
            continuation.yield(storage.snapshot)
        }
        defer { storage.withLock { storage in storage.snapshotWatchers[id] = nil } }
        return try await updatesHandler(ConfigUpdatesAsyncSequence(stream.map { $0 as any ConfigSnapshot }))
    }

    /// Strings to the type asked for, as swift-configuration's environment provider converts them.
    static func convert(_ entry: Entry, to type: ConfigType, key: String) throws -> ConfigValue {
        let text = entry.value
        func fail() -> CofferConfigurationError { CofferConfigurationError(description: "\(key) is not a \(type.rawValue)") }
        func bool(_ s: String) -> Bool? {
            switch s.lowercased() {
            case "true", "1", "yes": true
            case "false", "0", "no": false
            default: nil
            }
        }
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let content: ConfigContent
        switch type {
        case .string: content = .string(text)
        case .int: guard let v = Int(text) else { throw fail() }; content = .int(v)
        case .double: guard let v = Double(text) else { throw fail() }; content = .double(v)
        case .bool: guard let v = bool(text) else { throw fail() }; content = .bool(v)
        case .bytes: guard let v = Data(base64Encoded: text) else { throw fail() }; content = .bytes([UInt8](v))
        case .stringArray: content = .stringArray(items)
        case .intArray:
            let v = items.compactMap { Int($0) }
            guard v.count == items.count else { throw fail() }
            content = .intArray(v)
        case .doubleArray:
            let v = items.compactMap { Double($0) }
            guard v.count == items.count else { throw fail() }
            content = .doubleArray(v)
        case .boolArray:
            let v = items.compactMap(bool)
            guard v.count == items.count else { throw fail() }
            content = .boolArray(v)
        case .byteChunkArray:
            let v = items.compactMap { Data(base64Encoded: $0).map { [UInt8]($0) } }
            guard v.count == items.count else { throw fail() }
            content = .byteChunkArray(v)
        default: throw fail()
        }
        return ConfigValue(content, isSecret: entry.isSecret)
    }
}

public import CofferCore
public import struct Foundation.Date
import Synchronization

/// Keeps everything in memory, for `coffer serve --dev` and tests. Values stay sealed here too.
public final class MemoryStore: CofferStore {
    private struct State {
        var secrets: [String: (scope: ResourceScope, secret: Secret)] = [:]
        var names: [ResourceScope: [String: String]] = [:]
        var values: [String: [String: [UInt8]]] = [:]
        var accessKeys: [String: StoredAccessKey] = [:]
        var settings: [String: String] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func secret(named name: String, in scope: ResourceScope) async throws -> Secret? {
        state.withLock { state in state.names[scope]?[name].flatMap { state.secrets[$0]?.secret } }
    }

    public func secret(arn: String) async throws -> Secret? {
        state.withLock { $0.secrets[arn]?.secret }
    }

    public func secrets(in scope: ResourceScope) async throws -> [Secret] {
        state.withLock { state in
            (state.names[scope] ?? [:]).values.compactMap { state.secrets[$0]?.secret }.sorted { $0.createdDate < $1.createdDate }
        }
    }

    public func sealedValue(arn: String, versionID: String) async throws -> [UInt8]? {
        state.withLock { $0.values[arn]?[versionID] }
    }

    public func write(_ write: SecretWrite) async throws {
        try state.withLock { state in
            let arn = write.secret.arn
            switch write.kind {
            case .create:
                if state.names[write.scope]?[write.secret.name] != nil { throw StorageError.nameTaken }
            case .update(let expected):
                guard let current = state.secrets[arn], current.secret.revision == expected else { throw StorageError.conflict }
            }
            state.secrets[arn] = (write.scope, write.secret)
            state.names[write.scope, default: [:]][write.secret.name] = arn
            for value in write.newValues { state.values[arn, default: [:]][value.versionID] = value.sealed }
            for id in write.removedVersionIDs { state.values[arn]?[id] = nil }
        }
    }

    public func removeSecret(arn: String) async throws {
        state.withLock { state in
            guard let entry = state.secrets.removeValue(forKey: arn) else { return }
            state.names[entry.scope]?[entry.secret.name] = nil
            state.values[arn] = nil
        }
    }

    public func secretsDue(forDeletionAt date: Date) async throws -> [String] {
        state.withLock { state in
            state.secrets.values.compactMap { entry in
                entry.secret.deletionDate.flatMap { $0 <= date ? entry.secret.arn : nil }
            }
        }
    }

    public func accessKey(id: String) async throws -> StoredAccessKey? { state.withLock { $0.accessKeys[id] } }

    public func putAccessKey(_ key: StoredAccessKey) async throws { state.withLock { $0.accessKeys[key.accessKeyID] = key } }

    public func setting(_ name: String) async throws -> String? { state.withLock { $0.settings[name] } }

    public func setSetting(_ name: String, _ value: String) async throws { state.withLock { $0.settings[name] = value } }
}

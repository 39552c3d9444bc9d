public import CofferCore
public import struct Foundation.Date
import Synchronization

/// Keeps recently read secret metadata and sealed values in memory in front of a store.
///
/// Only for a store that this process alone writes (the SQLite file of one node): every write
/// passes through here, so the cache is updated as the write commits. A read that raced with a
/// write never caches what it read (the generation check), so the cache cannot go stale. Values
/// stay sealed in the cache, as they are on disk.
public final class CachingStore: CofferStore {
    private struct Cache {
        var generation = 0
        var byARN: [String: Secret] = [:]
        var arnByName: [ResourceScope: [String: String]] = [:]
        var values: [String: [UInt8]] = [:]
        var valueBytes = 0
    }

    public let base: any CofferStore
    private let cache = Mutex(Cache())
    private let maximumValueBytes: Int
    private let maximumSecrets: Int

    public init(base: any CofferStore, maximumValueBytes: Int = 64 << 20, maximumSecrets: Int = 100_000) {
        self.base = base
        self.maximumValueBytes = maximumValueBytes
        self.maximumSecrets = maximumSecrets
    }

    private func valueKey(_ arn: String, _ versionID: String) -> String { arn + "\u{0}" + versionID }

    private func remember(_ secret: Secret, scope: ResourceScope?, ifGeneration generation: Int?) {
        cache.withLock { cache in
            if let generation, generation != cache.generation { return }
            if cache.byARN.count >= maximumSecrets { cache.byARN.removeAll(); cache.arnByName.removeAll() }
            cache.byARN[secret.arn] = secret
            if let scope { cache.arnByName[scope, default: [:]][secret.name] = secret.arn }
        }
    }

    private var generation: Int { cache.withLock { $0.generation } }

    public func secret(named name: String, in scope: ResourceScope) async throws -> Secret? {
        if let hit = cache.withLock({ cache in cache.arnByName[scope]?[name].flatMap { cache.byARN[$0] } }) { return hit }
        let seen = generation
        guard let secret = try await base.secret(named: name, in: scope) else { return nil }
        remember(secret, scope: scope, ifGeneration: seen)
        return secret
    }

    public func secret(arn: String) async throws -> Secret? {
        if let hit = cache.withLock({ $0.byARN[arn] }) { return hit }
        let seen = generation
        guard let secret = try await base.secret(arn: arn) else { return nil }
        if let parsed = ARN(arn) {
            remember(secret, scope: ResourceScope(account: parsed.account, region: parsed.region), ifGeneration: seen)
        }
        return secret
    }

    public func secrets(in scope: ResourceScope) async throws -> [Secret] { try await base.secrets(in: scope) }

    public func sealedValue(arn: String, versionID: String) async throws -> [UInt8]? {
        let key = valueKey(arn, versionID)
        if let hit = cache.withLock({ $0.values[key] }) { return hit }
        let seen = generation
        guard let sealed = try await base.sealedValue(arn: arn, versionID: versionID) else { return nil }
        cache.withLock { cache in
            guard cache.generation == seen else { return }
            if cache.valueBytes + sealed.count > maximumValueBytes { cache.values.removeAll(); cache.valueBytes = 0 }
            cache.values[key] = sealed
            cache.valueBytes += sealed.count
        }
        return sealed
    }

    public func write(_ write: SecretWrite) async throws {
        // Bump first so reads that overlap the write do not cache what they saw.
        cache.withLock { $0.generation += 1 }
        do {
            try await base.write(write)
        } catch {
            cache.withLock { cache in
                cache.generation += 1
                cache.byARN[write.secret.arn] = nil
            }
            throw error
        }
        cache.withLock { cache in
            cache.generation += 1
            cache.byARN[write.secret.arn] = write.secret
            cache.arnByName[write.scope, default: [:]][write.secret.name] = write.secret.arn
            for id in write.removedVersionIDs { cache.values[valueKey(write.secret.arn, id)] = nil }
        }
    }

    public func removeSecret(arn: String) async throws {
        cache.withLock { $0.generation += 1 }
        defer {
            cache.withLock { cache in
                cache.generation += 1
                if let secret = cache.byARN.removeValue(forKey: arn), let parsed = ARN(arn) {
                    cache.arnByName[ResourceScope(account: parsed.account, region: parsed.region)]?[secret.name] = nil
                }
                // Names are few per scope; drop any that still point at the removed ARN.
                for scope in cache.arnByName.keys {
                    cache.arnByName[scope] = cache.arnByName[scope]?.filter { $0.value != arn }
                }
                cache.values = cache.values.filter { !$0.key.hasPrefix(arn + "\u{0}") }
                cache.valueBytes = cache.values.values.reduce(0) { $0 + $1.count }
            }
        }
        try await base.removeSecret(arn: arn)
    }

    public func secretsDue(forDeletionAt date: Date) async throws -> [String] { try await base.secretsDue(forDeletionAt: date) }
    public func accessKey(id: String) async throws -> StoredAccessKey? { try await base.accessKey(id: id) }
    public func putAccessKey(_ key: StoredAccessKey) async throws { try await base.putAccessKey(key) }
    public func setting(_ name: String) async throws -> String? { try await base.setting(name) }
    public func setSetting(_ name: String, _ value: String) async throws { try await base.setSetting(name, value) }
}

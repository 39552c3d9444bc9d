public import CofferCore
public import struct Foundation.Date
import Synchronization

/// Keeps recently read records and sealed values in memory in front of a store.
///
/// Every write of this node passes through here, so the cache is updated as the write commits. A
/// read that raced with a write never caches what it read (the generation check), so the cache
/// cannot go stale. In front of a store shared with other nodes (``SharedStore``), their changes
/// arrive through the store's feed and drop what they touch (bumping the generation the same way);
/// while the feed is not live the cache neither answers nor fills. Values stay sealed in the cache,
/// as they are on disk.
public final class CachingStore: CofferStore, SharedStore {
    struct NameKey: Hashable {
        let kind: String
        let scope: ResourceScope
        let name: String

        /// The name alone: it nearly always tells records apart, and hashing the kind, account and
        /// region too was three more strings through SipHash on every lookup (equality still compares all).
        func hash(into hasher: inout Hasher) { hasher.combine(name) }
    }

    struct Cache {
        mutating func remember(_ record: any Record, key: NameKey) {
            // Writes of one record can finish out of order (their tasks resume in any order after
            // one commit): the cache keeps the latest revision, never an earlier one after it.
            if let cached = byARN[record.arn], cached.revision > record.revision { return }
            if let previous = nameByARN[record.arn], previous != key { byName[previous] = nil }
            byARN[record.arn] = record
            byName[key] = record
            nameByARN[record.arn] = key
        }

        /// A record this node wrote, unless it was forgotten (removed here, changed or removed by
        /// another node) after the write began: the write's task may resume after that.
        mutating func rememberWritten(_ record: any Record, key: NameKey, startedAt started: Int) {
            if started < forgottenFloor || (forgotten[record.arn] ?? .min) > started { return }
            remember(record, key: key)
        }

        /// A sealed value's place, by its two strings: a key joined from them cost an allocation on
        /// every read. (Both are hashed: callers choose version ids, and ids alone could be made to collide.)
        struct ValueKey: Hashable {
            let arn: String
            let versionID: String
        }

        /// Drops the values a write removed or replaced (a new value for a version already there).
        mutating func dropValues<R>(of write: RecordWrite<R>) {
            let arn = write.record.arn
            for id in write.removedVersionIDs { valueBytes -= values.removeValue(forKey: ValueKey(arn: arn, versionID: id))?.count ?? 0 }
            for value in write.newValues { valueBytes -= values.removeValue(forKey: ValueKey(arn: arn, versionID: value.versionID))?.count ?? 0 }
        }

        /// Drops the record and its values.
        mutating func forget(_ arn: String) {
            if forgotten.count >= 4_096 {
                forgotten.removeAll()
                forgottenFloor = generation
            }
            forgotten[arn] = generation
            byARN[arn] = nil
            if let key = nameByARN.removeValue(forKey: arn) { byName[key] = nil }
            let stale = values.keys.filter { $0.arn == arn }
            for key in stale { valueBytes -= values.removeValue(forKey: key)?.count ?? 0 }
        }

        var generation = 0
        /// When each record was last forgotten (the generation), and the generation before which
        /// that is no longer known.
        var forgotten: [String: Int] = [:]
        var forgottenFloor = 0
        var byARN: [String: any Record] = [:]
        /// The same records as `byARN`, by kind, scope and name: a read by name is one lookup.
        var byName: [NameKey: any Record] = [:]
        var nameByARN: [String: NameKey] = [:]
        var values: [ValueKey: [UInt8]] = [:]
        var valueBytes = 0
    }

    public let base: any CofferStore
    private let cache = Mutex(Cache())
    private let maximumValueBytes: Int
    private let maximumRecords: Int

    public let remoteChanges: ChangeFeed?
    private let hits = Atomic<Int>(0)
    private let misses = Atomic<Int>(0)

    /// Lookups of records and values answered from memory, and those that went to the store.
    public var lookups: (hits: Int, misses: Int) { (hits.load(ordering: .relaxed), misses.load(ordering: .relaxed)) }

    private func counted<T>(_ hit: T?) -> T? {
        if hit == nil { misses.wrappingAdd(1, ordering: .relaxed) } else { hits.wrappingAdd(1, ordering: .relaxed) }
        return hit
    }

    public init(base: any CofferStore, maximumValueBytes: Int = 64 << 20, maximumRecords: Int = 100_000) {
        self.base = base
        self.maximumValueBytes = maximumValueBytes
        self.maximumRecords = maximumRecords
        remoteChanges = SharedStores.feed(of: base)
        remoteChanges?.subscribe { [weak self] event in
            self?.cache.withLock { cache in
                cache.generation += 1
                switch event {
                case .reset:
                    cache = Cache(generation: cache.generation, forgottenFloor: cache.generation)
                case .changed(let change):
                    if case .record(_, let arn) = change.subject { cache.forget(arn) }
                }
            }
        }
    }

    /// Whether the cache may answer and fill: always, unless other nodes' changes may be missed.
    private var usable: Bool { remoteChanges?.isLive ?? true }


    private var generation: Int { cache.withLock { $0.generation } }

    private func remember<R: Record>(_ record: R, scope: ResourceScope, ifGeneration generation: Int) {
        cache.withLock { cache in
            guard generation == cache.generation else { return }
            if cache.byARN.count >= maximumRecords {
                cache.byARN.removeAll()
                cache.byName.removeAll()
                cache.nameByARN.removeAll()
            }
            cache.remember(record, key: NameKey(kind: R.kind, scope: scope, name: record.name))
        }
    }

    // Secrets are the records read and written on every hot call: their own copies of these generic
    // functions spare each call the runtime's lookups of generic metadata (RecordWrite<R>, R?, ...).
    // Every read of a secret or parameter also resolves its KMS key (through the alias for the
    // AWS-managed one).
    @_specialize(where R == Secret)
    @_specialize(where R == KMSKey)
    @_specialize(where R == KMSAlias)
    public func record<R: Record>(_ type: R.Type, named name: String, in scope: ResourceScope) async throws -> R? {
        let key = NameKey(kind: R.kind, scope: scope, name: name)
        guard usable else { return try await base.record(type, named: name, in: scope) }
        if let hit = counted(cache.withLock({ $0.byName[key] as? R })) { return hit }
        let seen = generation
        guard let record = try await base.record(type, named: name, in: scope) else { return nil }
        remember(record, scope: scope, ifGeneration: seen)
        return record
    }

    public func record<R: Record>(_ type: R.Type, arn: String) async throws -> R? {
        guard usable else { return try await base.record(type, arn: arn) }
        if let hit = counted(cache.withLock({ $0.byARN[arn] as? R })) { return hit }
        let seen = generation
        guard let record = try await base.record(type, arn: arn) else { return nil }
        if let parsed = ARN(arn) {
            remember(record, scope: ResourceScope(account: parsed.account, region: parsed.region), ifGeneration: seen)
        }
        return record
    }

    public func records<R: Record>(_ type: R.Type, in scope: ResourceScope) async throws -> [R] {
        try await base.records(type, in: scope)
    }

    public func page<R: Record>(_ query: RecordQuery<R>) async throws -> RecordPage<R> { try await base.page(query) }

    public func sealedValue(arn: String, versionID: String) async throws -> [UInt8]? {
        guard usable else { return try await base.sealedValue(arn: arn, versionID: versionID) }
        let key = Cache.ValueKey(arn: arn, versionID: versionID)
        if let hit = counted(cache.withLock({ $0.values[key] })) { return hit }
        let seen = generation
        guard let sealed = try await base.sealedValue(arn: arn, versionID: versionID) else { return nil }
        cache.withLock { cache in
            guard cache.generation == seen else { return }
            if cache.valueBytes + sealed.count > maximumValueBytes {
                cache.values.removeAll()
                cache.valueBytes = 0
            }
            cache.values[key] = sealed
            cache.valueBytes += sealed.count
        }
        return sealed
    }

    public func write<R: Record>(_ write: RecordWrite<R>) async throws {
        // Bump first so reads that overlap the write do not cache what they saw.
        let started = cache.withLock { cache in
            cache.generation += 1
            return cache.generation
        }
        do {
            try await base.write(write)
        } catch {
            cache.withLock { cache in
                cache.generation += 1
                cache.forget(write.record.arn)
            }
            throw error
        }
        cache.withLock { cache in
            cache.generation += 1
            cache.rememberWritten(write.record, key: NameKey(kind: R.kind, scope: write.scope, name: write.record.name), startedAt: started)
            cache.dropValues(of: write)
        }
    }

    @_specialize(where R == Secret)
    public func update<R: Record>(_ type: R.Type, arn: String, _ change: @escaping @Sendable (R) throws -> RecordWrite<R>?) async throws -> R? {
        let started = cache.withLock { cache in
            cache.generation += 1
            return cache.generation
        }
        let committed = Mutex<RecordWrite<R>?>(nil)
        let record: R?
        do {
            record = try await base.update(type, arn: arn) { current in
                let write = try change(current)
                committed.withLock { $0 = write }
                return write
            }
        } catch {
            cache.withLock { cache in
                cache.generation += 1
                cache.forget(arn)
            }
            throw error
        }
        let write = committed.withLock { $0 }
        cache.withLock { cache in
            cache.generation += 1
            guard let record, let write else {
                if record == nil { cache.forget(arn) }
                return
            }
            cache.rememberWritten(record, key: NameKey(kind: R.kind, scope: write.scope, name: record.name), startedAt: started)
            cache.dropValues(of: write)
        }
        return record
    }

    public func removeRecord(arn: String) async throws {
        cache.withLock { $0.generation += 1 }
        defer {
            cache.withLock { cache in
                cache.generation += 1
                cache.forget(arn)
            }
        }
        try await base.removeRecord(arn: arn)
    }

    public func recordsDue(forDeletionAt date: Date) async throws -> [(kind: String, arn: String)] {
        try await base.recordsDue(forDeletionAt: date)
    }

    public func recordsDue(kind: String, at date: Date, limit: Int) async throws -> [String] {
        try await base.recordsDue(kind: kind, at: date, limit: limit)
    }

    public func accessKey(id: String) async throws -> StoredAccessKey? { try await base.accessKey(id: id) }
    public func putAccessKey(_ key: StoredAccessKey) async throws { try await base.putAccessKey(key) }
    public func accessKeys(principalARN: String) async throws -> [StoredAccessKey] { try await base.accessKeys(principalARN: principalARN) }
    public func deleteAccessKey(id: String) async throws { try await base.deleteAccessKey(id: id) }
    public func setting(_ name: String) async throws -> String? { try await base.setting(name) }
    public func setSetting(_ name: String, _ value: String) async throws { try await base.setSetting(name, value) }

    @discardableResult
    public func appendAudit(_ records: [AuditAppend]) async throws -> [Int] { try await base.appendAudit(records) }

    public func auditEntries(after: Int, limit: Int) async throws -> [AuditChain.Entry] {
        try await base.auditEntries(after: after, limit: limit)
    }

    public func auditEntries(before: Int?, from: Date?, to: Date?, limit: Int) async throws -> [AuditChain.Entry] {
        try await base.auditEntries(before: before, from: from, to: to, limit: limit)
    }
    public func stageAudit(_ record: AuditAppend) async throws { try await base.stageAudit(record) }
    public func chainStagedAudit() async throws { try await base.chainStagedAudit() }
    public func appendAuditDigest(_ digest: AuditChain.Digest) async throws { try await base.appendAuditDigest(digest) }
    public func auditDigests() async throws -> [AuditChain.Digest] { try await base.auditDigests() }
    public func latestAuditDigest() async throws -> AuditChain.Digest? { try await base.latestAuditDigest() }
    public func pruneAudit(before date: Date) async throws -> Int { try await base.pruneAudit(before: date) }
    public func auditAnchor() async throws -> AuditAnchor? { try await base.auditAnchor() }
}

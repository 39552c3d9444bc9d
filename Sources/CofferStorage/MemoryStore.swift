public import CofferCore
public import struct Foundation.Date
import Synchronization

/// Keeps everything in memory, for `coffer serve --dev` and tests. Values stay sealed here too.
public final class MemoryStore: CofferStore {
    private struct Entry {
        let kind: String
        let scope: ResourceScope
        var record: any Record
        var created: Int
    }

    private struct NameKey: Hashable {
        let kind: String
        let scope: ResourceScope
        let name: String

        /// The name alone spreads the keys (the same name in several kinds or regions is rare, and
        /// equality still compares all four); hashing the kind, account and region too made every
        /// lookup by name four SipHash passes, and a read makes several.
        func hash(into hasher: inout Hasher) { hasher.combine(name) }
    }

    private struct State {
        var records: [String: Entry] = [:]
        var names: [NameKey: String] = [:]
        var values: [String: [String: [UInt8]]] = [:]
        var accessKeys: [String: StoredAccessKey] = [:]
        var settings: [String: String] = [:]
        var sequence = 0
        var audit: [AuditChain.Entry] = []
        var auditTail: AuditTail
        var digests: [AuditChain.Digest] = []
        var anchor: AuditAnchor?

        mutating func appendAudit(_ record: AuditAppend) -> Int {
            let entry = auditTail.append(record)
            audit.append(entry)
            return entry.sequence
        }
    }

    private let state: Mutex<State>

    public init(chainKey: AuditChain.Key = .ephemeral()) {
        state = Mutex(State(auditTail: AuditTail(key: chainKey)))
    }

    /// Runs a change with the audit record due for it, committed under the same lock.
    private func changing<T>(_ change: AuditChange, explicit: AuditAppend? = nil, also: [AuditAppend] = [],
                             _ body: (inout State) throws -> T) async throws -> T {
        try await AuditScope.committing(change, explicit: explicit) { audit in
            try state.withLock { state in
                let result = try body(&state)
                if let audit { _ = state.appendAudit(audit) }
                for record in also { _ = state.appendAudit(record) }
                return result
            }
        }
    }

    public func record<R: Record>(_ type: R.Type, named name: String, in scope: ResourceScope) async throws -> R? {
        state.withLock { state in
            state.names[NameKey(kind: R.kind, scope: scope, name: name)].flatMap { state.records[$0]?.record as? R }
        }
    }

    public func record<R: Record>(_ type: R.Type, arn: String) async throws -> R? {
        state.withLock { $0.records[arn]?.record as? R }
    }

    public func records<R: Record>(_ type: R.Type, in scope: ResourceScope) async throws -> [R] {
        state.withLock { state in
            state.records.values.filter { $0.kind == R.kind && $0.scope == scope }
                .sorted { $0.created < $1.created }
                .compactMap { $0.record as? R }
        }
    }

    public func page<R: Record>(_ query: RecordQuery<R>) async throws -> RecordPage<R> {
        let order = query.order
        let rows: [(cursor: RecordCursor, record: R)] = state.withLock { state in
            state.records.values.filter { $0.kind == R.kind && $0.scope == query.scope }
                .compactMap { entry in
                    (entry.record as? R).map { record in
                        let cursor = order.isByDate ? RecordCursor(date: record.date(in: order) ?? 0, name: record.name)
                            : RecordCursor(position: Int64(entry.created), name: record.name)
                        return (cursor, record)
                    }
                }
        }
        // Whether `a` comes before `b` in the query's order.
        func precedes(_ a: RecordCursor, _ b: RecordCursor) -> Bool {
            switch order {
            case .created: query.descending ? a.position > b.position : a.position < b.position
            case .name: query.descending ? Array(b.name.utf8).lexicographicallyPrecedes(a.name.utf8) : Array(a.name.utf8).lexicographicallyPrecedes(b.name.utf8)
            case .lastChanged, .lastAccessed: a.precedes(date: b.date, name: b.name, descending: query.descending)
            }
        }
        let ordered = rows.sorted { precedes($0.cursor, $1.cursor) }
        return try await query.fill { after, count in
            guard let after else { return Array(ordered.prefix(count)) }
            let start = ordered.firstIndex { precedes(after, $0.cursor) } ?? ordered.endIndex
            return Array(ordered[start...].prefix(count))
        }
    }

    public func sealedValue(arn: String, versionID: String) async throws -> [UInt8]? {
        state.withLock { $0.values[arn]?[versionID] }
    }

    public func write<R: Record>(_ write: RecordWrite<R>) async throws {
        try await changing(AuditChange(arn: write.record.arn, kind: R.kind, removal: false, creation: write.isCreation, written: write.record), explicit: write.audit,
                           also: write.alsoRecord) { state in
            try Self.apply(write, to: &state)
        }
    }

    /// Under the store's lock, so changes of one record run one after another and none conflicts
    /// (the optimistic default gave up after 16 lost races with 40 writers at once).
    public func update<R: Record>(_ type: R.Type, arn: String, _ change: @escaping @Sendable (R) throws -> RecordWrite<R>?) async throws -> R? {
        do {
            return try await AuditScope.committing(AuditChange(arn: arn, kind: R.kind, removal: false)) { audit in
                try state.withLock { state in
                    guard let current = state.records[arn]?.record as? R else { throw Unchanged(record: nil) }
                    guard let write = try change(current) else { throw Unchanged(record: current) }
                    try Self.apply(write, to: &state)
                    if let record = write.audit ?? audit { _ = state.appendAudit(record) }
                    for record in write.alsoRecord { _ = state.appendAudit(record) }
                    return write.record
                }
            }
        } catch let unchanged as Unchanged {
            return unchanged.record as? R
        }
    }

    /// No record, or a change of nothing: the call's audit record goes back to its scope.
    private struct Unchanged: Error {
        let record: (any Record)?
    }

    private static func apply<R: Record>(_ write: RecordWrite<R>, to state: inout State) throws {
        let arn = write.record.arn
        let nameKey = NameKey(kind: R.kind, scope: write.scope, name: write.record.name)
        var created = state.sequence
        switch write.kind {
        case .create:
            if state.names[nameKey] != nil || state.records[arn] != nil { throw StorageError.nameTaken }
            state.sequence += 1
        case .update(let expected):
            guard let current = state.records[arn], current.record.revision == expected else { throw StorageError.conflict }
            created = current.created
            if current.record.name != write.record.name {
                state.names[NameKey(kind: R.kind, scope: write.scope, name: current.record.name)] = nil
            }
        }
        state.records[arn] = Entry(kind: R.kind, scope: write.scope, record: write.record, created: created)
        state.names[nameKey] = arn
        for value in write.newValues { state.values[arn, default: [:]][value.versionID] = value.sealed }
        for id in write.removedVersionIDs { state.values[arn]?[id] = nil }
    }

    @discardableResult
    public func appendAudit(_ records: [AuditAppend]) async throws -> [Int] {
        state.withLock { state in records.map { state.appendAudit($0) } }
    }

    /// Memory has nothing cheaper than appending.
    public func stageAudit(_ record: AuditAppend) async throws { try await appendAudit([record]) }

    public func chainStagedAudit() async throws {}

    public func auditEntries(after: Int, limit: Int) async throws -> [AuditChain.Entry] {
        state.withLock { state in Array(state.audit.lazy.filter { $0.sequence > after }.prefix(limit)) }
    }

    public func auditEntries(before: Int?, from: Date?, to: Date?, limit: Int) async throws -> [AuditChain.Entry] {
        state.withLock { state in
            Array(state.audit.reversed().lazy.filter { entry in
                let time = entry.time ?? .distantPast
                return entry.sequence < (before ?? .max) && from.map { time >= $0 } ?? true && to.map { time <= $0 } ?? true
            }.prefix(limit))
        }
    }

    public func appendAuditDigest(_ digest: AuditChain.Digest) async throws { state.withLock { $0.digests.append(digest) } }

    public func auditDigests() async throws -> [AuditChain.Digest] { state.withLock { $0.digests } }
    public func latestAuditDigest() async throws -> AuditChain.Digest? { state.withLock { $0.digests.last } }

    public func pruneAudit(before date: Date) async throws -> Int {
        state.withLock { state in
            // Everything before the first record retention keeps, as the SQLite store prunes.
            let kept = state.audit.firstIndex(where: { ($0.time ?? .distantPast) >= date }) ?? state.audit.count
            guard kept > 0 else { return 0 }
            state.anchor = AuditAnchor(sequence: state.audit[kept - 1].sequence, hash: state.audit[kept - 1].hash)
            state.audit.removeFirst(kept)
            return kept
        }
    }

    public func auditAnchor() async throws -> AuditAnchor? { state.withLock { $0.anchor } }

    public func removeRecord(arn: String) async throws {
        try await changing(AuditChange(arn: arn, kind: nil, removal: true)) { state in
            guard let entry = state.records.removeValue(forKey: arn) else { return }
            state.names[NameKey(kind: entry.kind, scope: entry.scope, name: entry.record.name)] = nil
            state.values[arn] = nil
        }
    }

    public func recordsDue(forDeletionAt date: Date) async throws -> [(kind: String, arn: String)] {
        state.withLock { state in
            state.records.values.compactMap { entry in
                entry.record.deletionDate.flatMap { $0 <= date ? (entry.kind, entry.record.arn) : nil }
            }
        }
    }

    public func recordsDue(kind: String, at date: Date, limit: Int) async throws -> [String] {
        state.withLock { state in
            state.records.values.compactMap { entry -> (Date, String)? in
                guard entry.kind == kind, let due = entry.record.dueDate, due <= date else { return nil }
                return (due, entry.record.arn)
            }.sorted { $0.0 < $1.0 }.prefix(limit).map(\.1)
        }
    }

    public func accessKey(id: String) async throws -> StoredAccessKey? { state.withLock { $0.accessKeys[id] } }

    public func putAccessKey(_ key: StoredAccessKey) async throws {
        try await changing(AuditChange(arn: key.principalARN, kind: nil, removal: false, written: key)) { $0.accessKeys[key.accessKeyID] = key }
    }

    public func accessKeys(principalARN: String) async throws -> [StoredAccessKey] {
        state.withLock { $0.accessKeys.values.filter { $0.principalARN == principalARN }.sorted { $0.createdDate < $1.createdDate } }
    }

    public func deleteAccessKey(id: String) async throws {
        try await changing(AuditChange(arn: id, kind: nil, removal: true)) { $0.accessKeys[id] = nil }
    }

    public func setting(_ name: String) async throws -> String? { state.withLock { $0.settings[name] } }

    public func setSetting(_ name: String, _ value: String) async throws {
        try await changing(AuditChange(arn: name, kind: nil, removal: false)) { $0.settings[name] = value }
    }
}

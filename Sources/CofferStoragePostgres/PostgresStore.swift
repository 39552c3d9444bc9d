public import CofferCore
public import CofferStorage
public import Foundation
public import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Coffer's store on PostgreSQL, shared by every node that opens the same database.
///
/// Each change is one transaction at READ COMMITTED, guarded by the record's revision (a lost race
/// updates no row: ``StorageError/conflict``), and announces itself with `pg_notify` so the other
/// nodes' caches drop what it touched (``remoteChanges``). Every audit record (of a change, in the
/// change's own transaction) is first staged; one node at a time, holding the chain lock, moves
/// staged records into the one chain (`PostgresStore+Audit.swift`), so the trail stays a single
/// verifiable sequence whichever node served each call.
public final class PostgresStore: CofferStore, SharedStore, ExclusiveWork {
    let client: PostgresClient
    let logger: Logger
    let chainKey: AuditChain.Key
    /// Whether a chaining run is already due shortly.
    let chainDue = Atomic<Bool>(false)
    /// Reads' audit records waiting for the next group insert, and whether one is being written.
    let staging = Mutex<StagingQueue>(StagingQueue())

    struct StagingQueue {
        var waiting: [(record: AuditAppend, continuation: CheckedContinuation<Void, any Error>)] = []
        var flushing = false
    }
    /// This process among the nodes: it names the node in notifications (to skip its own) and in
    /// pg_stat_activity.
    public let nodeID: String
    public let location: PostgresLocation
    public var remoteChanges: ChangeFeed? { feed }
    let feed = ChangeFeed()
    private let tasks = Mutex<[Task<Void, Never>]>([])
    /// Records this node committed, each with the row's insertion sequence and revision: an update
    /// that finds the row still at both takes the record from here instead of decoding its document
    /// (a secret's carries up to 100 versions). Any other node's change moves the revision; a row
    /// removed and made again gets a new sequence.
    let committed = Mutex<[String: (seq: Int64, revision: Int, record: any Record)]>([:])
    /// Updates waiting for the transaction that will run them, by ARN (see `PostgresStore+Updates.swift`).
    let queuedUpdates = Mutex<[String: [QueuedUpdate]]>([:])
    /// How long one call may wait for the database before it fails (rather than hang while it is down).
    static let callTimeout: Duration = .seconds(5)
    static let channel = "coffer_changes"

    /// Connects, creates or migrates the schema, and starts the change listener and the chainer.
    /// Fails with a message an operator can act on when the database cannot be reached or is newer.
    public static func open(_ location: PostgresLocation, chainKey: AuditChain.Key, logger: Logger, maximumConnections: Int = 16,
                            listens: Bool = true) async throws -> PostgresStore {
        let node = "\(ProcessInfo.processInfo.hostName.prefix(32))-\(getpid())-\(Hex.encode((0..<3).map { _ in UInt8.random(in: 0...255) }))"
        let store = try PostgresStore(location: location, nodeID: node, chainKey: chainKey, logger: logger, maximumConnections: maximumConnections)
        do {
            let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(name: "coffer-\(node)-migrate"),
                                                                  id: 0, logger: logger)
            try await Self.closing(connection) { try await PostgresMigrations.apply(on: connection, logger: logger) }
        } catch {
            store.stop()
            throw PostgresStoreError("cannot use the database at \(location): \(PostgresStoreError.describe(error))")
        }
        if listens { store.startListening() } else { store.feed.resume() }
        store.startChaining()
        return store
    }

    private init(location: PostgresLocation, nodeID: String, chainKey: AuditChain.Key, logger: Logger, maximumConnections: Int) throws {
        self.location = location
        self.nodeID = nodeID
        self.logger = logger
        // The pool reports every failed attempt to connect at info; an operator hears of an outage
        // through the listener's warning and the calls' errors instead.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        client = PostgresClient(configuration: try location.clientConfiguration(name: "coffer-\(nodeID)", maximumConnections: maximumConnections),
                                backgroundLogger: poolLogger)
        self.chainKey = chainKey
        let client = client
        background(Task { await client.run() })
    }

    /// Keeps a task that runs as long as the store is open.
    func background(_ task: Task<Void, Never>) { tasks.withLock { $0.append(task) } }

    /// Stops listening, chains what is staged and closes the connections.
    public func close() async {
        try? await chainStagedAudit()
        stop()
    }

    private func stop() {
        for task in tasks.withLock({ $0 }) { task.cancel() }
    }

    // MARK: Running statements

    /// Runs `body` on a pooled connection, failing after ``callTimeout`` rather than waiting for a
    /// database that is down.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await timed { [client] in try await client.withConnection { try await body($0) } }
    }

    /// Runs `body` in one transaction; an error it throws (a ``StorageError``) rolls back and is rethrown as it was.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = logger
        do {
            return try await timed { [client] in try await client.withTransaction(logger: logger) { try await body($0) } }
        } catch let error as PostgresTransactionError {
            // What the work itself threw (a StorageError, a CofferError, an update's refusal) comes out as it was.
            if let closure = error.closureError, !(closure is PSQLError) { throw closure }
            throw error
        }
    }

    private func timed<T: Sendable>(_ body: @escaping @Sendable @concurrent () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask(operation: body)
            group.addTask {
                try await Task.sleep(for: Self.callTimeout)
                throw PostgresStoreError("the database did not answer within \(Self.callTimeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    static func rows<T: PostgresDecodable & Sendable>(_ sequence: PostgresRowSequence, as type: T.Type) async throws -> [T] {
        var result: [T] = []
        for try await value in sequence.decode(T.self) { result.append(value) }
        return result
    }

    // MARK: Records

    public func record<R: Record>(_ type: R.Type, named name: String, in scope: ResourceScope) async throws -> R? {
        let logger = logger
        return try await withConnection { connection in
            try await Self.rows(connection.query("""
                SELECT doc FROM records WHERE kind = \(R.kind) AND account = \(scope.account) AND region = \(scope.region) AND name = \(name)
                """, logger: logger), as: ByteBuffer.self).first.map { try Self.decode(R.self, $0) }
        }
    }

    public func record<R: Record>(_ type: R.Type, arn: String) async throws -> R? {
        let logger = logger
        return try await withConnection { connection in
            try await Self.rows(connection.query("SELECT doc FROM records WHERE arn = \(arn) AND kind = \(R.kind)", logger: logger),
                                as: ByteBuffer.self).first.map { try Self.decode(R.self, $0) }
        }
    }

    public func records<R: Record>(_ type: R.Type, in scope: ResourceScope) async throws -> [R] {
        let logger = logger
        return try await withConnection { connection in
            try await Self.rows(connection.query("""
                SELECT doc FROM records WHERE kind = \(R.kind) AND account = \(scope.account) AND region = \(scope.region) ORDER BY seq
                """, logger: logger), as: ByteBuffer.self).map { try Self.decode(R.self, $0) }
        }
    }

    public func page<R: Record>(_ query: RecordQuery<R>) async throws -> RecordPage<R> {
        let logger = logger
        // Through records_scope (kind, account, region, seq), records_scope_name, or the date's index
        // (kind, account, region, date, name); names compare as bytes.
        let direction = query.descending ? "DESC" : "ASC"
        let comparison = query.descending ? "<" : ">"
        let dateColumn = query.order == .lastAccessed ? "accessed_date" : "changed_date"
        let order = switch query.order {
        case .created: "seq"
        case .name: #"(name COLLATE "C")"#
        case .lastChanged, .lastAccessed: #"\#(dateColumn) \#(direction), (name COLLATE "C")"#
        }
        let byDate = query.order.isByDate
        let dateSelect = byDate ? dateColumn : "NULL::double precision"
        return try await query.fill { after, count in
            try await self.withConnection { connection in
                let (kind, account, region) = (R.kind, query.scope.account, query.scope.region)
                let sql: PostgresQuery
                switch (query.order, after) {
                case (.lastChanged, let after?), (.lastAccessed, let after?):
                    sql = """
                        SELECT seq, name, doc, \(unescaped: dateSelect) FROM records WHERE kind = \(kind) AND account = \(account) AND region = \(region)
                        AND \(unescaped: dateColumn) IS NOT NULL AND (\(unescaped: dateColumn), (name COLLATE "C")) \(unescaped: comparison) (\(after.date), \(after.name))
                        ORDER BY \(unescaped: order) \(unescaped: direction) LIMIT \(count)
                        """
                case (.lastChanged, nil), (.lastAccessed, nil):
                    sql = """
                        SELECT seq, name, doc, \(unescaped: dateSelect) FROM records WHERE kind = \(kind) AND account = \(account) AND region = \(region)
                        AND \(unescaped: dateColumn) IS NOT NULL ORDER BY \(unescaped: order) \(unescaped: direction) LIMIT \(count)
                        """
                case (.created, let after?):
                    sql = """
                        SELECT seq, name, doc, \(unescaped: dateSelect) FROM records WHERE kind = \(kind) AND account = \(account) AND region = \(region)
                        AND seq \(unescaped: comparison) \(after.position) ORDER BY seq \(unescaped: direction) LIMIT \(count)
                        """
                case (.name, let after?):
                    sql = """
                        SELECT seq, name, doc, \(unescaped: dateSelect) FROM records WHERE kind = \(kind) AND account = \(account) AND region = \(region)
                        AND (name COLLATE "C") \(unescaped: comparison) \(after.name) ORDER BY \(unescaped: order) \(unescaped: direction) LIMIT \(count)
                        """
                case (.name, nil) where !query.descending && query.namePrefix != nil:
                    sql = """
                        SELECT seq, name, doc, \(unescaped: dateSelect) FROM records WHERE kind = \(kind) AND account = \(account) AND region = \(region)
                        AND (name COLLATE "C") >= \(query.namePrefix ?? "") ORDER BY \(unescaped: order) LIMIT \(count)
                        """
                default:
                    sql = """
                        SELECT seq, name, doc, \(unescaped: dateSelect) FROM records WHERE kind = \(kind) AND account = \(account) AND region = \(region)
                        ORDER BY \(unescaped: order) \(unescaped: direction) LIMIT \(count)
                        """
                }
                var rows: [(cursor: RecordCursor, record: R)] = []
                for try await (seq, name, doc, date) in try await connection.query(sql, logger: logger).decode((Int64, String, ByteBuffer, Double?).self) {
                    let cursor = byDate ? RecordCursor(date: date ?? 0, name: name) : RecordCursor(position: seq, name: name)
                    rows.append((cursor, try Self.decode(R.self, doc)))
                }
                return rows
            }
        }
    }

    public func sealedValue(arn: String, versionID: String) async throws -> [UInt8]? {
        let logger = logger
        return try await withConnection { connection in
            try await Self.rows(connection.query("SELECT sealed FROM record_values WHERE arn = \(arn) AND version_id = \(versionID)", logger: logger),
                                as: ByteBuffer.self).first.map { Array($0.readableBytesView) }
        }
    }

    public func write<R: Record>(_ write: RecordWrite<R>) async throws {
        let doc = ByteBuffer(bytes: try Self.encode(write.record))
        let change = AuditChange(arn: write.record.arn, kind: R.kind, removal: false, creation: write.isCreation, written: write.record)
        try await changing(change, notice: .record(kind: R.kind, arn: write.record.arn), explicit: write.audit, also: write.alsoRecord) { connection, logger in
            try await Self.apply(write, doc: doc, on: connection, logger: logger)
        }
    }

    static func apply<R: Record>(_ write: RecordWrite<R>, doc: ByteBuffer, on connection: PostgresConnection, logger: Logger) async throws {
        let record = write.record
        switch write.kind {
        case .create:
            let inserted = try await Self.rows(connection.query("""
                INSERT INTO records(arn, kind, account, region, name, revision, deletion_date, due_date, doc, changed_date, accessed_date)
                VALUES (\(record.arn), \(R.kind), \(write.scope.account), \(write.scope.region), \(record.name), \(record.revision),
                        \(record.deletionDate?.timeIntervalSince1970), \(record.dueDate?.timeIntervalSince1970), \(doc),
                        \(record.date(in: .lastChanged)), \(record.date(in: .lastAccessed)))
                ON CONFLICT DO NOTHING RETURNING arn
                """, logger: logger), as: String.self)
            guard !inserted.isEmpty else { throw StorageError.nameTaken }
        case .update(let expected):
            let updated = try await Self.rows(connection.query("""
                UPDATE records SET name = \(record.name), revision = \(record.revision), deletion_date = \(record.deletionDate?.timeIntervalSince1970),
                    due_date = \(record.dueDate?.timeIntervalSince1970), doc = \(doc),
                    changed_date = \(record.date(in: .lastChanged)), accessed_date = \(record.date(in: .lastAccessed))
                WHERE arn = \(record.arn) AND revision = \(expected) RETURNING arn
                """, logger: logger), as: String.self)
            guard updated.count == 1 else { throw StorageError.conflict }
        }
        for value in write.newValues {
            try await connection.run("""
                INSERT INTO record_values(arn, version_id, sealed) VALUES (\(record.arn), \(value.versionID), \(ByteBuffer(bytes: value.sealed)))
                ON CONFLICT (arn, version_id) DO UPDATE SET sealed = excluded.sealed
                """, logger: logger)
        }
        for id in write.removedVersionIDs {
            try await connection.run("DELETE FROM record_values WHERE arn = \(record.arn) AND version_id = \(id)", logger: logger)
        }
    }

    func changing(_ change: AuditChange, notice: RemoteChange.Subject, explicit: AuditAppend? = nil, also: [AuditAppend] = [],
                  _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> Void) async throws {
        try await changing(change, notice: notice, explicit: explicit) { connection, logger in
            try await body(connection, logger)
            return also
        }
    }

    /// As above, where the change itself says which records follow the call's own (`body` answers them).
    func changing(_ change: AuditChange, notice: RemoteChange.Subject, explicit: AuditAppend? = nil,
                  _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> [AuditAppend]) async throws {
        let logger = logger
        let node = nodeID
        let payload = Self.payload(node: node, notice)
        try await AuditScope.committing(change, explicit: explicit) { audit in
            let staged = try await self.transaction { connection in
                let records = (audit.map { [$0] } ?? []) + (try await body(connection, logger))
                try await Self.announce(records, payload: payload, node: node, on: connection, logger: logger)
                return !records.isEmpty
            }
            if staged { self.chainSoon() }
        }
    }

    /// The end of every change's transaction: its audit records staged for the chain, and the notice
    /// that has the other nodes drop what it touched (delivered only if the transaction commits).
    static func announce(_ records: [AuditAppend], payload: String, node: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await stage(records, node: node, on: connection, logger: logger)
        try await connection.run("SELECT pg_notify(\(channel), \(payload))", logger: logger)
    }

    public func removeRecord(arn: String) async throws {
        _ = committed.withLock { $0.removeValue(forKey: arn) }
        try await changing(AuditChange(arn: arn, kind: nil, removal: true), notice: .record(kind: nil, arn: arn)) { connection, logger in
            try await connection.run("DELETE FROM records WHERE arn = \(arn)", logger: logger)
        }
    }

    public func recordsDue(forDeletionAt date: Date) async throws -> [(kind: String, arn: String)] {
        let logger = logger
        return try await withConnection { connection in
            var due: [(kind: String, arn: String)] = []
            for try await (kind, arn) in try await connection.query("""
                SELECT kind, arn FROM records WHERE deletion_date IS NOT NULL AND deletion_date <= \(date.timeIntervalSince1970)
                """, logger: logger).decode((String, String).self) { due.append((kind, arn)) }
            return due
        }
    }

    public func recordsDue(kind: String, at date: Date, limit: Int) async throws -> [String] {
        let logger = logger
        return try await withConnection { connection in
            try await Self.rows(connection.query("""
                SELECT arn FROM records WHERE kind = \(kind) AND due_date <= \(date.timeIntervalSince1970) ORDER BY due_date LIMIT \(limit)
                """, logger: logger), as: String.self)
        }
    }

    // MARK: Access keys and settings

    public func accessKey(id: String) async throws -> StoredAccessKey? {
        let logger = logger
        return try await withConnection { connection in
            try await Self.accessKeys(connection.query("SELECT \(unescaped: Self.keyColumns) FROM access_keys WHERE access_key_id = \(id)", logger: logger)).first
        }
    }

    public func accessKeys(principalARN: String) async throws -> [StoredAccessKey] {
        let logger = logger
        return try await withConnection { connection in
            try await Self.accessKeys(connection.query("""
                SELECT \(unescaped: Self.keyColumns) FROM access_keys WHERE principal_arn = \(principalARN) ORDER BY created
                """, logger: logger))
        }
    }

    public func putAccessKey(_ key: StoredAccessKey) async throws {
        try await changing(AuditChange(arn: key.principalARN, kind: nil, removal: false, written: key), notice: .accessKey(id: key.accessKeyID)) { connection, logger in
            try await connection.run("""
                INSERT INTO access_keys(\(unescaped: Self.keyColumns)) VALUES (\(key.accessKeyID), \(key.account), \(key.principalARN),
                    \(ByteBuffer(bytes: key.sealedSecret)), \(key.createdDate.timeIntervalSince1970), \(key.status),
                    \(key.lastUsedDate?.timeIntervalSince1970), \(key.lastUsedService), \(key.lastUsedRegion))
                ON CONFLICT (access_key_id) DO UPDATE SET account = excluded.account, principal_arn = excluded.principal_arn,
                    sealed_secret = excluded.sealed_secret, created = excluded.created, status = excluded.status,
                    last_used = excluded.last_used, last_used_service = excluded.last_used_service, last_used_region = excluded.last_used_region
                """, logger: logger)
        }
    }

    public func deleteAccessKey(id: String) async throws {
        try await changing(AuditChange(arn: id, kind: nil, removal: true), notice: .accessKey(id: id)) { connection, logger in
            try await connection.run("DELETE FROM access_keys WHERE access_key_id = \(id)", logger: logger)
        }
    }

    public func setting(_ name: String) async throws -> String? {
        let logger = logger
        return try await withConnection { connection in
            try await Self.rows(connection.query("SELECT value FROM settings WHERE name = \(name)", logger: logger), as: String.self).first
        }
    }

    public func setSetting(_ name: String, _ value: String) async throws {
        try await changing(AuditChange(arn: name, kind: nil, removal: false), notice: .setting(name: name)) { connection, logger in
            try await connection.run("""
                INSERT INTO settings(name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """, logger: logger)
        }
    }

    /// Sets a setting unless one is there; returns the value that holds (for values every node must agree on).
    public func settingOnce(_ name: String, _ value: String) async throws -> String {
        let logger = logger
        return try await transaction { connection in
            try await connection.run("INSERT INTO settings(name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO NOTHING", logger: logger)
            return try await Self.rows(connection.query("SELECT value FROM settings WHERE name = \(name)", logger: logger), as: String.self).first ?? value
        }
    }

    private static let keyColumns = "access_key_id, account, principal_arn, sealed_secret, created, status, last_used, last_used_service, last_used_region"

    private static func accessKeys(_ rows: PostgresRowSequence) async throws -> [StoredAccessKey] {
        var keys: [StoredAccessKey] = []
        for try await row in rows {
            let (id, account, principal, sealed, created, status, lastUsed, service, region) =
                try row.decode((String, String, String, ByteBuffer, Double, String, Double?, String?, String?).self)
            var key = StoredAccessKey(accessKeyID: id, account: account, principalARN: principal, sealedSecret: Array(sealed.readableBytesView),
                                      createdDate: Date(timeIntervalSince1970: created), status: status)
            key.lastUsedDate = lastUsed.map { Date(timeIntervalSince1970: $0) }
            key.lastUsedService = service
            key.lastUsedRegion = region
            keys.append(key)
        }
        return keys
    }

    // MARK: Documents and notices

    static func encode<R: Record>(_ record: R) throws -> [UInt8] { try RecordDocument.encode(record) }

    static func decode<R: Record>(_ type: R.Type, _ buffer: ByteBuffer) throws -> R {
        try RecordDocument.decode(R.self, from: buffer.readableBytesView)
    }

    /// `node TAB r|k|s TAB kind TAB name`: what another node's caches must drop.
    static func payload(node: String, _ subject: RemoteChange.Subject) -> String {
        switch subject {
        case .record(let kind, let arn): "\(node)\tr\t\(kind ?? "")\t\(arn)"
        case .accessKey(let id): "\(node)\tk\t\t\(id)"
        case .setting(let name): "\(node)\ts\t\t\(name)"
        }
    }

    static func parse(payload: String) -> (node: String, change: RemoteChange)? {
        let parts = payload.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 else { return nil }
        switch parts[1] {
        case "r": return (parts[0], RemoteChange(.record(kind: parts[2].isEmpty ? nil : parts[2], arn: parts[3])))
        case "k": return (parts[0], RemoteChange(.accessKey(id: parts[3])))
        case "s": return (parts[0], RemoteChange(.setting(name: parts[3])))
        default: return nil
        }
    }
}

extension PostgresConnection {
    /// Runs a statement to its end. `query` returns once the server has described the rows, which for
    /// a statement that blocks (a lock) is before it has done anything; reading every row waits for it.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}

public import CofferCore
public import CofferStorage
public import Foundation

/// Coffer's default store: one SQLite file in the data directory.
public final class SQLiteStore: CofferStore {
    let database: SQLiteDatabase
    private let chainKey: AuditChain.Key

    /// `chainKey` makes the audit chain's hashes (``AuditChain/Key``). `stagesAudit: false` opens
    /// the file beside a running server (see ``SQLiteDatabase``).
    public init(path: String, chainKey: AuditChain.Key, stagesAudit: Bool = true) throws {
        database = try SQLiteDatabase(path: path, stages: stagesAudit) { db, records in
            // Staged records of reads are chained in slices with a pacing point between them: where the
            // event loops share a core with this thread, a request waits behind one run, not the batch.
            var start = records.startIndex
            while start < records.endIndex {
                let end = min(start + Self.chainingSlice, records.endIndex)
                _ = try Self.appendAudit(records[start..<end], db, key: chainKey)
                start = end
                WriterPacing.point()
            }
        }
        self.chainKey = chainKey
    }

    /// Records chained between two pacing points (about 25 us of the writer's time).
    static let chainingSlice = 8

    public func close() async { await database.close() }

    public func record<R: Record>(_ type: R.Type, named name: String, in scope: ResourceScope) async throws -> R? {
        try await database.read { db in
            try db.query("SELECT doc, parted, arn FROM records WHERE kind = ? AND account = ? AND region = ? AND name = ?",
                         [.text(R.kind), .text(scope.account), .text(scope.region), .text(name)]).first.map { try Self.load(R.self, $0, db) }
        }
    }

    public func record<R: Record>(_ type: R.Type, arn: String) async throws -> R? {
        try await database.read { db in
            try db.query("SELECT doc, parted, arn FROM records WHERE arn = ? AND kind = ?", [.text(arn), .text(R.kind)])
                .first.map { try Self.load(R.self, $0, db) }
        }
    }

    public func records<R: Record>(_ type: R.Type, in scope: ResourceScope) async throws -> [R] {
        try await database.read { db in
            try db.query("SELECT doc, parted, arn FROM records WHERE kind = ? AND account = ? AND region = ? ORDER BY rowid",
                         [.text(R.kind), .text(scope.account), .text(scope.region)]).map { try Self.load(R.self, $0, db) }
        }
    }

    public func page<R: Record>(_ query: RecordQuery<R>) async throws -> RecordPage<R> {
        let scope: [SQLiteValue] = [.text(R.kind), .text(query.scope.account), .text(query.scope.region)]
        let direction = query.descending ? "DESC" : ""
        let comparison = query.descending ? "<" : ">"
        let dateColumn = Self.dateColumn(query.order)
        return try await query.fill { after, count in
            var bound = ""
            var values = scope
            switch (query.order, query.descending, after) {
            case (.created, _, let after?):
                bound = "AND rowid \(comparison) ?"
                values.append(.integer(after.position))
            case (.name, _, let after?):
                bound = "AND name \(comparison) ?"
                values.append(.text(after.name))
            case (.name, false, nil) where query.namePrefix != nil:
                bound = "AND name >= ?"
                values.append(.text(query.namePrefix ?? ""))
            case (.lastChanged, _, let after?), (.lastAccessed, _, let after?):
                bound = "AND (\(dateColumn), name) \(comparison) (?, ?)"
                values += [.real(after.date), .text(after.name)]
            default:
                break
            }
            if query.order.isByDate { bound += " AND \(dateColumn) IS NOT NULL" }
            values.append(.integer(Int64(count)))
            let orderBy = switch query.order {
            case .created: "rowid \(direction)"
            case .name: "name \(direction)"
            case .lastChanged, .lastAccessed: "\(dateColumn) \(direction), name \(direction)"
            }
            // Through records_scope (kind, account, region, then rowid), the unique name index, or
            // the date's index (kind, account, region, date, name).
            let sql = """
                SELECT rowid, name, doc, parted, arn, \(dateColumn) FROM records WHERE kind = ? AND account = ? AND region = ? \(bound) ORDER BY \(orderBy) LIMIT ?
                """
            let bindings = values
            let byDate = query.order.isByDate
            return try await self.database.read { db in
                try db.query(sql, bindings).map { row in
                    let name = row[1].text ?? ""
                    let cursor = byDate ? RecordCursor(date: row[5].real ?? 0, name: name) : RecordCursor(position: row[0].integer ?? 0, name: name)
                    return (cursor, try Self.load(R.self, Array(row[2...4]), db))
                }
            }
        }
    }

    public func sealedValue(arn: String, versionID: String) async throws -> [UInt8]? {
        try await database.read { db in
            // In its part's row, or (a value written before values moved there, or of a record without
            // parts) in record_values.
            try db.query("""
                SELECT coalesce((SELECT sealed FROM record_parts WHERE arn = ?1 AND key = ?2),
                                (SELECT sealed FROM record_values WHERE arn = ?1 AND version_id = ?2))
                """, [.text(arn), .text(versionID)]).first?[0].blob
        }
    }

    public func write<R: Record>(_ write: RecordWrite<R>) async throws {
        let doc = try Self.document(write.record)
        try await AuditScope.committing(AuditChange(arn: write.record.arn, kind: R.kind, removal: false, creation: write.isCreation, written: write.record), explicit: write.audit) { audit in
            try await self.commit(write, doc: doc, audit: audit)
        }
    }

    private func commit<R: Record>(_ write: RecordWrite<R>, doc: (doc: [UInt8], parted: Bool), audit: AuditAppend?) async throws {
        let chainKey = self.chainKey
        try await database.write { db in try Self.apply(write, doc: doc, audit: audit, db, chainKey: chainKey) }
    }

    /// Runs in the writer's batch, so a change of a busy record shares its transaction (and its
    /// fsync) with the changes queued beside it, each reading what the one before it wrote.
    @_specialize(where R == Secret)
    public func update<R: Record>(_ type: R.Type, arn: String, _ change: @escaping @Sendable (R) throws -> RecordWrite<R>?) async throws -> R? {
        let chainKey = self.chainKey
        return try await AuditScope.committing(AuditChange(arn: arn, kind: R.kind, removal: false)) { audit in
            let (record, wrote) = try await database.write { db -> (R?, Bool) in
                guard let row = try db.query("SELECT revision FROM records WHERE arn = ? AND kind = ?", [.text(arn), .text(R.kind)]).first else {
                    return (nil, false)
                }
                let current: R
                if let written = db.writtenRecords[arn] as? R, Int64(written.revision) == row[0].integer {
                    current = written
                } else {
                    guard let row = try db.query("SELECT doc, parted, arn FROM records WHERE arn = ?", [.text(arn)]).first else { return (nil, false) }
                    current = try Self.load(R.self, row, db)
                }
                guard let write = try change(current) else { return (current, false) }
                try Self.apply(write, doc: try Self.document(write.record), audit: write.audit ?? audit, db, chainKey: chainKey)
                return (write.record, true)
            }
            if !wrote, audit != nil { AuditScope.current?.release() }
            return record
        }
    }

    private static func apply<R: Record>(_ write: RecordWrite<R>, doc stored: (doc: [UInt8], parted: Bool), audit: AuditAppend?,
                                         _ db: SQLiteConnection, chainKey: AuditChain.Key) throws {
        let record = write.record
        let doc = stored.doc, parted: SQLiteValue = .integer(stored.parted ? PartLayout.labelsInDocument : PartLayout.inDocument)
        var previous: (any Record)?
        let deletion: SQLiteValue = record.deletionDate.map { .real($0.timeIntervalSince1970) } ?? .null
        let due: SQLiteValue = record.dueDate.map { .real($0.timeIntervalSince1970) } ?? .null
        let changed: SQLiteValue = record.date(in: .lastChanged).map { .real($0) } ?? .null
        let accessed: SQLiteValue = record.date(in: .lastAccessed).map { .real($0) } ?? .null
        switch write.kind {
        case .create:
            do {
                try db.query(
                    """
                    INSERT INTO records(arn, kind, account, region, name, revision, deletion_date, due_date, doc, parted, changed_date, accessed_date)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [.text(record.arn), .text(R.kind), .text(write.scope.account), .text(write.scope.region), .text(record.name),
                     .integer(Int64(record.revision)), deletion, due, .blob(doc), parted, changed, accessed])
            } catch let error as SQLiteError where error.isConstraintViolation {
                throw StorageError.nameTaken
            }
        case .update(let expected):
            // The writer's own copy of what it replaced, if it has the revision just replaced.
            if let written = db.writtenRecords[record.arn], written.revision == expected { previous = written }
            // SQLite rewrites the entry of every index whose column the statement sets, changed or
            // not: a new version (revision, document and last change only) leaves the name's and
            // the other dates' index pages out of the commit.
            if let previous, previous.name == record.name, previous.deletionDate == record.deletionDate, previous.dueDate == record.dueDate,
                previous.date(in: .lastAccessed) == record.date(in: .lastAccessed)
            {
                try db.query("UPDATE records SET revision = ?, doc = ?, parted = ?, changed_date = ? WHERE arn = ? AND revision = ?",
                             [.integer(Int64(record.revision)), .blob(doc), parted, changed, .text(record.arn), .integer(Int64(expected))])
            } else {
                try db.query("""
                    UPDATE records SET name = ?, revision = ?, deletion_date = ?, due_date = ?, doc = ?, parted = ?, changed_date = ?, accessed_date = ?
                    WHERE arn = ? AND revision = ?
                    """,
                             [.text(record.name), .integer(Int64(record.revision)), deletion, due, .blob(doc), parted, changed, accessed,
                              .text(record.arn), .integer(Int64(expected))])
            }
            guard db.changes == 1 else { throw StorageError.conflict }
        }
        // A parted record's values ride in their parts' rows; only values of no part go apart.
        let values = stored.parted ? try syncParts(record, previous: previous, values: write.newValues, removed: write.removedVersionIDs, db) : write.newValues
        for value in values {
            try db.query("INSERT OR REPLACE INTO record_values(arn, version_id, sealed) VALUES (?, ?, ?)",
                         [.text(record.arn), .text(value.versionID), .blob(value.sealed)])
        }
        // Values written before they moved into part rows (a probe that finds nothing writes no page).
        for id in write.removedVersionIDs {
            try db.query("DELETE FROM record_values WHERE arn = ? AND version_id = ?", [.text(record.arn), .text(id)])
        }
        let records = (audit.map { [$0] } ?? []) + write.alsoRecord
        if !records.isEmpty { _ = try Self.appendAudit(records, db, key: chainKey) }
        if db.writtenRecords.count >= 1_024 { db.writtenRecords.removeAll() }
        db.writtenRecords[record.arn] = record
    }

    /// Runs a change in the writer's transaction together with the audit record due for it.
    private func writeAudited(_ change: AuditChange, _ body: @escaping @Sendable (SQLiteConnection) throws -> Void) async throws {
        let chainKey = self.chainKey
        try await AuditScope.committing(change) { audit in
            try await database.write { db in
                try body(db)
                if let audit { _ = try Self.appendAudit([audit], db, key: chainKey) }
            }
        }
    }

    /// Audit records staged and not yet chained, and the oldest one's time (the chain's lag).
    public func auditBacklog() async throws -> (count: Int, oldest: Date?) { database.stagedBacklog }

    public func stageAudit(_ record: AuditAppend) async throws {
        try database.stage(record)
    }

    public func chainStagedAudit() async throws {
        try await database.chainStagedRecords()
    }

    @discardableResult
    public func appendAudit(_ records: [AuditAppend]) async throws -> [Int] {
        let chainKey = self.chainKey
        // Records of reads and failures change nothing else: they need not wait for the disk (see `write(durable:)`).
        return try await database.write(durable: false, isolated: false) { db in try Self.appendAudit(records, db, key: chainKey) }
    }

    public func auditEntries(before: Int?, from: Date?, to: Date?, limit: Int) async throws -> [AuditChain.Entry] {
        try await database.read { db in
            try db.query("""
                SELECT sequence, record, hash, time FROM audit_records WHERE sequence < ? AND time >= ? AND time <= ?
                ORDER BY sequence DESC LIMIT ?
                """,
                         [.integer(Int64(before ?? Int(Int64.max))), .real(from?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude),
                          .real(to?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude), .integer(Int64(limit))]).map(Self.entry)
        }
    }

    public func appendAuditDigest(_ digest: AuditChain.Digest) async throws {
        try await database.write { db in
            try db.query("""
                INSERT INTO audit_digests(last_sequence, last_hash, previous_digest_hash, created_at, signature) VALUES (?, ?, ?, ?, ?)
                """,
                         [.integer(Int64(digest.lastSequence)), .blob(digest.lastHash), .blob(digest.previousDigestHash),
                          .integer(Int64(digest.createdAt)), .blob(digest.signature)])
        }
    }

    public func auditDigests() async throws -> [AuditChain.Digest] {
        try await digests("ORDER BY last_sequence")
    }

    public func latestAuditDigest() async throws -> AuditChain.Digest? {
        try await digests("ORDER BY last_sequence DESC LIMIT 1").first
    }

    private func digests(_ order: String) async throws -> [AuditChain.Digest] {
        try await database.read { db in
            try db.query("SELECT last_sequence, last_hash, previous_digest_hash, created_at, signature FROM audit_digests " + order)
                .map { row in
                    AuditChain.Digest(lastSequence: Int(row[0].integer ?? 0), lastHash: row[1].blob ?? [], previousDigestHash: row[2].blob ?? [],
                                      createdAt: Int(row[3].integer ?? 0), signature: row[4].blob ?? [])
                }
        }
    }

    public func pruneAudit(before date: Date) async throws -> Int {
        try await database.write { db in
            // Oldest first, stopping at the first record retention keeps: this runs at every digest,
            // and a scan from the newest end (there is no time index) would read the whole trail.
            let kept = try db.query("SELECT sequence FROM audit_records WHERE time >= ? ORDER BY sequence LIMIT 1",
                                    [.real(date.timeIntervalSince1970)]).first?[0].integer
            guard let last = try db.query("SELECT sequence, hash FROM audit_records WHERE sequence < ? ORDER BY sequence DESC LIMIT 1",
                                          [.integer(kept ?? Int64.max)]).first
            else { return 0 }
            let anchor = AuditAnchor(sequence: Int(last[0].integer ?? 0), hash: last[1].blob ?? [])
            // By sequence, not time: the kept chain must stay contiguous after the anchor.
            try db.query("DELETE FROM audit_records WHERE sequence <= ?", [.integer(Int64(anchor.sequence))])
            let removed = Int(db.changes)
            try db.query("INSERT OR REPLACE INTO settings(name, value) VALUES (?, ?)", [.text(AuditAnchor.settingName), .text(anchor.text)])
            return removed
        }
    }

    public func auditAnchor() async throws -> AuditAnchor? {
        try await setting(AuditAnchor.settingName).flatMap(AuditAnchor.init(text:))
    }

    private static func entry(_ row: [SQLiteValue]) -> AuditChain.Entry {
        AuditChain.Entry(sequence: Int(row[0].integer ?? 0), record: row[1].blob ?? [], hash: row[2].blob ?? [],
                         time: row[3].real.map { Date(timeIntervalSince1970: $0) })
    }

    public func auditEntries(after: Int, limit: Int) async throws -> [AuditChain.Entry] {
        try await database.read { db in
            try db.query("SELECT sequence, record, hash, time FROM audit_records WHERE sequence > ? ORDER BY sequence LIMIT ?",
                         [.integer(Int64(after)), .integer(Int64(limit))]).map(Self.entry)
        }
    }

    /// Chains records onto the stored tail; runs inside the writer's transaction, so the tail read
    /// here is the one the inserts follow.
    private static func appendAudit(_ records: some Collection<AuditAppend>, _ db: SQLiteConnection, key: AuditChain.Key) throws -> [Int] {
        var tail = AuditTail(key: key)
        if let cached = db.auditTail {
            tail = AuditTail(key: key, sequence: cached.sequence, hash: cached.hash)
        } else if let last = try db.query("SELECT sequence, hash FROM audit_records ORDER BY sequence DESC LIMIT 1").first {
            tail = AuditTail(key: key, sequence: Int(last[0].integer ?? 0), hash: last[1].blob ?? AuditChain.genesis)
        } else if let anchor = try db.query("SELECT value FROM settings WHERE name = ?", [.text(AuditAnchor.settingName)]).first?[0].text
            .flatMap(AuditAnchor.init(text:)) {
            // Retention removed every record: the chain goes on from the anchor.
            tail = AuditTail(key: key, sequence: anchor.sequence, hash: anchor.hash)
        }
        let sequences = try records.map { record in
            let entry = tail.append(record)
            try db.query("INSERT INTO audit_records(sequence, time, record, hash) VALUES (?, ?, ?, ?)",
                         [.integer(Int64(entry.sequence)), .real(record.time.timeIntervalSince1970), .blob(entry.record), .blob(entry.hash)])
            return entry.sequence
        }
        db.auditTail = (tail.sequence, tail.hash)
        return sequences
    }

    public func removeRecord(arn: String) async throws {
        try await writeAudited(AuditChange(arn: arn, kind: nil, removal: true)) { db in
            try db.query("DELETE FROM record_values WHERE arn = ?", [.text(arn)])
            try db.query("DELETE FROM record_parts WHERE arn = ?", [.text(arn)])
            try db.query("DELETE FROM records WHERE arn = ?", [.text(arn)])
            db.writtenRecords[arn] = nil
        }
    }

    public func recordsDue(forDeletionAt date: Date) async throws -> [(kind: String, arn: String)] {
        try await database.read { db in
            try db.query("SELECT kind, arn FROM records WHERE deletion_date IS NOT NULL AND deletion_date <= ?",
                         [.real(date.timeIntervalSince1970)]).map { (kind: $0[0].text ?? "", arn: $0[1].text ?? "") }
        }
    }

    public func recordsDue(kind: String, at date: Date, limit: Int) async throws -> [String] {
        try await database.read { db in
            // Named, because the planner otherwise prefers the (kind, ...) index and scans every secret.
            try db.query("SELECT arn FROM records INDEXED BY records_due WHERE due_date <= ? AND kind = ? ORDER BY due_date LIMIT ?",
                         [.real(date.timeIntervalSince1970), .text(kind), .integer(Int64(limit))]).compactMap { $0[0].text }
        }
    }

    private static let keyColumns = "access_key_id, account, principal_arn, sealed_secret, created, status, last_used, last_used_service, last_used_region"

    private static func accessKey(_ row: [SQLiteValue]) -> StoredAccessKey {
        var key = StoredAccessKey(accessKeyID: row[0].text ?? "", account: row[1].text ?? "", principalARN: row[2].text ?? "",
                                  sealedSecret: row[3].blob ?? [], createdDate: Date(timeIntervalSince1970: row[4].real ?? 0),
                                  status: row[5].text ?? "Active")
        key.lastUsedDate = row[6].real.map { Date(timeIntervalSince1970: $0) }
        key.lastUsedService = row[7].text
        key.lastUsedRegion = row[8].text
        return key
    }

    public func accessKey(id: String) async throws -> StoredAccessKey? {
        try await database.read { db in
            try db.query("SELECT \(Self.keyColumns) FROM access_keys WHERE access_key_id = ?", [.text(id)]).first.map(Self.accessKey)
        }
    }

    public func accessKeys(principalARN: String) async throws -> [StoredAccessKey] {
        try await database.read { db in
            try db.query("SELECT \(Self.keyColumns) FROM access_keys WHERE principal_arn = ? ORDER BY created", [.text(principalARN)])
                .map(Self.accessKey)
        }
    }

    public func putAccessKey(_ key: StoredAccessKey) async throws {
        try await writeAudited(AuditChange(arn: key.principalARN, kind: nil, removal: false, written: key)) { db in
            try db.query("INSERT OR REPLACE INTO access_keys(\(Self.keyColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [.text(key.accessKeyID), .text(key.account), .text(key.principalARN), .blob(key.sealedSecret),
                          .real(key.createdDate.timeIntervalSince1970), .text(key.status),
                          key.lastUsedDate.map { .real($0.timeIntervalSince1970) } ?? .null,
                          key.lastUsedService.map { .text($0) } ?? .null, key.lastUsedRegion.map { .text($0) } ?? .null])
        }
    }

    public func deleteAccessKey(id: String) async throws {
        try await writeAudited(AuditChange(arn: id, kind: nil, removal: true)) { db in
            try db.query("DELETE FROM access_keys WHERE access_key_id = ?", [.text(id)])
        }
    }

    public func setting(_ name: String) async throws -> String? {
        try await database.read { db in try db.query("SELECT value FROM settings WHERE name = ?", [.text(name)]).first?[0].text }
    }

    public func setSetting(_ name: String, _ value: String) async throws {
        try await writeAudited(AuditChange(arn: name, kind: nil, removal: false)) { db in
            try db.query("INSERT OR REPLACE INTO settings(name, value) VALUES (?, ?)", [.text(name), .text(value)])
        }
    }

    /// A row of `doc, parted, arn`.
    /// The column a date order's index covers (``Record/date(in:)``); "NULL" for the other orders.
    private static func dateColumn(_ order: RecordOrder) -> String {
        switch order {
        case .lastChanged: "changed_date"
        case .lastAccessed: "accessed_date"
        case .created, .name: "NULL"
        }
    }

    private static func load<R: Record>(_ type: R.Type, _ row: [SQLiteValue], _ db: SQLiteConnection) throws -> R {
        try load(R.self, doc: row[0], parted: row[1], arn: row[2], db)
    }
}

/// A consistent copy of a live database file: one read transaction's view, written by SQLite's
/// `VACUUM INTO` beside (not through) the running server, whose writes go on meanwhile.
public enum SQLiteSnapshot {
    public static func write(database path: String, to copy: String) throws {
        let connection = try SQLiteConnection(path: path, readOnly: true)
        try connection.query("VACUUM INTO ?", [.text(copy)])
    }
}

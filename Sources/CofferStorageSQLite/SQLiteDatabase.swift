import CSQLite
import CofferStorage
import Dispatch
import struct Foundation.Date
import Synchronization

/// A WAL-mode database with one writer connection and a few readers, each on its own serial
/// queue so that no SQLite call ever runs on an event loop.
final class SQLiteDatabase: Sendable {
    private struct Confined: @unchecked Sendable {
        // Safe: each connection is only touched from its own queue.
        let connection: SQLiteConnection
        let queue: DispatchQueue
    }

    private let writer: Confined
    private let readers: [Confined]
    private let nextReader = Atomic<Int>(0)

    /// A write waiting for the next group commit.
    private struct Job: Sendable {
        /// Whether its commit must reach the disk before it is answered (fsync), or only the OS.
        let durable: Bool
        /// Whether it only asks for staged records to be chained: its batch may be paced (``WriterPacing``).
        var chainsOnly = false
        /// Runs the work in the batch's transaction; returns how to answer once the batch has
        /// committed (nil) or failed (the error), and whether the work failed without a savepoint
        /// to undo it (then the whole batch is rolled back).
        let run: @Sendable (SQLiteConnection) -> (answer: @Sendable ((any Error)?) -> Void, poisoned: Bool)
        let abort: @Sendable (any Error) -> Void
    }

    private let pending = Mutex<(jobs: [Job], draining: Bool)>(([], false))
    let pacing = WriterPacing()
    /// Whether the writer connection is set for durable writes (``commitSettings(durable:)``); only touched on the writer's queue.
    private let durableSettings = Mutex(true)
    /// The most writes one transaction takes.
    private let batchLimit = 256

    /// Staged audit records of reads, and how to chain them into the open transaction.
    private let staging: AuditStaging?
    private let chainStaged: @Sendable (SQLiteConnection, [AuditAppend]) throws -> Void
    /// How long staged records may wait for a write transaction to chain them. Under a read load
    /// this sets how many records one chaining transaction takes: fewer, larger transactions
    /// rewrite fewer partly filled pages into the WAL.
    private let stagingDelay: DispatchTimeInterval = .milliseconds(25)

    /// `stages: false` for a second process beside a running server (`coffer audit`): it must
    /// neither stage records nor take over the server's staging files.
    init(path: String, readers readerCount: Int = 2, stages: Bool = true,
         chainStaged: @escaping @Sendable (SQLiteConnection, [AuditAppend]) throws -> Void) throws {
        self.chainStaged = chainStaged
        let writerConnection = try SQLiteConnection(path: path, readOnly: false, paced: true)
        // FULL: a commit is on disk before the client hears about it, so it survives a crash of
        // the process and of the machine.
        try writerConnection.executeScript(
            "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=\(Self.checkpointPages); \(Self.commitSettings(durable: true))")
        try Migrations.apply(to: writerConnection)
        staging = stages ? try AuditStaging(databasePath: path) : nil
        // What a previous process staged and did not chain comes first.
        if let leftover = try staging?.take() {
            try writerConnection.transaction { try chainStaged(writerConnection, leftover.records) }
            staging?.chained(leftover)
        }
        writer = Confined(connection: writerConnection, queue: DispatchQueue(label: "coffer.sqlite.writer"))
        readers = try (0..<readerCount).map { index in
            let connection = try SQLiteConnection(path: path, readOnly: true)
            return Confined(connection: connection, queue: DispatchQueue(label: "coffer.sqlite.reader\(index)"))
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await run(on: readers[abs(index) % readers.count]) { connection in try connection.snapshot { try body(connection) } }
    }

    /// Runs `body` in a write transaction and answers once that transaction has committed.
    ///
    /// Group commit: writes that queue up while a transaction is being written go together into
    /// the next one, each in its own savepoint (a write that throws undoes only itself), so
    /// concurrent writers share one commit and one fsync instead of queueing one each.
    /// `durable: false` (chaining staged audit records) commits to the WAL without waiting for the disk
    /// when no durable write shares the batch: such a commit survives a crash of the process
    /// (`kill -9`); a crash of the machine can lose the last of them, never a durable write or
    /// anything before one (a FULL commit syncs every WAL frame before it).
    @discardableResult
    func write<T: Sendable>(durable: Bool = true, isolated: Bool = true, _ body: @escaping @Sendable (SQLiteConnection) throws -> T)
        async throws -> T
    {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(durable: durable, run: { connection in
                // `isolated: false` saves the savepoint for work that cannot half-succeed on its own (an
                // audit append); if it throws anyway, the batch is rolled back rather than trusting it.
                let result = Result { isolated ? try connection.savepoint { try body(connection) } : try body(connection) }
                let answer: @Sendable ((any Error)?) -> Void = { failure in
                    if let failure { continuation.resume(throwing: failure) } else { continuation.resume(with: result) }
                }
                if case .failure = result, !isolated { return (answer, true) }
                return (answer, false)
            }, abort: { continuation.resume(throwing: $0) })
            enqueue(job)
        }
    }

    private func enqueue(_ job: Job) {
        let start = pending.withLock { state in
            state.jobs.append(job)
            if !job.chainsOnly { pacing.urgent.store(true, ordering: .relaxed) }
            if state.draining { return false }
            state.draining = true
            return true
        }
        if start { writer.queue.async { self.drain() } }
    }

    /// Makes a record of a call that changed nothing safe from a crash of the process, and has it
    /// chained by the next write transaction (one is started shortly if none comes).
    func stage(_ record: AuditAppend) throws {
        guard let staging else { throw SQLiteError(code: SQLITE_MISUSE, message: "this database does not stage audit records") }
        if try staging.stage(record) {
            writer.queue.asyncAfter(deadline: .now() + stagingDelay) { self.enqueue(Self.chainingOnly) }
        }
    }

    var stagedBacklog: (count: Int, oldest: Date?) { staging?.backlog ?? (0, nil) }

    /// Waits until everything staged so far is chained.
    func chainStagedRecords() async throws {
        try await write(durable: false, isolated: false) { _ in }
    }

    /// WAL pages after which a commit checkpoints them into the database (SQLite's default). Writes
    /// rewrite the same pages (a record's leaf, its index entries, the audit table's end) in commit
    /// after commit; a checkpoint copies each page once, however often it is in the WAL, and syncs the
    /// WAL and the database once: 16 writers over 16 secrets wrote 17-21% more a second than with 128.
    /// Commits that only chain records of reads checkpointed every 128 pages while the writer's runs
    /// set the read p99 (1,000 pages were 3.5-4.3 ms of CPU run to the scheduler's tick); now that
    /// their page writes are paced (``PacedVFS``) they take 1,000 too: 2.9% more reads a second.
    static let checkpointPages = 1000

    /// How a batch commits: durable writes reach the disk before they are answered (FULL); chaining
    /// alone commits to the WAL (NORMAL).
    static func commitSettings(durable: Bool) -> String {
        durable ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;"
    }

    /// A write that does nothing itself: its batch chains what is staged.
    private static let chainingOnly = Job(durable: false, chainsOnly: true, run: { _ in ({ _ in }, false) }, abort: { _ in })

    /// Commits queued writes in batches until none are left; runs on the writer's queue.
    private func drain() {
        let connection = writer.connection
        while true {
            let jobs: [Job] = pending.withLock { state in
                let batch = Array(state.jobs.prefix(batchLimit))
                state.jobs.removeFirst(batch.count)
                if batch.isEmpty { state.draining = false }
                pacing.urgent.store(!batch.allSatisfy(\.chainsOnly) || state.jobs.contains { !$0.chainsOnly }, ordering: .relaxed)
                return batch
            }
            if jobs.isEmpty { return }
            let durable = jobs.contains { $0.durable }
            do {
                if durableSettings.withLock({ $0 }) != durable {
                    try connection.executeScript(Self.commitSettings(durable: durable))
                    durableSettings.withLock { $0 = durable }
                }
                try connection.query("BEGIN IMMEDIATE")
            } catch {
                for job in jobs { job.abort(error) }
                continue
            }
            connection.auditTail = nil
            // Staged records became safe before any of these writes began: they chain first.
            var staged: AuditStaging.Batch?
            var stagingFailure: (any Error)?
            // The batch's chaining, its commit's page writes and its checkpoint are paced.
            pacing.begin()
            defer { WriterPacing.end() }
            do {
                staged = try staging?.take()
                if let staged {
                    pacing.behind = staged.records.first.map { Date().timeIntervalSince($0.time) > WriterPacing.lagLimit } ?? false
                    try chainStaged(connection, staged.records)
                }
            } catch {
                stagingFailure = error
            }
            let outcomes = stagingFailure == nil ? jobs.map { $0.run(connection) } : []
            do {
                if let stagingFailure { throw stagingFailure }
                if outcomes.contains(where: \.poisoned) { throw SQLiteError(code: SQLITE_ABORT, message: "a write in the batch failed") }
                try connection.query("COMMIT")
                if let staged { staging?.chained(staged) }
                for outcome in outcomes { outcome.answer(nil) }
            } catch {
                connection.auditTail = nil
                connection.writtenRecords.removeAll()
                _ = try? connection.query("ROLLBACK")
                if let staged { staging?.restore(staged) }
                if outcomes.isEmpty { for job in jobs { job.abort(error) } }
                for outcome in outcomes { outcome.answer(error) }
            }
        }
    }

    private func run<T: Sendable>(on confined: Confined, _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            confined.queue.async {
                continuation.resume(with: Result { try body(confined.connection) })
            }
        }
    }

    /// Waits for queued work, chains what is staged, and checkpoints the WAL, for a clean shutdown.
    func close() async {
        try? await chainStagedRecords()
        _ = try? await run(on: writer) { connection in try connection.executeScript("PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}

enum Migrations {
    /// Append-only: a released migration is never edited, only followed by a new one.
    static let all: [String] = [
        """
        CREATE TABLE settings(name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        CREATE TABLE records(
            arn TEXT PRIMARY KEY NOT NULL,
            kind TEXT NOT NULL,
            account TEXT NOT NULL CHECK(length(account) = 12),
            region TEXT NOT NULL,
            name TEXT NOT NULL CHECK(length(name) > 0),
            revision INTEGER NOT NULL,
            deletion_date REAL,
            doc BLOB NOT NULL,
            UNIQUE(kind, account, region, name)
        );
        CREATE INDEX records_deletion ON records(deletion_date) WHERE deletion_date IS NOT NULL;
        CREATE TABLE record_values(
            arn TEXT NOT NULL REFERENCES records(arn) ON DELETE CASCADE,
            version_id TEXT NOT NULL,
            sealed BLOB NOT NULL,
            PRIMARY KEY(arn, version_id)
        ) WITHOUT ROWID;
        CREATE TABLE access_keys(
            access_key_id TEXT PRIMARY KEY NOT NULL,
            account TEXT NOT NULL,
            principal_arn TEXT NOT NULL,
            sealed_secret BLOB NOT NULL,
            created REAL NOT NULL
        );
        """,
        """
        ALTER TABLE access_keys ADD COLUMN status TEXT NOT NULL DEFAULT 'Active' CHECK(status IN ('Active', 'Inactive'));
        ALTER TABLE access_keys ADD COLUMN last_used REAL;
        ALTER TABLE access_keys ADD COLUMN last_used_service TEXT;
        ALTER TABLE access_keys ADD COLUMN last_used_region TEXT;
        CREATE INDEX access_keys_principal ON access_keys(principal_arn);
        """,
        """
        CREATE TABLE audit_records(
            sequence INTEGER PRIMARY KEY NOT NULL,
            time REAL NOT NULL,
            record BLOB NOT NULL,
            hash BLOB NOT NULL CHECK(length(hash) = 32)
        );
        CREATE INDEX audit_records_time ON audit_records(time);
        """,
        """
        CREATE TABLE audit_digests(
            last_sequence INTEGER PRIMARY KEY NOT NULL,
            last_hash BLOB NOT NULL,
            previous_digest_hash BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            signature BLOB NOT NULL
        );
        """,
        // Every audit append paid for this index; time ranges are read along the sequence instead.
        "DROP INDEX audit_records_time;",
        // The rotation scheduler finds what is due through this index: a tick costs what is due.
        """
        ALTER TABLE records ADD COLUMN due_date REAL;
        CREATE INDEX records_due ON records(due_date) WHERE due_date IS NOT NULL;
        """,
        // Pages of a kind's records in creation order: the index's entries end with the rowid.
        "CREATE INDEX records_scope ON records(kind, account, region);",
        // A secret's versions, one row each (in order of rowid), so that a new version writes one
        // row and relabels two instead of rewriting a document of 100. Rows written before keep
        // their versions in the document (parted = 0) until their next write.
        """
        ALTER TABLE records ADD COLUMN parted INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE record_parts(
            arn TEXT NOT NULL REFERENCES records(arn) ON DELETE CASCADE,
            key TEXT NOT NULL,
            doc BLOB NOT NULL,
            PRIMARY KEY(arn, key)
        );
        """,
        // Pages of secrets by last change or last access, through an index each instead of reading
        // the region (Record.date(in:)). Rows written before get the dates their documents hold
        // (Secret's keys, seconds since 1970; never accessed is the earliest date, as in Swift).
        """
        ALTER TABLE records ADD COLUMN changed_date REAL;
        ALTER TABLE records ADD COLUMN accessed_date REAL;
        UPDATE records SET changed_date = json_extract(CAST(doc AS TEXT), '$.lastChangedDate'),
            accessed_date = coalesce(json_extract(CAST(doc AS TEXT), '$.lastAccessedDate'), -62135596800.0) WHERE kind = 'secret';
        CREATE INDEX records_changed ON records(kind, account, region, changed_date, name) WHERE changed_date IS NOT NULL;
        CREATE INDEX records_accessed ON records(kind, account, region, accessed_date, name) WHERE accessed_date IS NOT NULL;
        """,
        // A version's sealed value in its part's row: a new version writes one row instead of one
        // here and one in record_values (whose keys, version ids, land on a random page each time),
        // and a pruned version goes with its row. Values of records without parts stay in record_values.
        """
        ALTER TABLE record_parts ADD COLUMN sealed BLOB;
        UPDATE record_parts SET sealed = (SELECT v.sealed FROM record_values v WHERE v.arn = record_parts.arn AND v.version_id = record_parts.key);
        DELETE FROM record_values WHERE EXISTS (
            SELECT 1 FROM record_parts p WHERE p.arn = record_values.arn AND p.key = record_values.version_id AND p.sealed IS NOT NULL);
        """,
        // No schema change: a secret's staging labels move from its version rows into its document
        // (records.parted = 2) as it is next written. The version number marks the layout, so that a
        // build that cannot read it refuses the database instead of reading secrets without labels.
        "SELECT 1;",
    ]

    static func apply(to connection: SQLiteConnection) throws {
        let current = Int(try connection.query("PRAGMA user_version").first?.first?.integer ?? 0)
        guard current <= all.count else {
            throw SQLiteError(code: SQLITE_ERROR, message: "the database was written by a newer Coffer (schema \(current); this build knows \(all.count))")
        }
        guard current < all.count else { return }
        // One transaction for everything pending (one fsync on a new database instead of one per
        // migration); DDL is transactional in SQLite, so a failure leaves the schema as it was.
        try connection.transaction {
            for sql in all.dropFirst(current) { try connection.executeScript(sql) }
            try connection.executeScript("PRAGMA user_version = \(all.count)")
        }
    }
}

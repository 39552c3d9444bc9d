import Dispatch
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

    init(path: String, readers readerCount: Int = 2) throws {
        let writerConnection = try SQLiteConnection(path: path, readOnly: false)
        // FULL: a commit is on disk before the client hears about it, so it survives a crash of
        // the process and of the machine.
        try writerConnection.executeScript("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        try Migrations.apply(to: writerConnection)
        writer = Confined(connection: writerConnection, queue: DispatchQueue(label: "coffer.sqlite.writer"))
        readers = try (0..<readerCount).map { index in
            let connection = try SQLiteConnection(path: path, readOnly: true)
            return Confined(connection: connection, queue: DispatchQueue(label: "coffer.sqlite.reader\(index)"))
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await run(on: readers[abs(index) % readers.count], body)
    }

    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await run(on: writer) { connection in try connection.transaction { try body(connection) } }
    }

    private func run<T: Sendable>(on confined: Confined, _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            confined.queue.async {
                continuation.resume(with: Result { try body(confined.connection) })
            }
        }
    }

    /// Waits for queued work and checkpoints the WAL, for a clean shutdown.
    func close() async {
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
    ]

    static func apply(to connection: SQLiteConnection) throws {
        let current = Int(try connection.query("PRAGMA user_version").first?.first?.integer ?? 0)
        guard current < all.count else { return }
        for (index, sql) in all.enumerated().dropFirst(current) {
            try connection.transaction {
                try connection.executeScript(sql)
                try connection.executeScript("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}

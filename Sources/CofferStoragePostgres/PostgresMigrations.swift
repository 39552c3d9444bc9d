import Foundation
import Logging
import PostgresNIO

/// The schema, created and moved forward by Coffer itself. Append-only: a released migration is
/// never edited, only followed by a new one. Mirrors the SQLite schema, with what several nodes
/// need besides: staged audit records waiting for the chainer.
enum PostgresMigrations {
    static let all: [String] = [
        """
        CREATE TABLE settings(name text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE records(
            seq bigserial UNIQUE,
            arn text PRIMARY KEY,
            kind text NOT NULL,
            account text NOT NULL CHECK (length(account) = 12),
            region text NOT NULL,
            name text NOT NULL CHECK (length(name) > 0),
            revision bigint NOT NULL,
            deletion_date double precision,
            due_date double precision,
            doc bytea NOT NULL,
            UNIQUE (kind, account, region, name)
        );
        CREATE INDEX records_scope ON records(kind, account, region, seq);
        CREATE INDEX records_deletion ON records(deletion_date) WHERE deletion_date IS NOT NULL;
        CREATE INDEX records_due ON records(kind, due_date) WHERE due_date IS NOT NULL;
        CREATE TABLE record_values(
            arn text NOT NULL REFERENCES records(arn) ON DELETE CASCADE,
            version_id text NOT NULL,
            sealed bytea NOT NULL,
            PRIMARY KEY (arn, version_id)
        );
        CREATE TABLE access_keys(
            access_key_id text PRIMARY KEY,
            account text NOT NULL,
            principal_arn text NOT NULL,
            sealed_secret bytea NOT NULL,
            created double precision NOT NULL,
            status text NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Inactive')),
            last_used double precision,
            last_used_service text,
            last_used_region text
        );
        CREATE INDEX access_keys_principal ON access_keys(principal_arn);
        CREATE TABLE audit_records(
            sequence bigint PRIMARY KEY,
            time double precision NOT NULL,
            record bytea NOT NULL,
            hash bytea NOT NULL CHECK (length(hash) = 32)
        );
        CREATE TABLE audit_digests(
            last_sequence bigint PRIMARY KEY,
            last_hash bytea NOT NULL,
            previous_digest_hash bytea NOT NULL,
            created_at bigint NOT NULL,
            signature bytea NOT NULL
        );
        CREATE TABLE audit_staged(
            id bigserial PRIMARY KEY,
            node text NOT NULL,
            time double precision NOT NULL,
            record bytea NOT NULL
        );
        """,
        // Pages of records by name, in byte order whatever the database's collation.
        #"CREATE INDEX records_scope_name ON records(kind, account, region, (name COLLATE "C"));"#,
        // Pages of secrets by last change or last access through an index each (Record.date(in:));
        // rows written before get the dates their documents hold, as in the SQLite migration.
        #"""
        ALTER TABLE records ADD COLUMN changed_date double precision;
        ALTER TABLE records ADD COLUMN accessed_date double precision;
        UPDATE records SET changed_date = (convert_from(doc, 'UTF8')::jsonb ->> 'lastChangedDate')::double precision,
            accessed_date = coalesce((convert_from(doc, 'UTF8')::jsonb ->> 'lastAccessedDate')::double precision, -62135596800)
            WHERE kind = 'secret';
        CREATE INDEX records_changed ON records(kind, account, region, changed_date, (name COLLATE "C")) WHERE changed_date IS NOT NULL;
        CREATE INDEX records_accessed ON records(kind, account, region, accessed_date, (name COLLATE "C")) WHERE accessed_date IS NOT NULL;
        """#,
    ]

    /// One lock for every node that starts at once: the first applies what is missing, the others
    /// then find nothing to do.
    static let lockKey = "coffer.migrate"

    /// Brings the schema up to date; refuses a database whose schema is newer than this Coffer knows.
    static func apply(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run("SELECT pg_advisory_lock(hashtext(\(lockKey)))", logger: logger)
        do {
            try await connection.run("CREATE TABLE IF NOT EXISTS coffer_schema(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                                       logger: logger)
            var current = 0
            for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM coffer_schema", logger: logger)
                .decode(Int.self) { current = version }
            guard current <= all.count else {
                throw PostgresStoreError("the database's schema is version \(current), newer than this Coffer (\(all.count)) knows: run a newer Coffer")
            }
            for (index, sql) in all.enumerated().dropFirst(current) {
                try await connection.withTransaction(logger: logger) { transaction in
                    for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
                        try await transaction.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await transaction.run("INSERT INTO coffer_schema(version) VALUES (\(index + 1))", logger: logger)
                }
                logger.info("database schema migrated", metadata: ["version": "\(index + 1)"])
            }
        } catch {
            try? await connection.run("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
            throw error
        }
        try await connection.run("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
    }
}

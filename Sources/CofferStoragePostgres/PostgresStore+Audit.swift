public import CofferCore
public import CofferStorage
public import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The audit trail on PostgreSQL: one chain, however many nodes write.
///
/// Every record is staged first (`audit_staged`): a change's in the change's own transaction, a
/// read's in one insert before the answer, so each is durable once the caller hears back. The
/// chainer takes the chain lock (a transaction-scoped advisory lock, so a node that dies cannot
/// keep it), reads the chain's tail, appends what is staged in id order and deletes it from
/// staging, all in one transaction. A node chains what it staged within 25 milliseconds; every
/// node also chains every second, so what a dead node staged is chained by the others. A record's
/// position is the order it was chained in, as with SQLite's staged records.
extension PostgresStore {
    static let chainLock = "coffer.audit.chain"
    static let chainBatch = 2000
    static let chainDelay: Duration = .milliseconds(25)

    /// One statement however many records: ids are taken in the records' order.
    static func stage(_ records: [AuditAppend], node: String, on connection: PostgresConnection, logger: Logger) async throws {
        guard !records.isEmpty else { return }
        try await connection.run("""
            INSERT INTO audit_staged(node, time, record)
            SELECT \(node), t, r FROM unnest(\(records.map { $0.time.timeIntervalSince1970 })::float8[], \(records.map { ByteBuffer(bytes: $0.record) })::bytea[])
                WITH ORDINALITY AS s(t, r, o) ORDER BY o
            """, logger: logger)
    }

    func startChaining() {
        background(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                _ = try? await self?.chainStaged(waiting: false)
            }
        })
    }

    /// Chains what this node staged shortly, so many records share one chaining transaction.
    func chainSoon() {
        guard chainDue.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        Task { [weak self] in
            try? await Task.sleep(for: Self.chainDelay)
            self?.chainDue.store(false, ordering: .releasing)
            _ = try? await self?.chainStaged(waiting: false)
        }
    }

    /// Chains everything staged; `waiting: false` gives up at once if another node holds the chain.
    /// Returns whether it held the chain.
    @discardableResult
    func chainStaged(waiting: Bool) async throws -> Bool {
        while true {
            let outcome = try await chainTransaction(waiting: waiting, append: [])
            guard outcome.held else { return false }
            if outcome.moved < Self.chainBatch { return true }
        }
    }

    /// One chaining transaction: staged records (up to a batch), then `append`; returns the
    /// sequences `append` got.
    private func chainTransaction(waiting: Bool, append: [AuditAppend]) async throws -> (held: Bool, moved: Int, sequences: [Int]) {
        let key = chainKey
        return try await transaction { connection in
            let logger = self.logger
            if waiting {
                try await connection.run("SELECT pg_advisory_xact_lock(hashtext(\(Self.chainLock)))", logger: logger)
            } else {
                let held = try await Self.rows(connection.query("SELECT pg_try_advisory_xact_lock(hashtext(\(Self.chainLock)))", logger: logger),
                                               as: Bool.self).first ?? false
                guard held else { return (false, 0, []) }
            }
            var staged: [(id: Int, record: AuditAppend)] = []
            for try await (id, time, record) in try await connection.query("""
                SELECT id, time, record FROM audit_staged ORDER BY id LIMIT \(Self.chainBatch)
                """, logger: logger).decode((Int, Double, ByteBuffer).self) {
                staged.append((id, AuditAppend(time: Date(timeIntervalSince1970: time), record: Array(record.readableBytesView))))
            }
            if staged.isEmpty && append.isEmpty { return (true, 0, []) }
            var tail = try await Self.tail(key: key, connection, logger)
            let entries = (staged.map(\.record) + append).map { tail.append($0) }
            try await Self.insert(entries, connection, logger)
            if !staged.isEmpty {
                try await connection.run("DELETE FROM audit_staged WHERE id = ANY(\(staged.map(\.id)))", logger: logger)
            }
            return (true, staged.count, entries.suffix(append.count).map(\.sequence))
        }
    }

    /// The chain's last record, or the anchor retention left, or the start.
    private static func tail(key: AuditChain.Key, _ connection: PostgresConnection, _ logger: Logger) async throws -> AuditTail {
        for try await (sequence, hash) in try await connection.query("SELECT sequence, hash FROM audit_records ORDER BY sequence DESC LIMIT 1",
                                                                     logger: logger).decode((Int, ByteBuffer).self) {
            return AuditTail(key: key, sequence: sequence, hash: Array(hash.readableBytesView))
        }
        let anchor = try await rows(connection.query("SELECT value FROM settings WHERE name = \(AuditAnchor.settingName)", logger: logger),
                                    as: String.self).first.flatMap(AuditAnchor.init(text:))
        return anchor.map { AuditTail(key: key, sequence: $0.sequence, hash: $0.hash) } ?? AuditTail(key: key)
    }

    private static func insert(_ entries: [AuditChain.Entry], _ connection: PostgresConnection, _ logger: Logger) async throws {
        // One statement for the batch: arrays, unnested, rather than a round trip per record.
        guard !entries.isEmpty else { return }
        try await connection.run("""
            INSERT INTO audit_records(sequence, time, record, hash)
            SELECT * FROM unnest(\(entries.map(\.sequence))::bigint[], \(entries.map { $0.time?.timeIntervalSince1970 ?? 0 })::float8[],
                                 \(entries.map { ByteBuffer(bytes: $0.record) })::bytea[], \(entries.map { ByteBuffer(bytes: $0.hash) })::bytea[])
            """, logger: logger)
    }

    /// Audit records staged by any node and not yet chained, and the oldest one's time (the chain's lag).
    public func auditBacklog() async throws -> (count: Int, oldest: Date?) {
        let logger = logger
        return try await withConnection { connection in
            for try await (count, oldest) in try await connection.query("SELECT count(*)::bigint, min(time) FROM audit_staged", logger: logger)
                .decode((Int, Double?).self) {
                return (count, oldest.map { Date(timeIntervalSince1970: $0) })
            }
            return (0, nil)
        }
    }

    // MARK: AuditStore

    @discardableResult
    public func appendAudit(_ records: [AuditAppend]) async throws -> [Int] {
        try await chainTransaction(waiting: true, append: records).sequences
    }

    /// A read's record, durable before the read is answered. Records that arrive while a batch is
    /// being written go together into the next one (one insert and one commit for all of them), as
    /// SQLite's group commit does.
    public func stageAudit(_ record: AuditAppend) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let leads = staging.withLock { state in
                state.waiting.append((record, continuation))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            if leads { Task { await self.flushStaged() } }
        }
        chainSoon()
    }

    /// Writes what waits, batch after batch, until nothing does.
    private func flushStaged() async {
        let node = nodeID
        let logger = logger
        while true {
            let batch = staging.withLock { state in
                let taken = state.waiting
                state.waiting = []
                if taken.isEmpty { state.flushing = false }
                return taken
            }
            if batch.isEmpty { return }
            let records = batch.map(\.record)
            do {
                try await withConnection { connection in try await Self.stage(records, node: node, on: connection, logger: logger) }
                for waiter in batch { waiter.continuation.resume() }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }

    public func chainStagedAudit() async throws {
        try await chainStaged(waiting: true)
    }

    public func auditEntries(after: Int, limit: Int) async throws -> [AuditChain.Entry] {
        try await chainStagedAudit()
        let logger = logger
        return try await withConnection { connection in
            try await Self.entries(connection.query("""
                SELECT sequence, record, hash, time FROM audit_records WHERE sequence > \(after) ORDER BY sequence LIMIT \(limit)
                """, logger: logger))
        }
    }

    public func auditEntries(before: Int?, from: Date?, to: Date?, limit: Int) async throws -> [AuditChain.Entry] {
        try await chainStagedAudit()
        let logger = logger
        return try await withConnection { connection in
            try await Self.entries(connection.query("""
                SELECT sequence, record, hash, time FROM audit_records
                WHERE sequence < \(before ?? Int(Int64.max)) AND time >= \(from?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude)
                    AND time <= \(to?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude)
                ORDER BY sequence DESC LIMIT \(limit)
                """, logger: logger))
        }
    }

    private static func entries(_ rows: PostgresRowSequence) async throws -> [AuditChain.Entry] {
        var entries: [AuditChain.Entry] = []
        for try await (sequence, record, hash, time) in rows.decode((Int, ByteBuffer, ByteBuffer, Double).self) {
            entries.append(AuditChain.Entry(sequence: sequence, record: Array(record.readableBytesView), hash: Array(hash.readableBytesView),
                                            time: Date(timeIntervalSince1970: time)))
        }
        return entries
    }

    public func appendAuditDigest(_ digest: AuditChain.Digest) async throws {
        let logger = logger
        try await withConnection { connection in
            try await connection.run("""
                INSERT INTO audit_digests(last_sequence, last_hash, previous_digest_hash, created_at, signature)
                VALUES (\(digest.lastSequence), \(ByteBuffer(bytes: digest.lastHash)), \(ByteBuffer(bytes: digest.previousDigestHash)),
                        \(digest.createdAt), \(ByteBuffer(bytes: digest.signature)))
                """, logger: logger)
        }
    }

    public func auditDigests() async throws -> [AuditChain.Digest] {
        try await digests("ORDER BY last_sequence")
    }

    public func latestAuditDigest() async throws -> AuditChain.Digest? {
        try await digests("ORDER BY last_sequence DESC LIMIT 1").first
    }

    private func digests(_ order: String) async throws -> [AuditChain.Digest] {
        let logger = logger
        return try await withConnection { connection in
            var digests: [AuditChain.Digest] = []
            for try await (sequence, last, previous, created, signature) in try await connection.query("""
                SELECT last_sequence, last_hash, previous_digest_hash, created_at, signature FROM audit_digests \(unescaped: order)
                """, logger: logger).decode((Int, ByteBuffer, ByteBuffer, Int, ByteBuffer).self) {
                digests.append(AuditChain.Digest(lastSequence: sequence, lastHash: Array(last.readableBytesView),
                                                 previousDigestHash: Array(previous.readableBytesView), createdAt: created,
                                                 signature: Array(signature.readableBytesView)))
            }
            return digests
        }
    }

    public func pruneAudit(before date: Date) async throws -> Int {
        try await chainStagedAudit()
        return try await transaction { connection in
            let logger = self.logger
            // Under the chain lock: the chainer must not read a tail that retention is removing.
            try await connection.run("SELECT pg_advisory_xact_lock(hashtext(\(Self.chainLock)))", logger: logger)
            let kept = try await Self.rows(connection.query("""
                SELECT sequence FROM audit_records WHERE time >= \(date.timeIntervalSince1970) ORDER BY sequence LIMIT 1
                """, logger: logger), as: Int.self).first
            var last: AuditAnchor?
            for try await (sequence, hash) in try await connection.query("""
                SELECT sequence, hash FROM audit_records WHERE sequence < \(kept ?? Int(Int64.max)) ORDER BY sequence DESC LIMIT 1
                """, logger: logger).decode((Int, ByteBuffer).self) { last = AuditAnchor(sequence: sequence, hash: Array(hash.readableBytesView)) }
            guard let anchor = last else { return 0 }
            let removed = try await Self.rows(connection.query("""
                WITH gone AS (DELETE FROM audit_records WHERE sequence <= \(anchor.sequence) RETURNING 1) SELECT count(*)::bigint FROM gone
                """, logger: logger), as: Int.self).first ?? 0
            try await connection.run("""
                INSERT INTO settings(name, value) VALUES (\(AuditAnchor.settingName), \(anchor.text)) ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """, logger: logger)
            return removed
        }
    }

    public func auditAnchor() async throws -> AuditAnchor? {
        try await setting(AuditAnchor.settingName).flatMap(AuditAnchor.init(text:))
    }
}

import CofferCore
public import CofferStorage
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Updates of one record run in batches: the record is locked `FOR UPDATE` once, every change
/// queued on this node meanwhile runs on it in turn (each on what the one before wrote), and one
/// write, one commit and one flush of the log serve them all, each with its own audit records.
/// Sixteen writers of one secret then share a transaction instead of queueing for its row lock one
/// commit at a time. Changes on other nodes still wait for the lock, and a change that fails fails
/// alone.
extension PostgresStore {
    struct QueuedUpdate: Sendable {
        /// The call's own audit record, claimed in its task before it queued.
        let audit: AuditAppend?
        /// The caller's change, on the record as the batch has it so far.
        let run: @Sendable (any Record) throws -> ErasedWrite?
        let finish: @Sendable (Result<UpdateOutcome, any Error>) -> Void
    }

    struct ErasedWrite: Sendable {
        /// The revision the change was made from (nil for a creation, which an update cannot be).
        let expectedRevision: Int?
        let scope: ResourceScope
        let record: any Record
        let newValues: [(versionID: String, sealed: [UInt8])]
        let removedVersionIDs: [String]
        let records: [AuditAppend]

        init<R: Record>(_ write: RecordWrite<R>) {
            if case .update(let expected) = write.kind { expectedRevision = expected } else { expectedRevision = nil }
            scope = write.scope
            record = write.record
            newValues = write.newValues
            removedVersionIDs = write.removedVersionIDs
            records = (write.audit.map { [$0] } ?? []) + write.alsoRecord
        }
    }

    enum UpdateOutcome: Sendable {
        case written(any Record)
        /// No record, or the change wrote nothing: the call's audit record goes back to its scope.
        case unchanged((any Record)?)
    }

    private struct Unchanged: Error {
        let record: (any Record)?
    }

    public func update<R: Record>(_ type: R.Type, arn: String, _ change: @escaping @Sendable (R) throws -> RecordWrite<R>?) async throws -> R? {
        do {
            return try await AuditScope.committing(AuditChange(arn: arn, kind: R.kind, removal: false)) { audit in
                let outcome = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<UpdateOutcome, any Error>) in
                    let entry = QueuedUpdate(audit: audit, run: { record in
                        guard let current = record as? R else { throw StorageError.conflict }
                        return try change(current).map(ErasedWrite.init)
                    }, finish: { continuation.resume(with: $0) })
                    let leads = queuedUpdates.withLock { queues in
                        guard queues[arn] == nil else {
                            queues[arn]?.append(entry)
                            return false
                        }
                        queues[arn] = [entry]
                        return true
                    }
                    // Detached: the batch claims no audit record of the task that happened to start it.
                    if leads { Task.detached { await self.runQueuedUpdates(R.self, arn: arn) } }
                }
                switch outcome {
                case .written(let record): return record as? R
                case .unchanged(let record): throw Unchanged(record: record)
                }
            }
        } catch let unchanged as Unchanged {
            return unchanged.record as? R
        }
    }

    /// Runs batches until none is waiting; an empty queue (rather than none) marks a batch running.
    private func runQueuedUpdates<R: Record>(_ type: R.Type, arn: String) async {
        while true {
            let batch = queuedUpdates.withLock { queues -> [QueuedUpdate] in
                let batch = queues[arn] ?? []
                queues[arn] = batch.isEmpty ? nil : []
                return batch
            }
            if batch.isEmpty { return }
            await run(batch, R.self, arn: arn)
        }
    }

    private func run<R: Record>(_ batch: [QueuedUpdate], _ type: R.Type, arn: String) async {
        let logger = logger
        let payload = Self.payload(node: nodeID, .record(kind: R.kind, arn: arn))
        let node = nodeID
        do {
            let (outcomes, written) = try await transaction { connection -> ([Result<UpdateOutcome, any Error>], (seq: Int64, record: R)?) in
                var locked: (seq: Int64, revision: Int)?
                for try await row in try await connection.query("SELECT seq, revision FROM records WHERE arn = \(arn) AND kind = \(R.kind) FOR UPDATE",
                                                                logger: logger).decode((Int64, Int).self) { locked = row }
                guard let (seq, revision) = locked else { return (batch.map { _ in .success(.unchanged(nil)) }, nil) }
                var current: R
                if let kept = self.committed.withLock({ $0[arn] }), kept.seq == seq, kept.revision == revision, let record = kept.record as? R {
                    current = record
                } else {
                    guard let doc = try await Self.rows(connection.query("SELECT doc FROM records WHERE arn = \(arn)", logger: logger),
                                                        as: ByteBuffer.self).first else { return (batch.map { _ in .success(.unchanged(nil)) }, nil) }
                    current = try Self.decode(R.self, doc)
                }
                var outcomes: [Result<UpdateOutcome, any Error>] = []
                var scope: ResourceScope?
                var values = ValueChanges()
                var records: [AuditAppend] = []
                for entry in batch {
                    do {
                        guard let write = try entry.run(current), let record = write.record as? R else {
                            outcomes.append(.success(.unchanged(current)))
                            continue
                        }
                        // A write made from anything but the record it was handed conflicts, as it would alone.
                        guard write.expectedRevision == current.revision else { throw StorageError.conflict }
                        current = record
                        scope = scope ?? write.scope
                        values.apply(write)
                        records += (entry.audit.map { [$0] } ?? []) + write.records
                        outcomes.append(.success(.written(record)))
                    } catch {
                        outcomes.append(.failure(error))
                    }
                }
                guard let scope else { return (outcomes, nil) }
                let combined = RecordWrite(.update(expectedRevision: revision), scope: scope, record: current,
                                           newValues: values.upserts, removedVersionIDs: values.removals)
                try await Self.apply(combined, doc: ByteBuffer(bytes: try Self.encode(current)), on: connection, logger: logger)
                try await Self.announce(records, payload: payload, node: node, on: connection, logger: logger)
                return (outcomes, (seq, current))
            }
            if let written {
                // Kept only once committed: a revision rolled back could be written again with other content.
                committed.withLock { committed in
                    if committed.count >= 1_024 { committed.removeAll() }
                    committed[arn] = (written.seq, written.record.revision, written.record)
                }
                chainSoon()
            }
            for (entry, outcome) in zip(batch, outcomes) { entry.finish(outcome) }
        } catch {
            for entry in batch { entry.finish(.failure(error)) }
        }
    }

    /// The sealed values a batch adds and drops, in the order its changes made them: a value added
    /// and then dropped (or the reverse) within the batch ends as the last change left it.
    private struct ValueChanges {
        private var order: [String] = []
        private var latest: [String: [UInt8]?] = [:]

        mutating func apply(_ write: ErasedWrite) {
            for value in write.newValues { set(value.versionID, value.sealed) }
            for id in write.removedVersionIDs { set(id, nil) }
        }

        private mutating func set(_ id: String, _ sealed: [UInt8]?) {
            if latest[id] == nil { order.append(id) }
            latest[id] = .some(sealed)
        }

        var upserts: [(versionID: String, sealed: [UInt8])] { order.compactMap { id in latest[id]!.map { (id, $0) } } }
        var removals: [String] { order.filter { latest[$0]! == nil } }
    }
}

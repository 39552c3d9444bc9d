public import CofferStorage

/// Appends audit records with group commit: records that arrive while a transaction is being
/// written wait and go together in the next one, so concurrent reads share one fsync rather than
/// queueing one each. Every caller is resumed only once its record is durable (or with the error).
public actor AuditAppender {
    private let store: any AuditStore
    private var pending: [(record: AuditAppend, done: CheckedContinuation<Void, any Error>)] = []
    private var flushing = false
    /// The most records one transaction takes, so one slow batch cannot grow without bound.
    private let batchLimit = 512

    public init(store: any AuditStore) { self.store = store }

    public func append(_ record: AuditAppend) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            pending.append((record, done))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(batchLimit))
            pending.removeFirst(batch.count)
            do {
                try await store.appendAudit(batch.map(\.record))
                for item in batch { item.done.resume() }
            } catch {
                for item in batch { item.done.resume(throwing: error) }
            }
        }
        flushing = false
    }
}

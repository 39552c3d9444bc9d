import CofferCore
import CofferStorage

/// Runs `body` again when another writer changed the record first (optimistic concurrency), a
/// bounded number of times.
func retryingOnConflict<T>(alsoOnNameTaken: Bool = false, _ body: () async throws -> T) async throws -> T {
    var attempt = 0
    while true {
        do {
            return try await body()
        } catch let error as StorageError where attempt < 16 && (error == .conflict || (alsoOnNameTaken && error == .nameTaken)) {
            attempt += 1
        }
    }
}

/// Reads a record, applies a change and writes it back at the revision it read, retrying on
/// conflict. A change that changes nothing writes nothing.
@discardableResult
func updating<R: Record>(_ store: any CofferStore, in scope: ResourceScope, read: () async throws -> R,
                         _ apply: (inout R) throws -> Void) async throws -> R {
    try await retryingOnConflict {
        let current = try await read()
        var updated = current
        try apply(&updated)
        guard updated != current else { return current }
        updated.revision += 1
        try await store.write(RecordWrite(.update(expectedRevision: current.revision), scope: scope, record: updated))
        return updated
    }
}

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

/// Moves a record to a new ARN (IAM keeps names in ARNs, so a rename is a move): the moved record is
/// created first, so a name already taken changes nothing (`taken` is thrown); `between` runs once it
/// exists (to re-point what refers to the old ARN); then the old record goes. When only the case or
/// path changes, the name is still the record's own, so the old record goes first.
func moving<R: Record>(_ store: any CofferStore, from old: R, to moved: R, in scope: ResourceScope, taken: CofferError,
                       between: () async throws -> Void = {}) async throws {
    var moved = moved
    moved.revision = 0
    let sameName = moved.name == old.name
    if sameName { try await store.removeRecord(arn: old.arn) }
    do {
        try await store.write(RecordWrite(.create, scope: scope, record: moved))
    } catch StorageError.nameTaken {
        throw taken
    }
    try await between()
    if !sameName { try await store.removeRecord(arn: old.arn) }
}

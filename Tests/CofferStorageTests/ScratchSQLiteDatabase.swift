@testable import CofferStorageSQLite
import Foundation

/// A directory of its own that is removed afterwards: `body` gets its path.
func withScratchDirectory(_ label: String, _ body: (String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-\(label)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try await body(directory)
}

/// A database in a directory of its own that is removed afterwards, for tests of `SQLiteDatabase`
/// itself (no store, no staging chained): `body` gets the database file's path and the database.
func withScratchDatabase(_ label: String, _ body: (String, SQLiteDatabase) async throws -> Void) async throws {
    try await withScratchDirectory(label) { directory in
        let path = directory + "/coffer.db"
        let database = try SQLiteDatabase(path: path, chainStaged: { _, _ in })
        try await body(path, database)
        await database.close()
    }
}

@testable import CofferStorageSQLite
import Foundation

/// Every scratch directory of this test process lives under one root that is removed when the
/// process exits: a store a contract test opens stays in use until the test ends, so the helper
/// that made its directory cannot remove it. Roots that processes killed mid-run left are swept first.
private let scratchRootPath: String = {
    let temporary = FileManager.default.temporaryDirectory.path
    for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix("coffer-tests-") {
        if let pid = Int32(name.dropFirst("coffer-tests-".count)), kill(pid, 0) == -1, errno == ESRCH {
            try? FileManager.default.removeItem(atPath: temporary + "/" + name)
        }
    }
    return temporary + "/coffer-tests-\(getpid())"
}()

private let scratchRoot: String = {
    try? FileManager.default.removeItem(atPath: scratchRootPath)
    atexit { try? FileManager.default.removeItem(atPath: scratchRootPath) }
    return scratchRootPath
}()

/// A new empty directory under the process's scratch root.
func scratchDirectory(_ label: String) throws -> URL {
    let directory = URL(fileURLWithPath: scratchRoot).appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// A directory of its own that is removed afterwards: `body` gets its path.
func withScratchDirectory(_ label: String, _ body: (String) async throws -> Void) async throws {
    let directory = try scratchDirectory(label).path
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

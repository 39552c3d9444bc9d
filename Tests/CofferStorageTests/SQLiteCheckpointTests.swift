@testable import CofferStorageSQLite
import Foundation
import Testing

/// Commits of durable writes leave up to ``SQLiteDatabase/writeCheckpointPages`` in the WAL before
/// checkpointing; commits that only chain audit records checkpoint after ``SQLiteDatabase/checkpointPages``.
/// Seen in the WAL file's size: after a checkpoint the next transaction writes from the file's start.
@Suite struct SQLiteCheckpointTests {
    @Test func durableWritesCheckpointInLongRunsAndChainingInShortOnes() async throws {
        try await withScratchDatabase("checkpoint") { path, database in
            try await database.write { db in try db.executeScript("CREATE TABLE probe(b BLOB NOT NULL)") }
            func walPages() throws -> Int {
                let size = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
                return size / (4096 + 24)
            }
            // Each insert is a page of its own (and the table's root): about two WAL frames a commit.
            let rows = 300
            for _ in 0..<rows {
                try await database.write(durable: false) { db in try db.query("INSERT INTO probe(b) VALUES (zeroblob(4000))") }
            }
            let chaining = try walPages()
            #expect(chaining < rows, "commits without durable writes checkpoint every \(SQLiteDatabase.checkpointPages) pages")
            for _ in 0..<rows {
                try await database.write { db in try db.query("INSERT INTO probe(b) VALUES (zeroblob(4000))") }
            }
            let durable = try walPages()
            #expect(durable > rows, "durable commits leave up to \(SQLiteDatabase.writeCheckpointPages) pages in the WAL")
            #expect(durable <= SQLiteDatabase.writeCheckpointPages + 10)
        }
    }
}

@testable import CofferStorageSQLite
import Foundation
import Testing

/// Commits leave up to ``SQLiteDatabase/checkpointPages`` in the WAL before checkpointing, durable
/// or not. Seen in the WAL file's size: after a checkpoint the next transaction writes from the
/// file's start.
@Suite struct SQLiteCheckpointTests {
    @Test func commitsCheckpointAfterTheirPagesFillTheWAL() async throws {
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
            #expect(chaining > rows, "commits without durable writes leave up to \(SQLiteDatabase.checkpointPages) pages in the WAL")
            for _ in 0..<rows {
                try await database.write { db in try db.query("INSERT INTO probe(b) VALUES (zeroblob(4000))") }
            }
            let durable = try walPages()
            #expect(durable > chaining, "so do durable commits")
            #expect(durable <= SQLiteDatabase.checkpointPages + 10)
            // Past the limit a commit checkpoints, and the WAL is written from its start again.
            for _ in 0..<(SQLiteDatabase.checkpointPages / 2) {
                try await database.write(durable: false) { db in try db.query("INSERT INTO probe(b) VALUES (zeroblob(4000))") }
            }
            #expect(try walPages() <= SQLiteDatabase.checkpointPages + 10)
            let row = try await database.read { db in try db.query("SELECT count(*) FROM probe").first?.first?.integer }
            #expect(row == Int64(2 * rows + SQLiteDatabase.checkpointPages / 2))
        }
    }
}

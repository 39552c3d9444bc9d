@testable import CofferStorageSQLite
import Foundation
import Testing

/// A read runs in one transaction: a record and its parts, read by several statements, come from one
/// snapshot even when another connection commits between those statements.
@Suite struct SQLiteSnapshotTests {
    @Test func everyStatementOfAReadSeesTheSameCommit() async throws {
        try await withScratchDatabase("snapshot") { path, database in
            try await database.write { db in
                try db.executeScript("CREATE TABLE probe(n INTEGER NOT NULL)")
                try db.query("INSERT INTO probe(n) VALUES (1)")
            }
            let counts = try await database.read { db -> [Int64] in
                let before = try db.query("SELECT count(*) FROM probe")[0][0].integer ?? -1
                // Another connection commits between this read's two statements.
                let other = try SQLiteConnection(path: path, readOnly: false)
                try other.query("INSERT INTO probe(n) VALUES (2)")
                let after = try db.query("SELECT count(*) FROM probe")[0][0].integer ?? -1
                return [before, after]
            }
            #expect(counts == [1, 1])
            let later = try await database.read { db in try db.query("SELECT count(*) FROM probe")[0][0].integer }
            #expect(later == 2)
        }
    }
}

@testable import CofferStorageSQLite
import Foundation
import Testing

/// The writer's connection writes its pages through ``PacedVFS``: a commit's page writes (the WAL's
/// frames, whose file the unix VFS gives a method table of its own) reach the pacing, so a run that is
/// over its limit pauses before its next page, and only where pacing applies.
@Suite struct PacedVFSTests {
    @Test func aCommitsPageWritesPauseAfterAFullRun() async throws {
        try await withConnection { connection in
            let pacing = WriterPacing()
            pacing.begin()
            defer { WriterPacing.end() }
            usleep(UInt32(WriterPacing.runLimit / 1_000) + 100)
            try connection.transaction { try connection.query("INSERT INTO t(v) VALUES (?)", [.blob(Array(repeating: 7, count: 10_000))]) }
            #expect(pacing.pauses.load(ordering: .relaxed) >= 1)
        }
    }

    @Test func writesOutsidePacingDoNotPause() async throws {
        try await withConnection { connection in
            let pacing = WriterPacing()
            try connection.transaction { try connection.query("INSERT INTO t(v) VALUES (?)", [.blob(Array(repeating: 7, count: 10_000))]) }
            #expect(pacing.pauses.load(ordering: .relaxed) == 0)
            #expect(try connection.query("SELECT count(*) FROM t").first?.first?.integer == 1)
        }
    }

    private func withConnection(_ body: (SQLiteConnection) throws -> Void) async throws {
        try await withScratchDirectory("vfs") { directory in
            let connection = try SQLiteConnection(path: directory + "/paced.db", readOnly: false, paced: true)
            try connection.executeScript("PRAGMA journal_mode=WAL; CREATE TABLE t(v BLOB);")
            try body(connection)
        }
    }
}

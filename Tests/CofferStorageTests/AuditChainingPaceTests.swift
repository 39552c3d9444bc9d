import CofferCore
import CofferStorage
@testable import CofferStorageSQLite
import Foundation
import Testing

/// The writer works on staged records of reads in short runs with pauses between them
/// (``WriterPacing``), and works straight through when a write waits or the chain is behind (a
/// sustained read load must not outrun the chain: session 17's yields did, and the backlog grew).
@Suite struct AuditChainingPaceTests {
    @Test func pausesOnlyAfterAFullRunWithNothingWaiting() {
        let full = WriterPacing.runLimit
        #expect(WriterPacing.step(run: 0, behind: false, urgent: false) == .work)
        #expect(WriterPacing.step(run: full - 1, behind: true, urgent: true) == .work)
        #expect(WriterPacing.step(run: full, behind: false, urgent: false) == .pause)
        #expect(WriterPacing.step(run: full * 10, behind: false, urgent: false) == .pause)
        #expect(WriterPacing.step(run: full, behind: true, urgent: false) == .restart)
        #expect(WriterPacing.step(run: full, behind: false, urgent: true) == .restart)
    }

    @Test func aBatchOfMoreThanOneSliceIsChainedWhole() async throws {
        try await withStore { store, key in
            // Old enough that the batch is behind, and more of them than one slice holds.
            let old = Date().addingTimeInterval(-60)
            let count = SQLiteStore.chainingSlice * 3 + 5
            for index in 0..<count {
                try await store.stageAudit(AuditAppend(time: old, record: Array("{\"n\":\(index)}".utf8)))
            }
            try await store.chainStagedAudit()
            let entries = try await store.auditEntries(after: 0, limit: count + 10)
            #expect(entries.map(\.sequence) == Array(1...count))
            #expect(entries.map { String(decoding: $0.record, as: UTF8.self) } == (0..<count).map { "{\"n\":\($0)}" })
            #expect(AuditChain.verifyRecords(entries, digests: [], chainKey: key).isIntact)
            #expect(store.database.pacing.pauses.load(ordering: .relaxed) == 0)
        }
    }

    /// Fresh records that nobody waits for are chained by the writer's own batch, in paced runs.
    @Test func freshRecordsAreChainedInPausedRuns() async throws {
        try await withStore { store, key in
            let count = 4_000
            // Stamped ahead, so that the batch never counts as behind however slowly this machine stages them.
            let fresh = Date().addingTimeInterval(30)
            for index in 0..<count {
                try await store.stageAudit(AuditAppend(time: fresh, record: Array("{\"read\":\(index),\"padding\":\"\(String(repeating: "x", count: 300))\"}".utf8)))
            }
            let deadline = Date().addingTimeInterval(60)
            while try await store.auditBacklog().count > 0, Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await store.auditBacklog().count == 0)
            #expect(store.database.pacing.pauses.load(ordering: .relaxed) > 0)
            let entries = try await store.auditEntries(after: 0, limit: count + 10)
            #expect(entries.count == count)
            #expect(AuditChain.verifyRecords(entries, digests: [], chainKey: key).isIntact)
        }
    }

    private func withStore(_ body: (SQLiteStore, AuditChain.Key) async throws -> Void) async throws {
        try await withScratchDirectory("pace") { directory in
            let key = AuditChain.Key.ephemeral()
            let store = try SQLiteStore(path: directory + "/coffer.db", chainKey: key)
            try await body(store, key)
            await store.close()
        }
    }
}

import CofferCore
import CofferStorage
@testable import CofferStorageSQLite
import Foundation
import Testing

/// The writer thread yields between slices of staged records only while the batch is fresh; a batch
/// that has waited past the lag is chained straight through, so a sustained read load cannot outrun
/// the chain (session 17's rule yielded after every slice, and the backlog grew without end).
@Suite struct AuditChainingPaceTests {
    @Test func yieldsOnlyWhileTheBatchIsFresh() {
        let now = Date(timeIntervalSince1970: 1_764_806_400)
        #expect(SQLiteStore.yieldsBetweenSlices(oldest: now.addingTimeInterval(-0.025), now: now))
        #expect(!SQLiteStore.yieldsBetweenSlices(oldest: now.addingTimeInterval(-SQLiteStore.yieldingLag), now: now))
        #expect(!SQLiteStore.yieldsBetweenSlices(oldest: now.addingTimeInterval(-5), now: now))
    }

    @Test func aBatchOfMoreThanOneSliceIsChainedWhole() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-pace-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = AuditChain.Key.ephemeral()
        let store = try SQLiteStore(path: directory + "/coffer.db", chainKey: key)
        // Old enough that the slices are chained without yielding, and more of them than one slice holds.
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
        await store.close()
    }
}

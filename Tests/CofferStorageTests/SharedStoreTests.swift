import CofferCore
import CofferStorage
import CofferStoragePostgres
import Foundation
import Synchronization
import Testing

/// Two nodes on one PostgreSQL database: what a store shared by several writers must keep.
@Suite(.enabled(if: PostgresTestDatabase.serverURL != nil, "needs COFFER_TEST_POSTGRES_URL (scripts/with-postgres.sh)"))
struct SharedStoreTests {
    let scope = ResourceScope(account: "123456789012", region: "us-east-1")
    let key = AuditChain.Key.ephemeral()

    func secret(_ name: String, revision: Int = 0, description: String? = nil) -> Secret {
        var s = Secret(arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:\(name)-abcdef", name: name,
                       createdDate: Date(timeIntervalSince1970: 1_700_000_000))
        s.revision = revision
        s.description = description
        return s
    }

    func twoNodes() async throws -> (PostgresStore, PostgresStore) {
        let url = try await PostgresTestDatabase.create()
        return (try await PostgresTestDatabase.store(chainKey: key, url: url), try await PostgresTestDatabase.store(chainKey: key, url: url))
    }

    @Test func aStaleRevisionLosesOnEitherNode() async throws {
        let (a, b) = try await twoNodes()
        try await a.write(RecordWrite(.create, scope: scope, record: secret("race")))
        for round in 0..<10 {
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for (node, store) in [a, b].enumerated() {
                    group.addTask {
                        let next = self.secret("race", revision: round + 1, description: "node \(node)")
                        return (try? await store.write(RecordWrite(.update(expectedRevision: round), scope: self.scope, record: next))) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
        }
        #expect(try await b.record(Secret.self, named: "race", in: scope)?.revision == 10)
        // The same name created on both nodes at once: one record, one nameTaken.
        let creations = await withTaskGroup(of: Bool.self) { group in
            for store in [a, b] {
                group.addTask { (try? await store.write(RecordWrite(.create, scope: self.scope, record: self.secret("once")))) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(creations.filter { $0 }.count == 1)
    }

    /// Updates build on what the database holds: after the other node's change, and after the record
    /// was removed and made again under the same ARN, never on what this node wrote before.
    @Test func updatesBuildOnTheOtherNodesChanges() async throws {
        let (a, b) = try await twoNodes()
        func append(_ store: PostgresStore, _ text: String) async throws -> Secret? {
            try await store.update(Secret.self, arn: secret("shared").arn) { current in
                var next = current
                next.description = (current.description ?? "") + text
                next.revision += 1
                return RecordWrite(.update(expectedRevision: current.revision), scope: self.scope, record: next)
            }
        }
        try await a.write(RecordWrite(.create, scope: scope, record: secret("shared")))
        #expect(try await append(a, "a")?.description == "a")
        #expect(try await append(a, "a")?.description == "aa")
        #expect(try await append(b, "b")?.description == "aab")
        #expect(try await append(a, "a")?.description == "aaba")
        // Removed and made again on the other node, at the revision this node last wrote.
        try await b.removeRecord(arn: secret("shared").arn)
        try await b.write(RecordWrite(.create, scope: scope, record: secret("shared", revision: 4, description: "new")))
        #expect(try await append(a, "a")?.description == "newa")
        #expect(try await a.record(Secret.self, named: "shared", in: scope)?.description == "newa")
    }

    /// A cache in front of each node: a change on one drops the other's copy once the notice arrives.
    /// (Until it does, the other node may answer from what it cached: the bound is the notice's delay.)
    @Test func anotherNodesChangeReachesTheCache() async throws {
        let (a, b) = try await twoNodes()
        let cachedA = CachingStore(base: a), cachedB = CachingStore(base: b)
        try await waitUntil { b.remoteChanges?.isLive == true && a.remoteChanges?.isLive == true }
        try await cachedA.write(RecordWrite(.create, scope: scope, record: secret("cached"), newValues: [("v1", [1])]))
        #expect(try await cachedB.record(Secret.self, named: "cached", in: scope)?.revision == 0)
        #expect(try await cachedB.sealedValue(arn: secret("cached").arn, versionID: "v1") == [1])
        let written = ContinuousClock.now
        try await cachedA.write(RecordWrite(.update(expectedRevision: 0), scope: scope, record: secret("cached", revision: 1),
                                            newValues: [("v2", [2])], removedVersionIDs: ["v1"]))
        try await waitUntil { try await cachedB.record(Secret.self, named: "cached", in: scope)?.revision == 1 }
        let delay = ContinuousClock.now - written
        #expect(delay < .seconds(1), "took \(delay)")
        #expect(try await cachedB.sealedValue(arn: secret("cached").arn, versionID: "v2") == [2])
        try await waitUntil { try await cachedB.sealedValue(arn: secret("cached").arn, versionID: "v1") == nil }
        try await cachedA.removeRecord(arn: secret("cached").arn)
        try await waitUntil { try await cachedB.record(Secret.self, arn: secret("cached").arn) == nil }
    }

    /// Many updates of one record at once on both nodes (each node runs its own in batches): every
    /// change lands on what the one before wrote, each with its own audit record; a change that
    /// throws fails alone and one that writes nothing leaves no record.
    @Test func batchedUpdatesKeepEachCallsOutcomeAndRecord() async throws {
        let (a, b) = try await twoNodes()
        let arn = secret("batched").arn
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        try await a.write(RecordWrite(.create, scope: scope, record: secret("batched", description: "")))
        struct Refused: Error {}
        let outcomes = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<48 {
                let store = i % 2 == 0 ? a : b
                group.addTask {
                    let audit = AuditScope(.request { _, _ in AuditAppend(time: now, record: Array("update \(i)".utf8)) })
                    return try await AuditScope.$current.withValue(audit) {
                        do {
                            let result = try await store.update(Secret.self, arn: arn) { current in
                                if i % 7 == 3 { throw Refused() }
                                if i % 11 == 5 { return nil }
                                var next = current
                                next.description = (current.description ?? "") + "<\(i)>"
                                next.revision += 1
                                return RecordWrite(.update(expectedRevision: current.revision), scope: self.scope, record: next)
                            }
                            return (i, result?.description?.contains("<\(i)>") == true ? "written" : "unchanged")
                        } catch is Refused {
                            return (i, "refused")
                        }
                    }
                }
            }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        let expected = Dictionary(uniqueKeysWithValues: (0..<48).map { i in (i, i % 7 == 3 ? "refused" : i % 11 == 5 ? "unchanged" : "written") })
        #expect(outcomes == expected)
        let written = expected.filter { $0.value == "written" }.keys.sorted()
        let final = try #require(try await b.record(Secret.self, arn: arn))
        #expect(final.revision == written.count)
        #expect(Set(written.map { "<\($0)>" }) == Set((final.description ?? "").split(separator: ">").map { $0 + ">" }))
        try await waitUntil { try await b.auditEntries(after: 0, limit: 1000).count == written.count }
        let recorded = try await b.auditEntries(after: 0, limit: 1000).map { String(decoding: $0.record, as: UTF8.self) }
        #expect(Set(recorded) == Set(written.map { "update \($0)" }) && recorded.count == written.count)
    }

    /// Records staged and written by both nodes at once end in one chain, without gaps or repeats.
    @Test func bothNodesAuditIntoOneChain() async throws {
        let (a, b) = try await twoNodes()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (node, store) in [a, b].enumerated() {
                for i in 0..<40 {
                    group.addTask { try await store.stageAudit(AuditAppend(time: now, record: Array("read \(node) \(i)".utf8))) }
                    group.addTask {
                        try await store.write(RecordWrite(.create, scope: self.scope, record: self.secret("n\(node)-\(i)"),
                                                          audit: AuditAppend(time: now, record: Array("write \(node) \(i)".utf8))))
                    }
                }
                group.addTask { try await store.appendAudit([AuditAppend(time: now, record: Array("append \(node)".utf8))]) }
            }
            try await group.waitForAll()
        }
        let entries = try await b.auditEntries(after: 0, limit: 1000)
        #expect(entries.map(\.sequence) == Array(1...162))
        #expect(Set(entries.map(\.record)).count == 162)
        var previous = AuditChain.genesis
        for entry in entries {
            #expect(entry.hash == AuditChain.hash(key: key, previous: previous, sequence: entry.sequence, record: entry.record))
            previous = entry.hash
        }
    }

    @Test func exclusiveWorkRunsOnOneNodeAtATime() async throws {
        let (a, b) = try await twoNodes()
        final class Counts: Sendable {
            let state = Mutex((running: 0, most: 0, runs: 0))
        }
        let counts = Counts()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in [a, b, a, b] {
                group.addTask {
                    try await store.exclusively("test-job") {
                        counts.state.withLock { state in
                            state.running += 1
                            state.runs += 1
                            state.most = max(state.most, state.running)
                        }
                        try await Task.sleep(for: .milliseconds(300))
                        counts.state.withLock { $0.running -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seen = counts.state.withLock { $0 }
        #expect(seen.most == 1 && seen.runs >= 1)
        // Released once done: the next run goes ahead.
        #expect(try await b.exclusively("test-job") {})
    }

    private func waitUntil(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the condition did not hold within 5 seconds")
    }
}

import CofferCore
import CofferStorage
import CofferStoragePostgres
import CofferStorageSQLite
import CZlib
import Foundation
import Testing

/// The contract every backend must keep; each test runs on each backend.
@Suite struct StoreContractTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case memory, sqlite, cachedSQLite, postgres, cachedPostgres
        var testDescription: String { rawValue }

        static let chainKey = AuditChain.Key.ephemeral()

        /// PostgreSQL's backends run where a server is given (`scripts/with-postgres.sh` gives one).
        static var available: [Backend] {
            PostgresTestDatabase.serverURL == nil ? [.memory, .sqlite, .cachedSQLite] : allCases
        }

        func make() async throws -> any CofferStore {
            switch self {
            case .memory: return MemoryStore(chainKey: Self.chainKey)
            case .sqlite:
                let dir = try scratchDirectory("contract")
                return try SQLiteStore(path: dir.appendingPathComponent("coffer.db").path, chainKey: Self.chainKey)
            case .cachedSQLite:
                return CachingStore(base: try await Backend.sqlite.make())
            case .postgres:
                return try await PostgresTestDatabase.store(chainKey: Self.chainKey)
            case .cachedPostgres:
                return CachingStore(base: try await Backend.postgres.make())
            }
        }
    }

    let scope = ResourceScope(account: "123456789012", region: "us-east-1")

    func secret(_ name: String, deletion: Date? = nil) -> Secret {
        var s = Secret(arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:\(name)-abcdef", name: name,
                       createdDate: Date(timeIntervalSince1970: 1_700_000_000))
        s.deletionDate = deletion
        s.tags = [Tag(key: "k", value: "v")]
        s.versions = [SecretVersion(versionID: "v1", stages: ["AWSCURRENT"], createdDate: s.createdDate, isString: true, valueDigest: "d")]
        return s
    }

    @Test(arguments: Backend.available)
    func createsAndFindsByNameAndARN(backend: Backend) async throws {
        let store = try await backend.make()
        let s = secret("app/db")
        try await store.write(RecordWrite(.create, scope: scope, record: s, newValues: [("v1", [1, 2, 3])]))
        #expect(try await store.record(Secret.self, named: "app/db", in: scope) == s)
        #expect(try await store.record(Secret.self, arn: s.arn) == s)
        #expect(try await store.record(Secret.self, named: "app/db", in: ResourceScope(account: "123456789012", region: "eu-west-1")) == nil)
        #expect(try await store.sealedValue(arn: s.arn, versionID: "v1") == [1, 2, 3])
        #expect(try await store.records(Secret.self, in: scope).map(\.name) == ["app/db"])
    }

    @Test(arguments: Backend.available)
    func refusesADuplicateNameAndAStaleRevision(backend: Backend) async throws {
        let store = try await backend.make()
        var s = secret("dup")
        try await store.write(RecordWrite(.create, scope: scope, record: s))
        var other = secret("dup")
        other.arn += "x"
        await #expect(throws: StorageError.nameTaken) { try await store.write(RecordWrite(.create, scope: scope, record: other)) }
        s.revision = 1
        s.description = "changed"
        try await store.write(RecordWrite(.update(expectedRevision: 0), scope: scope, record: s))
        await #expect(throws: StorageError.conflict) { try await store.write(RecordWrite(.update(expectedRevision: 0), scope: scope, record: s)) }
        #expect(try await store.record(Secret.self, arn: s.arn)?.description == "changed")
    }

    /// Pages in creation and name order, both directions, with a name prefix and a filter, read to the
    /// end through cursors, give exactly what sorting and filtering everything gives.
    @Test(arguments: Backend.available)
    func pagesFollowTheOrderAndResumeAfterTheCursor(backend: Backend) async throws {
        let store = try await backend.make()
        let names = (0..<37).map { index in "\(["team-a/", "team-b/", "other/"][index % 3])\((index * 7919) % 101)" }
        for name in names { try await store.write(RecordWrite(.create, scope: scope, record: secret(name))) }
        try await store.write(RecordWrite(.create, scope: ResourceScope(account: "123456789012", region: "eu-west-1"), record: secret("team-a/elsewhere")))

        func all(_ order: RecordOrder, descending: Bool, prefix: String? = nil, limit: Int, accept: @escaping @Sendable (Secret) -> Bool = { _ in true })
            async throws -> [String] {
            var seen: [String] = []
            var cursor: RecordCursor?
            repeat {
                let page = try await store.page(RecordQuery<Secret>(scope: scope, order: order, descending: descending, after: cursor, namePrefix: prefix,
                                                                    limit: limit, accept: accept))
                #expect(page.records.count <= limit)
                seen += page.records.map(\.name)
                cursor = page.next
            } while cursor != nil
            return seen
        }
        let byName = names.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
        #expect(try await all(.created, descending: false, limit: 5) == names)
        #expect(try await all(.created, descending: true, limit: 8) == names.reversed())
        #expect(try await all(.name, descending: false, limit: 6) == byName)
        #expect(try await all(.name, descending: true, limit: 100) == byName.reversed())
        #expect(try await all(.name, descending: false, prefix: "team-b/", limit: 4) == byName.filter { $0.hasPrefix("team-b/") })
        #expect(try await all(.name, descending: true, prefix: "team-a/", limit: 3) == byName.reversed().filter { $0.hasPrefix("team-a/") })
        #expect(try await all(.created, descending: false, prefix: "other/", limit: 2) == names.filter { $0.hasPrefix("other/") })
        #expect(try await all(.created, descending: false, limit: 4, accept: { $0.name.hasSuffix("1") }) == names.filter { $0.hasSuffix("1") })
        #expect(try await all(.name, descending: false, prefix: "zzz", limit: 4).isEmpty)

        // A cursor stays good when what it points at is removed.
        let first = try await store.page(RecordQuery<Secret>(scope: scope, order: .created, limit: 3))
        let removed = try #require(first.records.last)
        try await store.removeRecord(arn: removed.arn)
        let second = try await store.page(RecordQuery<Secret>(scope: scope, order: .created, after: first.next, limit: 3))
        #expect(second.records.map(\.name) == Array(names[3..<6]))
    }

    /// Every column a lookup uses (name, deletion date, last change, last access) follows a write
    /// that changes it alone, right after writes that changed none of them (SQLite then sets only
    /// what a new version changes).
    @Test(arguments: Backend.available)
    func lookupsFollowEachColumnChangedAlone(backend: Backend) async throws {
        let store = try await backend.make()
        var s = secret("columns")
        try await store.write(RecordWrite(.create, scope: scope, record: s))
        func write(_ change: @escaping @Sendable (inout Secret) -> Void) async throws {
            let expected = s.revision, before = s
            _ = try await store.update(Secret.self, arn: s.arn) { current in
                #expect(current == before)
                var next = current
                change(&next)
                next.revision = expected + 1
                return RecordWrite(.update(expectedRevision: expected), scope: scope, record: next)
            }
            s.revision = expected + 1
            change(&s)
            #expect(try await store.record(Secret.self, arn: s.arn) == s)
        }
        func newVersion() async throws {
            try await write { $0.lastChangedDate += 10; $0.description = ($0.description ?? "") + "+" }
        }
        func lastAccessedFirst() async throws -> String? {
            try await store.page(RecordQuery<Secret>(scope: scope, order: .lastAccessed, descending: true, limit: 1)).records.first?.name
        }
        try await store.write(RecordWrite(.create, scope: scope, record: {
            var other = secret("columns-other")
            other.lastAccessedDate = Date(timeIntervalSince1970: 1_750_000_000)
            return other
        }()))
        try await newVersion()
        try await newVersion()
        let deletion = Date(timeIntervalSince1970: 1_700_000_500)
        try await write { $0.deletionDate = deletion }
        #expect(try await store.recordsDue(forDeletionAt: deletion).map(\.arn) == [s.arn])
        try await newVersion()
        try await write { $0.deletionDate = nil }
        #expect(try await store.recordsDue(forDeletionAt: deletion).isEmpty)
        try await newVersion()
        #expect(try await lastAccessedFirst() == "columns-other")
        try await write { $0.lastAccessedDate = Date(timeIntervalSince1970: 1_800_000_000) }
        #expect(try await lastAccessedFirst() == "columns")
        try await newVersion()
        let changed = try await store.page(RecordQuery<Secret>(scope: scope, order: .lastChanged, descending: true, limit: 1)).records
        #expect(changed.map(\.lastChangedDate) == [s.lastChangedDate])
        try await write { $0.name = "columns-renamed" }
        #expect(try await store.record(Secret.self, named: "columns-renamed", in: scope) == s)
        #expect(try await store.record(Secret.self, named: "columns", in: scope) == nil)
        try await newVersion()
        #expect(try await store.record(Secret.self, named: "columns-renamed", in: scope) == s)
    }

    /// Pages by last change and last access (ties by name, never accessed first) follow the dates as
    /// writes move them, in both directions, from any cursor.
    @Test(arguments: Backend.available)
    func pagesFollowTheDatesAsWritesMoveThem(backend: Backend) async throws {
        let store = try await backend.make()
        var secrets: [Secret] = []
        for index in 0..<23 {
            var s = secret("dated/\((index * 37) % 23)")
            s.lastChangedDate = Date(timeIntervalSince1970: 1_700_000_000 + Double((index * 11) % 7))
            s.lastAccessedDate = index % 4 == 0 ? nil : Date(timeIntervalSince1970: 1_700_000_000 + Double(index % 3) * 86_400)
            try await store.write(RecordWrite(.create, scope: scope, record: s))
            secrets.append(s)
        }
        try await store.write(RecordWrite(.create, scope: ResourceScope(account: "123456789012", region: "eu-west-1"), record: secret("dated/elsewhere")))
        // One secret changes and is read: it moves to the end of both orders.
        var moved = secrets[5]
        moved.revision = 1
        moved.lastChangedDate = Date(timeIntervalSince1970: 1_800_000_000)
        moved.lastAccessedDate = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.write(RecordWrite(.update(expectedRevision: 0), scope: scope, record: moved))
        secrets[5] = moved

        func all(_ order: RecordOrder, descending: Bool, limit: Int) async throws -> [String] {
            var seen: [String] = []
            var cursor: RecordCursor?
            repeat {
                let page = try await store.page(RecordQuery<Secret>(scope: scope, order: order, descending: descending, after: cursor, limit: limit))
                #expect(page.records.count <= limit)
                seen += page.records.map(\.name)
                cursor = page.next
            } while cursor != nil
            return seen
        }
        func sorted(_ date: (Secret) -> Date) -> [String] {
            secrets.sorted { a, b in date(a) == date(b) ? Array(a.name.utf8).lexicographicallyPrecedes(b.name.utf8) : date(a) < date(b) }.map(\.name)
        }
        let byChange = sorted(\.lastChangedDate), byAccess = sorted { $0.lastAccessedDate ?? .distantPast }
        #expect(byChange.last == moved.name && byAccess.last == moved.name)
        #expect(try await all(.lastChanged, descending: false, limit: 4) == byChange)
        #expect(try await all(.lastChanged, descending: true, limit: 5) == byChange.reversed())
        #expect(try await all(.lastAccessed, descending: false, limit: 3) == byAccess)
        #expect(try await all(.lastAccessed, descending: true, limit: 100) == byAccess.reversed())
    }

    /// Many changes of one record at once: none is lost and none fails, each built on the one before.
    @Test(arguments: Backend.available)
    func updatesOfOneRecordQueueInsteadOfConflicting(backend: Backend) async throws {
        let store = try await backend.make()
        let s = secret("busy")
        try await store.write(RecordWrite(.create, scope: scope, record: s))
        let scope = self.scope
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    _ = try await store.update(Secret.self, arn: s.arn) { current in
                        var next = current
                        next.revision += 1
                        next.tags.append(Tag(key: "k\(index)", value: "\(current.revision)"))
                        return RecordWrite(.update(expectedRevision: current.revision), scope: scope, record: next, newValues: [("v\(index)", [UInt8(index)])])
                    }
                }
            }
            try await group.waitForAll()
        }
        let stored = try #require(try await store.record(Secret.self, arn: s.arn))
        #expect(stored.revision == 40)
        #expect(Set(stored.tags.dropFirst().map(\.key)) == Set((0..<40).map { "k\($0)" }))
        // Each change saw the revision the one before it left: the recorded revisions are 0...39, once each.
        #expect(stored.tags.dropFirst().map(\.value).sorted { Int($0)! < Int($1)! } == (0..<40).map(String.init))
        #expect(try await store.sealedValue(arn: s.arn, versionID: "v39") == [39])

        // A change that throws writes nothing; one that answers nil writes nothing; an absent record is nil.
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await store.update(Secret.self, arn: s.arn) { current -> RecordWrite<Secret>? in
                _ = current
                throw Refused()
            }
        }
        #expect(try await store.update(Secret.self, arn: s.arn) { _ in nil } == stored)
        #expect(try await store.update(Secret.self, arn: s.arn + "x") { _ in Issue.record("called for no record"); return nil } == nil)
        // A plain write after updates is what the next update sees.
        var plain = stored
        plain.description = "plain"
        plain.revision += 1
        try await store.write(RecordWrite(.update(expectedRevision: stored.revision), scope: scope, record: plain))
        let after = try await store.update(Secret.self, arn: s.arn) { current in
            #expect(current.description == "plain")
            return nil
        }
        #expect(after == plain)
    }

    @Test(arguments: Backend.available)
    func removesVersionsAndSecrets(backend: Backend) async throws {
        let store = try await backend.make()
        var s = secret("gone", deletion: Date(timeIntervalSince1970: 1_700_000_100))
        try await store.write(RecordWrite(.create, scope: scope, record: s, newValues: [("v1", [1]), ("v2", [2])]))
        s.revision = 1
        try await store.write(RecordWrite(.update(expectedRevision: 0), scope: scope, record: s, removedVersionIDs: ["v1"]))
        #expect(try await store.sealedValue(arn: s.arn, versionID: "v1") == nil)
        #expect(try await store.sealedValue(arn: s.arn, versionID: "v2") == [2])
        #expect(try await store.recordsDue(forDeletionAt: Date(timeIntervalSince1970: 1_700_000_000)).isEmpty)
        #expect(try await store.recordsDue(forDeletionAt: Date(timeIntervalSince1970: 1_700_000_100)).map(\.arn) == [s.arn])
        try await store.removeRecord(arn: s.arn)
        #expect(try await store.record(Secret.self, named: "gone", in: scope) == nil)
        #expect(try await store.sealedValue(arn: s.arn, versionID: "v2") == nil)
        try await store.write(RecordWrite(.create, scope: scope, record: secret("gone")))
    }

    /// A removed value goes even when its version stays, whether its row is rewritten (moved to the
    /// end) or kept.
    @Test(arguments: Backend.available)
    func removedValuesGoEvenFromVersionsThatStay(backend: Backend) async throws {
        let store = try await backend.make()
        func version(_ id: String) -> SecretVersion {
            SecretVersion(versionID: id, stages: [], createdDate: Date(timeIntervalSince1970: 1_700_000_000), isString: true, valueDigest: id)
        }
        var s = secret("removed-values")
        s.versions = [version("a"), version("b")]
        try await store.write(RecordWrite(.create, scope: scope, record: s, newValues: [("a", [1]), ("b", [2])]))
        let moved = { (s: Secret, versions: [SecretVersion], values: [(versionID: String, sealed: [UInt8])], removed: [String]) -> RecordWrite<Secret> in
            var next = s
            next.versions = versions
            next.revision += 1
            return RecordWrite(.update(expectedRevision: s.revision), scope: self.scope, record: next, newValues: values, removedVersionIDs: removed)
        }
        var write = moved(s, [version("b"), version("a")], [], ["a"])
        try await store.write(write)
        s = write.record
        #expect(try await store.sealedValue(arn: s.arn, versionID: "a") == nil)
        #expect(try await store.sealedValue(arn: s.arn, versionID: "b") == [2])
        write = moved(s, [version("b"), version("a"), version("c")], [("c", [3])], ["b"])
        let written = write
        _ = try await store.update(Secret.self, arn: s.arn) { _ in written }
        #expect(try await store.sealedValue(arn: s.arn, versionID: "b") == nil)
        #expect(try await store.sealedValue(arn: s.arn, versionID: "c") == [3])
        #expect(try await store.record(Secret.self, arn: s.arn)?.versions.map(\.versionID) == ["b", "a", "c"])
    }

    /// A secret's versions change in every way a store must keep: added, relabelled, pruned from the
    /// front, reordered, all replaced; each state read back by every path, by plain writes and updates.
    @Test(arguments: Backend.available)
    func keepsASecretsVersionsThroughEveryKindOfChange(backend: Backend) async throws {
        let store = try await backend.make()
        try await checkVersionChanges(store)
    }

    func checkVersionChanges(_ store: any CofferStore, reopen: (() async throws -> any CofferStore)? = nil) async throws {
        var store = store
        func version(_ id: String, _ stages: [String] = []) -> SecretVersion {
            SecretVersion(versionID: id, stages: stages, createdDate: Date(timeIntervalSince1970: 1_700_000_000), isString: true, valueDigest: "d-\(id)")
        }
        var s = secret("versions")
        s.versions = (1...5).map { version("v\($0)", $0 == 5 ? ["AWSCURRENT"] : $0 == 4 ? ["AWSPREVIOUS"] : []) }
        // Each version's sealed value, and every id that ever had one (gone ones must read nil).
        var values = Dictionary(uniqueKeysWithValues: s.versions.map { ($0.versionID, Array($0.versionID.utf8)) })
        var everyID = Set(values.keys)
        try await store.write(RecordWrite(.create, scope: scope, record: s, newValues: values.map { ($0.key, $0.value) }))
        func expectStored(_ expected: Secret, _ step: String) async throws {
            for id in everyID.sorted() {
                #expect(try await store.sealedValue(arn: expected.arn, versionID: id) == values[id], "\(step): value of \(id)")
            }
            #expect(try await store.record(Secret.self, arn: expected.arn) == expected, "\(step): by ARN")
            #expect(try await store.record(Secret.self, named: expected.name, in: scope) == expected, "\(step): by name")
            #expect(try await store.records(Secret.self, in: scope) == [expected], "\(step): in scope")
            #expect(try await store.page(RecordQuery<Secret>(scope: scope, order: .name, limit: 10)).records == [expected], "\(step): a page")
        }
        try await expectStored(s, "created")
        let steps: [(String, (inout Secret) -> Void)] = [
            ("a new version takes the labels", { s in
                s.versions[3].stages = []
                s.versions[4].stages = ["AWSPREVIOUS"]
                s.versions.append(version("v6", ["AWSCURRENT"]))
            }),
            ("the oldest pruned, one added", { s in
                s.versions.removeFirst(2)
                s.versions.append(version("v7", ["AWSPENDING"]))
            }),
            ("a version's access date", { s in s.versions[1].lastAccessedDate = Date(timeIntervalSince1970: 1_700_000_500) }),
            ("a version's value replaced", { s in s.versions[1].valueDigest = "replaced" }),
            ("reordered", { s in s.versions.reverse() }),
            ("a new one between old ones", { s in s.versions.insert(version("v8"), at: 1) }),
            ("all replaced", { s in s.versions = [version("w1", ["AWSCURRENT"])] }),
            ("none", { s in s.versions = [] }),
            ("back again", { s in s.versions = [version("x1"), version("x2", ["AWSCURRENT"])] }),
        ]
        for (index, (step, change)) in steps.enumerated() {
            var next = s
            change(&next)
            next.revision += 1
            let before = Set(s.versions.map(\.versionID)), after = next.versions.map(\.versionID)
            var newValues = after.filter { !before.contains($0) }.map { ($0, Array("\($0) of \(step)".utf8)) }
            if let replaced = next.versions.first(where: { $0.valueDigest == "replaced" }), !s.versions.contains(replaced) {
                newValues.append((replaced.versionID, Array("replaced".utf8)))
            }
            let removed = before.subtracting(after).sorted()
            for (id, value) in newValues { values[id] = value }
            for id in removed { values[id] = nil }
            everyID.formUnion(after)
            let written = newValues
            if index % 2 == 0 {
                try await store.write(RecordWrite(.update(expectedRevision: s.revision), scope: scope, record: next, newValues: written,
                                                  removedVersionIDs: removed))
            } else {
                let changed = next
                _ = try await store.update(Secret.self, arn: s.arn) { current in
                    RecordWrite(.update(expectedRevision: current.revision), scope: self.scope, record: changed, newValues: written,
                                removedVersionIDs: removed)
                }
            }
            s = next
            try await expectStored(s, step)
            if let reopen {
                store = try await reopen()
                try await expectStored(s, step + ", reopened")
            }
        }
        try await store.removeRecord(arn: s.arn)
        #expect(try await store.record(Secret.self, arn: s.arn) == nil)
        values.removeAll()
        var again = secret("versions")
        again.versions = [version("y1", ["AWSCURRENT"])]
        values["y1"] = [9]
        everyID.insert("y1")
        try await store.write(RecordWrite(.create, scope: scope, record: again, newValues: [("y1", [9])]))
        try await expectStored(again, "created again after removal")
    }

    @Test func sqliteKeepsVersionsAcrossReopen() async throws {
        let dir = try scratchDirectory("parts")
        let path = dir.appendingPathComponent("coffer.db").path
        var current = try SQLiteStore(path: path, chainKey: Backend.chainKey)
        try await checkVersionChanges(current) {
            await current.close()
            current = try SQLiteStore(path: path, chainKey: Backend.chainKey)
            return current
        }
    }

    @Test(arguments: Backend.available)
    func keepsAccessKeysAndSettings(backend: Backend) async throws {
        let store = try await backend.make()
        let key = StoredAccessKey(accessKeyID: "AKIATEST", account: "123456789012", principalARN: "arn:aws:iam::123456789012:root",
                                  sealedSecret: [7, 7], createdDate: Date(timeIntervalSince1970: 1_700_000_000))
        try await store.putAccessKey(key)
        #expect(try await store.accessKey(id: "AKIATEST") == key)
        #expect(try await store.accessKey(id: "AKIANONE") == nil)
        try await store.setSetting("account_id", "123456789012")
        #expect(try await store.setting("account_id") == "123456789012")
    }

    @Test func sqliteKeepsDataAcrossReopen() async throws {
        let dir = try scratchDirectory("reopen")
        let path = dir.appendingPathComponent("coffer.db").path
        do {
            let store = try SQLiteStore(path: path, chainKey: Backend.chainKey)
            try await store.write(RecordWrite(.create, scope: scope, record: secret("kept"), newValues: [("v1", [42])]))
            await store.close()
        }
        let reopened = try SQLiteStore(path: path, chainKey: Backend.chainKey)
        #expect(try await reopened.sealedValue(arn: secret("kept").arn, versionID: "v1") == [42])
    }

    @Test(arguments: Backend.available)
    func auditRecordsChainAndCommitWithTheirChange(backend: Backend) async throws {
        let store = try await backend.make()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(try await store.appendAudit([AuditAppend(time: now, record: Array("a".utf8)), AuditAppend(time: now, record: Array("b".utf8))]) == [1, 2])
        var s = secret("audited")
        try await store.write(RecordWrite(.create, scope: scope, record: s, audit: AuditAppend(time: now, record: Array("create".utf8))))
        // A refused write leaves no record behind: the change and its record go together.
        await #expect(throws: StorageError.conflict) {
            try await store.write(RecordWrite(.update(expectedRevision: 7), scope: scope, record: s, audit: AuditAppend(time: now, record: Array("lost".utf8))))
        }
        s.revision = 1
        try await store.write(RecordWrite(.update(expectedRevision: 0), scope: scope, record: s, audit: AuditAppend(time: now, record: Array("update".utf8))))
        let entries = try await store.auditEntries(after: 0, limit: 10)
        #expect(entries.map { String(decoding: $0.record, as: UTF8.self) } == ["a", "b", "create", "update"])
        #expect(entries.map(\.sequence) == [1, 2, 3, 4])
        var previous = AuditChain.genesis
        for entry in entries {
            #expect(entry.hash == AuditChain.hash(key: Backend.chainKey, previous: previous, sequence: entry.sequence, record: entry.record))
            previous = entry.hash
        }
        #expect(try await store.auditEntries(after: 2, limit: 1).map(\.sequence) == [3])
    }

    @Test(arguments: Backend.available)
    func aScopesRecordCommitsWithItsFirstChangeOnly(backend: Backend) async throws {
        let store = try await backend.make()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let scope = AuditScope(.request { resources, _ in AuditAppend(time: now, record: Array("call on \(resources.map(\.name))".utf8)) })
        scope.note(AuditResource(type: "AWS::SecretsManager::Secret", name: "s1"))
        let s = secret("scoped")
        try await AuditScope.$current.withValue(scope) {
            // A refused write hands the record back; the next change carries it, and only that one.
            await #expect(throws: StorageError.conflict) {
                try await store.write(RecordWrite(.update(expectedRevision: 3), scope: self.scope, record: s))
            }
            #expect(!scope.committed)
            try await store.write(RecordWrite(.create, scope: self.scope, record: s))
            try await store.putAccessKey(StoredAccessKey(accessKeyID: "AKIAEXAMPLE", account: "123456789012",
                                                         principalARN: "arn:aws:iam::123456789012:user/u", sealedSecret: [1], createdDate: now))
        }
        #expect(scope.committed)
        let entries = try await store.auditEntries(after: 0, limit: 10)
        #expect(entries.map { String(decoding: $0.record, as: UTF8.self) } == ["call on [\"s1\"]"])
    }

    @Test(arguments: Backend.available)
    func retentionKeepsAnAnchorAndTheChainGoesOn(backend: Backend) async throws {
        let store = try await backend.make()
        let old = Date(timeIntervalSince1970: 1_000), recent = Date(timeIntervalSince1970: 2_000)
        try await store.appendAudit([AuditAppend(time: old, record: [1]), AuditAppend(time: old, record: [2]), AuditAppend(time: recent, record: [3])])
        #expect(try await store.auditEntries(before: nil, from: nil, to: nil, limit: 2).map(\.sequence) == [3, 2])
        #expect(try await store.auditEntries(before: 3, from: recent, to: nil, limit: 5).isEmpty)
        let second = try await store.auditEntries(after: 1, limit: 1)[0]
        #expect(try await store.pruneAudit(before: Date(timeIntervalSince1970: 1_500)) == 2)
        #expect(try await store.auditAnchor() == AuditAnchor(sequence: 2, hash: second.hash))
        #expect(try await store.pruneAudit(before: Date(timeIntervalSince1970: 3_000)) == 1)
        // Everything pruned: the next record still follows on from the last one removed.
        #expect(try await store.appendAudit([AuditAppend(time: recent, record: [4])]) == [4])
        let digest = AuditChain.Digest(lastSequence: 4, lastHash: [9], previousDigestHash: AuditChain.genesis, createdAt: 5, signature: [7])
        try await store.appendAuditDigest(digest)
        #expect(try await store.auditDigests() == [digest])
    }

    /// Concurrent writes share commits (SQLite's group commit): each still succeeds or fails on its
    /// own, and every record of a success is chained exactly once.
    @Test(arguments: Backend.available)
    func concurrentWritesSucceedOrFailAlone(backend: Backend) async throws {
        let store = try await backend.make()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<60 {
                // Names repeat every 40: the second writer of a name must fail, and leave no record.
                let name = "c\(i % 40)"
                group.addTask {
                    do {
                        try await store.write(RecordWrite(.create, scope: self.scope, record: self.secret(name),
                                                          audit: AuditAppend(time: now, record: Array(name.utf8))))
                        return true
                    } catch StorageError.nameTaken {
                        return false
                    }
                }
                group.addTask {
                    try await store.appendAudit([AuditAppend(time: now, record: Array("read \(i)".utf8))])
                    return true
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { !$0 }.count == 20)
        #expect(try await store.records(Secret.self, in: scope).count == 40)
        let entries = try await store.auditEntries(after: 0, limit: 1000)
        #expect(entries.count == 100 && entries.map(\.sequence) == Array(1...100))
        #expect(Set(entries.map { String(decoding: $0.record, as: UTF8.self) }.filter { $0.hasPrefix("c") }).count == 40)
        var previous = AuditChain.genesis
        for entry in entries {
            #expect(entry.hash == AuditChain.hash(key: Backend.chainKey, previous: previous, sequence: entry.sequence, record: entry.record))
            previous = entry.hash
        }
    }

    @Test(arguments: Backend.available)
    func stagedRecordsChainBeforeLaterChanges(backend: Backend) async throws {
        let store = try await backend.make()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        try await store.stageAudit(AuditAppend(time: now, record: Array("read 1".utf8)))
        try await store.stageAudit(AuditAppend(time: now, record: Array("read 2".utf8)))
        try await store.write(RecordWrite(.create, scope: scope, record: secret("after-reads"), audit: AuditAppend(time: now, record: Array("write".utf8))))
        try await store.chainStagedAudit()
        let entries = try await store.auditEntries(after: 0, limit: 10)
        #expect(entries.map { String(decoding: $0.record, as: UTF8.self) } == ["read 1", "read 2", "write"])
    }

    /// Restarts do not pile up empty staging files: a file with no record in it is removed.
    @Test func restartsLeaveOneStagingFile() async throws {
        let dir = try scratchDirectory("restarts")
        let path = dir.appendingPathComponent("coffer.db").path
        for _ in 0..<3 {
            let store = try SQLiteStore(path: path, chainKey: Backend.chainKey)
            await store.close()
        }
        let staged = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("audit-staged") }
        #expect(staged.count == 1)
    }

    /// What one process staged and did not chain (it was killed) is chained first by the next.
    @Test func stagedRecordsSurviveTheProcess() async throws {
        let dir = try scratchDirectory("staging")
        let path = dir.appendingPathComponent("coffer.db").path
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let first = try SQLiteStore(path: path, chainKey: Backend.chainKey)
        for i in 1...4 { try await first.stageAudit(AuditAppend(time: now, record: Array("staged \(i)".utf8))) }
        // The fourth frame torn, as a crash in the middle of its copy could leave it: one byte of its
        // record changed after its header (a 64-byte segment header, then frames of 24 + 8 bytes).
        let staged = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("audit-staged") }
        #expect(staged.count == 1)
        let handle = try FileHandle(forUpdating: dir.appendingPathComponent(staged[0]))
        try handle.seek(toOffset: 64 + 3 * 32 + 24)
        #expect(try handle.read(upToCount: 8) == Data("staged 4".utf8))
        try handle.seek(toOffset: 64 + 3 * 32 + 24)
        handle.write(Data("X".utf8))
        try handle.close()
        let second = try SQLiteStore(path: path, chainKey: Backend.chainKey)
        let entries = try await second.auditEntries(after: 0, limit: 10)
        #expect(entries.map { String(decoding: $0.record, as: UTF8.self) } == ["staged 1", "staged 2", "staged 3"])
        #expect(entries.first?.time == now)
        await second.close()
    }

    /// A segment of the first mapped format (`COFSTG01`: frames checked with zlib's CRC-32, not
    /// CRC-32C), as a build before the change left it, is chained by the next start; its torn frame ends it.
    @Test func segmentsOfTheFirstMappedFormatAreChained() async throws {
        let dir = try scratchDirectory("staging")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("coffer.db").path
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let epoch: UInt64 = 0x0123_4567_89AB_CDEF
        func little<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        var segment = Array("COFSTG01".utf8) + little(UInt64(1)) + little(epoch)
        segment += [UInt8](repeating: 0, count: 64 - segment.count)
        for (index, text) in ["first 1", "first 2", "first 3"].enumerated() {
            let record = Array(text.utf8)
            let time = little(now.timeIntervalSince1970.bitPattern)
            var checksum = UInt32(crc32(0, time + record, UInt32(8 + record.count)))
            if index == 2 { checksum ^= 1 }
            var frame = little(epoch) + little(UInt32(record.count)) + little(checksum) + time + record
            frame += [UInt8](repeating: 0, count: (8 - frame.count % 8) % 8)
            segment += frame
        }
        segment += [UInt8](repeating: 0, count: 4096 - segment.count)
        try Data(segment).write(to: URL(fileURLWithPath: path + "-audit-staged-3"))
        let store = try SQLiteStore(path: path, chainKey: Backend.chainKey)
        try await store.stageAudit(AuditAppend(time: now, record: Array("new".utf8)))
        try await store.chainStagedAudit()
        let entries = try await store.auditEntries(after: 0, limit: 10)
        #expect(entries.map { String(decoding: $0.record, as: UTF8.self) } == ["first 1", "first 2", "new"])
        #expect(entries.first?.time == now)
        await store.close()
    }

    /// The staging's CRC-32C gives the standard check value, and the same on either path a chunk takes.
    @Test func stagingChecksumIsCRC32C() {
        #expect(coffer_crc32c(0, Array("123456789".utf8), 9) == 0xE306_9283)
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let first = coffer_crc32c(0, Array(bytes[..<split]), split)
            #expect(coffer_crc32c(first, Array(bytes[split...]), 1000 - split) == coffer_crc32c(0, bytes, 1000))
        }
        #expect(coffer_crc32c_portable(0, bytes, 1000) == coffer_crc32c(0, bytes, 1000))
    }

    /// Staging files of the earlier format (a `write(2)` per record: length and time big-endian, then
    /// the record), as a server before the mapped segments left them, are chained by the next start.
    @Test func stagingFilesOfTheEarlierFormatAreChained() async throws {
        let dir = try scratchDirectory("staging")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("coffer.db").path
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        func frame(_ text: String) -> [UInt8] {
            let record = Array(text.utf8)
            return withUnsafeBytes(of: UInt32(record.count).bigEndian, Array.init)
                + withUnsafeBytes(of: now.timeIntervalSince1970.bitPattern.bigEndian, Array.init) + record
        }
        try Data(frame("old 1") + frame("old 2") + [0, 0, 0, 9, 1]).write(to: URL(fileURLWithPath: path + "-audit-staged-7"))
        try Data(frame("old 3")).write(to: URL(fileURLWithPath: path + "-audit-staged-8"))
        // A segment file a crash left zero-filled, before its header was written, holds no record.
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: path + "-audit-staged-9"))
        let store = try SQLiteStore(path: path, chainKey: Backend.chainKey)
        try await store.stageAudit(AuditAppend(time: now, record: Array("new".utf8)))
        try await store.chainStagedAudit()
        let entries = try await store.auditEntries(after: 0, limit: 10)
        #expect(entries.map { String(decoding: $0.record, as: UTF8.self) } == ["old 1", "old 2", "old 3", "new"])
        let staged = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("audit-staged") }
        #expect(!staged.contains("coffer.db-audit-staged-7") && !staged.contains("coffer.db-audit-staged-8")
            && !staged.contains("coffer.db-audit-staged-9"))
        await store.close()
    }
}

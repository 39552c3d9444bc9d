import CofferCore
import CofferStorage
import Foundation
import Synchronization

/// Counts IAM's writes, so caches of who-may-do-what can tell when they went stale. Every IAM
/// change goes through this store; a bumped generation empties the caches.
final class ObservedStore: CofferStore {
    let base: any CofferStore
    let generation = Atomic<Int>(0)

    /// Other nodes' IAM changes (on a shared store) bump the generation too.
    init(base: any CofferStore) {
        self.base = base
        SharedStores.feed(of: base)?.subscribe { [weak self] event in
            if case .changed(let change) = event, !change.mayChangePermissions { return }
            self?.bump()
        }
    }

    private func bump() { generation.wrappingAdd(1, ordering: .releasing) }

    func record<R: Record>(_ type: R.Type, named name: String, in scope: ResourceScope) async throws -> R? {
        try await base.record(type, named: name, in: scope)
    }
    func record<R: Record>(_ type: R.Type, arn: String) async throws -> R? { try await base.record(type, arn: arn) }
    func records<R: Record>(_ type: R.Type, in scope: ResourceScope) async throws -> [R] { try await base.records(type, in: scope) }
    func sealedValue(arn: String, versionID: String) async throws -> [UInt8]? { try await base.sealedValue(arn: arn, versionID: versionID) }
    func page<R: Record>(_ query: RecordQuery<R>) async throws -> RecordPage<R> { try await base.page(query) }
    func write<R: Record>(_ write: RecordWrite<R>) async throws {
        defer { bump() }
        try await base.write(write)
    }
    func update<R: Record>(_ type: R.Type, arn: String, _ change: @escaping @Sendable (R) throws -> RecordWrite<R>?) async throws -> R? {
        defer { bump() }
        return try await base.update(type, arn: arn, change)
    }
    func removeRecord(arn: String) async throws {
        defer { bump() }
        try await base.removeRecord(arn: arn)
    }
    func recordsDue(forDeletionAt date: Date) async throws -> [(kind: String, arn: String)] { try await base.recordsDue(forDeletionAt: date) }
    func recordsDue(kind: String, at date: Date, limit: Int) async throws -> [String] { try await base.recordsDue(kind: kind, at: date, limit: limit) }
    func accessKey(id: String) async throws -> StoredAccessKey? { try await base.accessKey(id: id) }
    func putAccessKey(_ key: StoredAccessKey) async throws {
        defer { bump() }
        try await base.putAccessKey(key)
    }
    func accessKeys(principalARN: String) async throws -> [StoredAccessKey] { try await base.accessKeys(principalARN: principalARN) }
    func deleteAccessKey(id: String) async throws {
        defer { bump() }
        try await base.deleteAccessKey(id: id)
    }
    func setting(_ name: String) async throws -> String? { try await base.setting(name) }
    func setSetting(_ name: String, _ value: String) async throws {
        defer { bump() }
        try await base.setSetting(name, value)
    }
    func appendAudit(_ records: [AuditAppend]) async throws -> [Int] { try await base.appendAudit(records) }
    func auditEntries(after: Int, limit: Int) async throws -> [AuditChain.Entry] { try await base.auditEntries(after: after, limit: limit) }
    func auditEntries(before: Int?, from: Date?, to: Date?, limit: Int) async throws -> [AuditChain.Entry] {
        try await base.auditEntries(before: before, from: from, to: to, limit: limit)
    }
    func stageAudit(_ record: AuditAppend) async throws { try await base.stageAudit(record) }
    func chainStagedAudit() async throws { try await base.chainStagedAudit() }
    func appendAuditDigest(_ digest: AuditChain.Digest) async throws { try await base.appendAuditDigest(digest) }
    func auditDigests() async throws -> [AuditChain.Digest] { try await base.auditDigests() }
    func latestAuditDigest() async throws -> AuditChain.Digest? { try await base.latestAuditDigest() }
    func pruneAudit(before date: Date) async throws -> Int { try await base.pruneAudit(before: date) }
    func auditAnchor() async throws -> AuditAnchor? { try await base.auditAnchor() }
}

/// Parsed policies per caller and per resource-policy text, valid until IAM changes anything.
final class PolicyCache: Sendable {
    /// A class: every authorization of a call reads it, and a copy of a reference is one retain.
    final class Caller: Sendable {
        let principal: PrincipalIdentity
        let policies: PolicySet
        let keys: [String: [String]]
        /// When the caller's session proved MFA, for aws:MultiFactorAuthAge (which changes as time passes).
        let mfaAuthenticated: Date?
        /// The Deny statements of the caller's own policies, kept apart to answer "could anything deny
        /// this?" quickly.
        let denies: [PolicyStatement]

        init(principal: PrincipalIdentity, policies: PolicySet, keys: [String: [String]], mfaAuthenticated: Date? = nil) {
            self.principal = principal
            self.policies = policies
            self.keys = keys
            self.mfaAuthenticated = mfaAuthenticated
            let all = policies.identity + (policies.boundary.map { [$0] } ?? []) + (policies.session ?? [])
            denies = all.flatMap { $0.document.statements.filter { $0.effect == .deny } }
        }

        /// Whether some Deny statement of the caller's policies names `action` (conditions and resources aside).
        func mayDeny(_ action: String) -> Bool {
            for index in denies.indices where denies[index].names(action: action) { return true }
            return false
        }
    }

    /// A caller by principal and access key. Hashed by the access key alone (it names one principal),
    /// and made of the caller's own strings: a key string joined from both cost an allocation and a
    /// long hash on every authorization.
    struct CallerKey: Hashable {
        let principalARN: String
        let accessKeyID: String
        func hash(into hasher: inout Hasher) { hasher.combine(accessKeyID) }
    }

    /// A resource policy as parsed, with the root's decisions under it when it has no conditions.
    private struct Parsed {
        let document: PolicyDocument
        let unconditional: Bool
        var rootDecisions: [RootQuestion: Bool] = [:]
    }

    private struct RootQuestion: Hashable {
        let action: String
        let resource: String
    }

    private struct State {
        var generation = -1
        var callers: [CallerKey: Caller] = [:]
        var documents: [String: Parsed] = [:]
        /// The last root decision asked for. A cached record hands out the same policy and ARN
        /// strings on every read, and comparing a string with itself is one check, where the lookup
        /// above hashes the whole policy (about 1,600 instructions for a KMS key's default policy).
        var last: (text: String, question: RootQuestion, allowed: Bool)?
    }

    private let state = Mutex(State())
    private static let capacity = 4096

    func caller(_ key: CallerKey, generation: Int) -> Caller? {
        state.withLock { state in
            if state.generation != generation {
                state.generation = generation
                state.callers.removeAll()
                return nil
            }
            return state.callers[key]
        }
    }

    func store(_ caller: Caller, for key: CallerKey, generation: Int) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.callers.count >= Self.capacity { state.callers.removeAll() }
            state.callers[key] = caller
        }
    }

    /// The root's decision under a resource policy without conditions depends only on the action
    /// and resource, so it is remembered; nil when the policy has conditions. Decisions are kept with
    /// the parsed policy, so that a read hashes the policy's text once (a key joined from action,
    /// resource and text cost an allocation and a hash of the whole text on every read).
    func rootDecision(policy text: String, action: String, resource: String, evaluate: () throws -> Bool) throws -> Bool? {
        let question = RootQuestion(action: action, resource: resource)
        let found = state.withLock { state -> (unconditional: Bool, known: Bool?)? in
            if let last = state.last, last.question == question, last.text == text { return (true, last.allowed) }
            guard let parsed = state.documents[text] else { return nil }
            let known = parsed.rootDecisions[question]
            if let known { state.last = (text, question, known) }
            return (parsed.unconditional, known)
        }
        let unconditional = try found?.unconditional ?? parsed(text).unconditional
        guard unconditional else { return nil }
        if let known = found?.known { return known }
        let allowed = try evaluate()
        state.withLock { state in
            guard state.documents[text] != nil else { return }
            if state.documents[text]?.rootDecisions.count ?? 0 >= Self.capacity { state.documents[text]?.rootDecisions.removeAll() }
            state.documents[text]?.rootDecisions[question] = allowed
            state.last = (text, question, allowed)
        }
        return allowed
    }

    /// A resource policy parsed once per distinct text.
    func document(_ text: String) throws -> PolicyDocument {
        if let cached = state.withLock({ $0.documents[text]?.document }) { return cached }
        return try parsed(text).document
    }

    private func parsed(_ text: String) throws -> Parsed {
        let document = try PolicyDocument.parse(text, kind: .resource)
        let parsed = Parsed(document: document, unconditional: !document.statements.contains { !$0.conditions.isEmpty })
        state.withLock { state in
            if state.documents.count >= Self.capacity { state.documents.removeAll() }
            state.documents[text] = state.documents[text] ?? parsed
        }
        return parsed
    }
}

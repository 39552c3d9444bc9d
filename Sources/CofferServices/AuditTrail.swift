public import CofferCore
public import CofferStorage
public import Crypto
public import Foundation

/// The stored audit trail's upkeep and checks: the keys it is made with, signed digests,
/// retention, verification and export. The server runs the upkeep; `coffer audit` the checks.
public struct AuditTrail: Sendable {
    public typealias Store = AuditStore & SettingStore
    let store: any Store
    let root: RootKey

    public init(store: any Store, root: RootKey) {
        self.store = store
        self.root = root
    }

    /// The key the record chain is made with.
    public static func chainKey(_ root: RootKey) -> AuditChain.Key { AuditChain.Key(root.derive("audit-chain")) }
    /// The key secret values are hashed with in records, so equal values can be matched.
    public static func redaction(_ root: RootKey) -> AuditRedaction { AuditRedaction(key: root.derive("audit-hmac")) }

    static let signingKeySetting = "audit_signing_key"
    private static let signingPurpose = "audit-signing"

    /// The P-256 key digests are signed with: made on first use, kept sealed under the root key.
    public func signingKey() async throws -> P256.Signing.PrivateKey {
        if let sealed = try await store.setting(Self.signingKeySetting), let bytes = Data(base64Encoded: sealed) {
            let raw = try root.open(Array(bytes), purpose: Self.signingPurpose, context: Self.signingKeySetting)
            return try P256.Signing.PrivateKey(rawRepresentation: raw)
        }
        let key = P256.Signing.PrivateKey()
        let sealed = try root.seal(Array(key.rawRepresentation), purpose: Self.signingPurpose, context: Self.signingKeySetting)
        try await store.setSetting(Self.signingKeySetting, Data(sealed).base64EncodedString())
        return key
    }

    /// CloudTrail's ListPublicKeys for the digests: the signing key's public half (SubjectPublicKeyInfo
    /// DER; AWS's own keys are RSA), valid from the first digest it signed to the last, if any digest
    /// falls in `from...to`. Coffer's key does not rotate, so there is one at most.
    public func publicKeys(from: Date?, to: Date?) async throws -> [(der: [UInt8], validFrom: Date, validTo: Date)] {
        let digests = try await store.auditDigests()
        guard let first = digests.map(\.createdAt).min(), let last = digests.map(\.createdAt).max() else { return [] }
        let (start, end) = (Date(timeIntervalSince1970: Double(first)), Date(timeIntervalSince1970: Double(last)))
        if let from, end < from { return [] }
        if let to, start > to { return [] }
        return [(Array(try await signingKey().publicKey.derRepresentation), start, end)]
    }

    /// Signs a digest naming the newest record, linked to the digest before; nil when nothing was
    /// recorded since that one.
    @discardableResult
    public func writeDigest(at date: Date) async throws -> AuditChain.Digest? {
        try await store.chainStagedAudit()
        guard let last = try await store.auditEntries(before: nil, from: nil, to: nil, limit: 1).first else { return nil }
        let previous = try await store.latestAuditDigest()
        if let previous, previous.lastSequence >= last.sequence { return nil }
        let digest = try AuditChain.digest(lastSequence: last.sequence, lastHash: last.hash, previous: previous,
                                           createdAt: Int(date.timeIntervalSince1970), key: try await signingKey())
        try await store.appendAuditDigest(digest)
        return digest
    }

    /// Removes records older than the retention period (CloudTrail's event history keeps 90 days).
    public func prune(retentionDays: Double, now: Date) async throws -> Int {
        try await store.pruneAudit(before: now.addingTimeInterval(-retentionDays * 86_400))
    }

    /// What `verify` found, and over what.
    public struct Verification: Sendable {
        public let report: AuditChain.Report
        public let firstSequence: Int?
        public let lastSequence: Int?
        public let digests: Int
    }

    /// Checks the digests' signatures and links, then the chain of every record whose time is in
    /// `from...to` (all when nil), chaining from the record before the range, and that no digest
    /// names a record that is gone. Reads in pages, so a long trail does not have to fit in memory.
    public func verify(from: Date? = nil, to: Date? = nil, pageSize: Int = 5_000) async throws -> Verification {
        try await store.chainStagedAudit()
        let digests = try await store.auditDigests()
        let publicKey = try await signingKey().publicKey
        if let broken = AuditChain.verifyDigests(digests, publicKey: publicKey) {
            return Verification(report: broken, firstSequence: nil, lastSequence: nil, digests: digests.count)
        }
        let key = Self.chainKey(root)
        let anchor = try await store.auditAnchor()
        var start: (sequence: Int, hash: [UInt8])? = anchor.map { ($0.sequence, $0.hash) }
        var cursor = anchor?.sequence ?? 0
        var checked = 0
        var first: Int?
        var inRange = from == nil
        while true {
            var page = try await store.auditEntries(after: cursor, limit: pageSize)
            if page.isEmpty { break }
            cursor = page.last!.sequence
            if !inRange, let from {
                // Before the range: only the last record ahead of it matters, as the chain's start.
                guard let index = page.firstIndex(where: { $0.time.map { $0 >= from } ?? true }) else {
                    start = (page.last!.sequence, page.last!.hash)
                    continue
                }
                if index > 0 { start = (page[index - 1].sequence, page[index - 1].hash) }
                page.removeFirst(index)
                inRange = true
            }
            var reachedEnd = false
            if let to, let end = page.firstIndex(where: { $0.time.map { $0 > to } ?? false }) {
                page.removeSubrange(end...)
                reachedEnd = true
            }
            guard !page.isEmpty else { break }
            first = first ?? page.first?.sequence
            let lower = start?.sequence ?? 0
            let upper = page.last!.sequence
            let report = AuditChain.verifyRecords(page, digests: digests.filter { $0.lastSequence > lower && $0.lastSequence <= upper },
                                                  chainKey: key, startingAfter: start)
            if !report.isIntact {
                return Verification(report: AuditChain.Report(problem: report.problem, position: report.position,
                                                              recordsChecked: checked + report.recordsChecked),
                                    firstSequence: first, lastSequence: upper, digests: digests.count)
            }
            checked += page.count
            start = (upper, page.last!.hash)
            if reachedEnd { return Verification(report: .init(problem: nil, position: nil, recordsChecked: checked), firstSequence: first,
                                                lastSequence: upper, digests: digests.count) }
        }
        // Cut off at the end: a digest names a record beyond the last one stored.
        let tail = AuditChain.verifyRecords([], digests: digests.filter { $0.lastSequence > (start?.sequence ?? 0) }, chainKey: key,
                                            startingAfter: start)
        return Verification(report: AuditChain.Report(problem: tail.problem, position: tail.position, recordsChecked: checked),
                            firstSequence: first, lastSequence: start?.sequence, digests: digests.count)
    }

    /// The stored records, as CloudTrail JSON bytes, whose time is in `from...to`, oldest first.
    public func records(from: Date?, to: Date?, pageSize: Int = 5_000, _ each: ([UInt8]) throws -> Void) async throws {
        var cursor = try await store.auditAnchor()?.sequence ?? 0
        while true {
            let page = try await store.auditEntries(after: cursor, limit: pageSize)
            guard let last = page.last else { return }
            cursor = last.sequence
            for entry in page {
                guard let time = entry.time else { continue }
                if let from, time < from { continue }
                if let to, time > to { return }
                // An edited compact record that no longer reads is left out (JSON is what this hands
                // out); `coffer audit verify` names it.
                guard let json = CloudTrailEvent.cloudTrailJSON(stored: entry.record) else { continue }
                try each(json)
            }
        }
    }
}

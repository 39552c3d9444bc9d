public import CofferCore
public import struct Foundation.Date

/// One audit record on its way into storage: its stored form (``CloudTrailEvent/storedRecord``)
/// and when the call happened.
public struct AuditAppend: Sendable, Equatable {
    public let time: Date
    public let record: [UInt8]
    public init(time: Date, record: [UInt8]) {
        self.time = time
        self.record = record
    }
}

/// The audit trail as storage keeps it. Storage assigns each record its sequence and chain hash
/// inside the transaction that writes it, so the chain has exactly one order: the commit order.
/// A ``RecordWrite`` may carry its own record (``RecordWrite/audit``), committed with the change
/// or not at all: that is how a change and its record stay together (fail closed).
public protocol AuditStore: Sendable {
    /// Appends records in one transaction, each chained to the one before; returns their sequences.
    /// The records are safe from a crash of the process once this returns; changes committed with
    /// their record (``RecordWrite/audit``) are also safe from a crash of the machine.
    @discardableResult
    func appendAudit(_ records: [AuditAppend]) async throws -> [Int]
    /// Makes the record of a call that changed nothing safe from a crash of the process, to be
    /// chained shortly (before any later change's record); cheaper than ``appendAudit(_:)``.
    func stageAudit(_ record: AuditAppend) async throws
    /// Waits until every staged record is chained (before reading the trail).
    func chainStagedAudit() async throws
    /// Up to `limit` entries with sequence greater than `after`, oldest first.
    func auditEntries(after: Int, limit: Int) async throws -> [AuditChain.Entry]
    /// Up to `limit` entries with sequence less than `before` (all, if nil) and time within
    /// `from...to`, newest first: LookupEvents' order.
    func auditEntries(before: Int?, from: Date?, to: Date?, limit: Int) async throws -> [AuditChain.Entry]
    func appendAuditDigest(_ digest: AuditChain.Digest) async throws
    /// Every digest, oldest first.
    func auditDigests() async throws -> [AuditChain.Digest]
    /// The newest digest: each new digest links to it, once a minute, without reading them all.
    func latestAuditDigest() async throws -> AuditChain.Digest?
    /// Removes records older than `date` (retention) and keeps the last removed record's position
    /// and hash as the anchor verification starts from; returns how many were removed.
    func pruneAudit(before date: Date) async throws -> Int
    /// Where the kept chain starts: the last pruned record, or nil if nothing was pruned.
    func auditAnchor() async throws -> AuditAnchor?
}

/// The last record retention removed: verification chains on from its hash.
public struct AuditAnchor: Sendable, Equatable {
    public let sequence: Int
    public let hash: [UInt8]
    public init(sequence: Int, hash: [UInt8]) {
        self.sequence = sequence
        self.hash = hash
    }

    /// As kept in the settings: `<sequence>:<hex hash>`.
    public var text: String { "\(sequence):\(Hex.encode(hash))" }
    public init?(text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let sequence = Int(parts[0]), let hash = Hex.decode(String(parts[1])) else { return nil }
        self.init(sequence: sequence, hash: hash)
    }
    public static let settingName = "audit_anchor"
}

/// The chain's tail, as a store tracks it while appending.
public struct AuditTail: Sendable {
    public private(set) var sequence: Int
    public private(set) var hash: [UInt8]
    let key: AuditChain.Key

    public init(key: AuditChain.Key, sequence: Int = 0, hash: [UInt8] = AuditChain.genesis) {
        self.key = key
        self.sequence = sequence
        self.hash = hash
    }

    public mutating func append(_ record: AuditAppend) -> AuditChain.Entry {
        let entry = AuditChain.append(record.record, sequence: sequence + 1, previous: hash, key: key, time: record.time)
        sequence = entry.sequence
        hash = entry.hash
        return entry
    }
}

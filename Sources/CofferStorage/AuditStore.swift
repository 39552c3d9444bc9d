public import CofferCore
public import struct Foundation.Date

/// One audit record on its way into storage: the CloudTrail JSON and when the call happened.
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
    @discardableResult
    func appendAudit(_ records: [AuditAppend]) async throws -> [Int]
    /// Up to `limit` entries with sequence greater than `after`, oldest first.
    func auditEntries(after: Int, limit: Int) async throws -> [AuditChain.Entry]
}

/// The chain's tail, as a store tracks it while appending.
public struct AuditTail: Sendable {
    public private(set) var sequence: Int
    public private(set) var hash: [UInt8]

    public init(sequence: Int = 0, hash: [UInt8] = AuditChain.genesis) {
        self.sequence = sequence
        self.hash = hash
    }

    public mutating func append(_ record: [UInt8]) -> AuditChain.Entry {
        let entry = AuditChain.append(record, sequence: sequence + 1, previous: hash)
        sequence = entry.sequence
        hash = entry.hash
        return entry
    }
}

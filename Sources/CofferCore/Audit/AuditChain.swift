public import Crypto
public import struct Foundation.Date

/// The audit trail's tamper evidence, in the spirit of CloudTrail's log file validation: every
/// record carries a keyed hash over the record before it; signed digests name the last record and
/// the previous digest. Pure: storage hands records and digests in, the verdict comes out.
///
/// The chain is keyed (HMAC under a root-derived key) rather than a bare SHA-256, so that someone
/// who can write the database but lacks the root key cannot rebuild a consistent chain after
/// rewriting it, not even past the last digest or after deleting the digests.
public enum AuditChain {
    /// The key the chain's hashes are made with (`RootKey.derive("audit-chain")`).
    public struct Key: Sendable {
        let keyed: KeyedHMAC
        public init(_ key: SymmetricKey) { keyed = KeyedHMAC(key: key) }
        /// A key for a chain that lives as long as the process (`--dev`, tests).
        public static func ephemeral() -> Key { Key(SymmetricKey(size: .bits256)) }
    }

    /// The hash a chain starts from.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// One stored record: its position, its bytes as stored (``CloudTrailEvent/storedRecord``, or
    /// CloudTrail JSON for records stored before that form), and the chain hash stored with it.
    public struct Entry: Sendable, Equatable {
        public let sequence: Int
        public let record: [UInt8]
        public let hash: [UInt8]
        /// When the call happened, as stored beside the record (not covered by the hash).
        public let time: Date?
        public init(sequence: Int, record: [UInt8], hash: [UInt8], time: Date? = nil) {
            self.sequence = sequence
            self.record = record
            self.hash = hash
            self.time = time
        }
    }

    /// `HMAC-SHA-256(key, previous hash || sequence || record)`: the sequence is bound too, so
    /// moving a record changes its hash.
    public static func hash(key: Key, previous: [UInt8], sequence: Int, record: [UInt8]) -> [UInt8] {
        var mac = key.keyed.started
        mac.update(previous)
        withUnsafeBytes(of: UInt64(sequence).bigEndian) { mac.update($0) }
        mac.update(record)
        return Array(mac.finalize())
    }

    /// Appends a record to a chain whose last hash is `previous`.
    public static func append(_ record: [UInt8], sequence: Int, previous: [UInt8], key: Key, time: Date? = nil) -> Entry {
        Entry(sequence: sequence, record: record, hash: hash(key: key, previous: previous, sequence: sequence, record: record), time: time)
    }

    /// A signed statement that the chain reached `lastSequence` with `lastHash`, linked to the digest before it.
    public struct Digest: Sendable, Equatable {
        public let lastSequence: Int
        public let lastHash: [UInt8]
        public let previousDigestHash: [UInt8]
        public let createdAt: Int
        public let signature: [UInt8]

        public init(lastSequence: Int, lastHash: [UInt8], previousDigestHash: [UInt8], createdAt: Int, signature: [UInt8]) {
            self.lastSequence = lastSequence
            self.lastHash = lastHash
            self.previousDigestHash = previousDigestHash
            self.createdAt = createdAt
            self.signature = signature
        }

        /// The bytes the signature covers.
        public var signedBytes: [UInt8] {
            Self.signedBytes(lastSequence: lastSequence, lastHash: lastHash, previousDigestHash: previousDigestHash, createdAt: createdAt)
        }

        static func signedBytes(lastSequence: Int, lastHash: [UInt8], previousDigestHash: [UInt8], createdAt: Int) -> [UInt8] {
            var out = Array("coffer-audit-digest-v1".utf8)
            withUnsafeBytes(of: UInt64(lastSequence).bigEndian) { out += $0 }
            out += lastHash
            out += previousDigestHash
            withUnsafeBytes(of: Int64(createdAt).bigEndian) { out += $0 }
            return out
        }

        /// The hash the next digest links to.
        public var hash: [UInt8] { Array(SHA256.hash(data: signedBytes + signature)) }
    }

    /// Signs a digest with the audit signing key (P-256; its private key lives sealed under the root key).
    public static func digest(lastSequence: Int, lastHash: [UInt8], previous: Digest?, createdAt: Int,
                              key: P256.Signing.PrivateKey) throws(CofferError) -> Digest {
        let previousHash = previous?.hash ?? genesis
        let bytes = Digest.signedBytes(lastSequence: lastSequence, lastHash: lastHash, previousDigestHash: previousHash, createdAt: createdAt)
        do {
            let signature = try key.signature(for: bytes)
            return Digest(lastSequence: lastSequence, lastHash: lastHash, previousDigestHash: previousHash, createdAt: createdAt,
                          signature: Array(signature.derRepresentation))
        } catch {
            throw CofferError(.internalFailure, "signing the audit digest failed")
        }
    }

    /// What verification found.
    public struct Report: Sendable, Equatable {
        public enum Problem: String, Sendable {
            case changed, inserted, deleted, reordered, truncated, badDigestSignature, brokenDigestChain
        }
        public let problem: Problem?
        /// The first position (record sequence) where the chain goes wrong.
        public let position: Int?
        public let recordsChecked: Int

        public init(problem: Problem?, position: Int?, recordsChecked: Int) {
            self.problem = problem
            self.position = position
            self.recordsChecked = recordsChecked
        }

        public var isIntact: Bool { problem == nil }
    }

    /// Verifies records (as stored, in storage order) and digests (oldest first) against the signing key.
    public static func verify(_ entries: [Entry], digests: [Digest], publicKey: P256.Signing.PublicKey, chainKey key: Key,
                              startingAfter start: (sequence: Int, hash: [UInt8])? = nil) -> Report {
        if let broken = verifyDigests(digests, publicKey: publicKey) { return broken }
        return verifyRecords(entries, digests: digests, chainKey: key, startingAfter: start)
    }

    /// Each digest must be signed and link to the one before; nil when they all are.
    public static func verifyDigests(_ digests: [Digest], publicKey: P256.Signing.PublicKey) -> Report? {
        var previousDigestHash = genesis
        for digest in digests {
            guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: digest.signature),
                publicKey.isValidSignature(signature, for: digest.signedBytes)
            else { return Report(problem: .badDigestSignature, position: digest.lastSequence, recordsChecked: 0) }
            guard digest.previousDigestHash == previousDigestHash else {
                return Report(problem: .brokenDigestChain, position: digest.lastSequence, recordsChecked: 0)
            }
            previousDigestHash = digest.hash
        }
        return nil
    }

    /// Verifies a run of records that follows `start` (the chain's beginning if nil), and that every
    /// digest naming a position after `start` finds its record there with the hash it signed. The
    /// digests' signatures are ``verifyDigests(_:publicKey:)``'s business.
    public static func verifyRecords(_ entries: [Entry], digests: [Digest], chainKey key: Key,
                                     startingAfter start: (sequence: Int, hash: [UInt8])? = nil) -> Report {
        var previous = start?.hash ?? genesis
        var expectedSequence = (start?.sequence ?? 0) + 1
        var hashes: [Int: [UInt8]] = [:]
        for (checked, entry) in entries.enumerated() {
            if entry.sequence != expectedSequence {
                let problem: Report.Problem
                if entry.sequence < expectedSequence {
                    problem = .inserted
                } else if entries[checked...].contains(where: { $0.sequence == expectedSequence }) {
                    problem = .reordered
                } else {
                    problem = .deleted
                }
                return Report(problem: problem, position: expectedSequence, recordsChecked: checked)
            }
            guard hash(key: key, previous: previous, sequence: entry.sequence, record: entry.record) == entry.hash else {
                return Report(problem: diagnose(entries, at: checked, previous: previous, key: key), position: entry.sequence,
                              recordsChecked: checked)
            }
            hashes[entry.sequence] = entry.hash
            previous = entry.hash
            expectedSequence += 1
        }
        // The tail: every digest must name a record that is still there, with the hash it signed.
        for digest in digests where digest.lastSequence > (start?.sequence ?? 0) {
            guard let stored = hashes[digest.lastSequence] else {
                return Report(problem: .truncated, position: expectedSequence, recordsChecked: entries.count)
            }
            if stored != digest.lastHash { return Report(problem: .changed, position: digest.lastSequence, recordsChecked: entries.count) }
        }
        return Report(problem: nil, position: nil, recordsChecked: entries.count)
    }

    /// Why the record at `index` does not chain: rows swapped (this row's content and hash are
    /// genuine but belong at another position), a row slipped in (the next one chains from the
    /// last good hash), or its content changed.
    static func diagnose(_ entries: [Entry], at index: Int, previous: [UInt8], key: Key) -> Report.Problem {
        let entry = entries[index]
        // This row's content and hash are genuine, but made for another nearby position.
        let window = max(0, index - 8)...min(entries.count - 1, index + 8)
        let predecessors = [previous] + window.map { entries[$0].hash }
        for other in window where other != index {
            for before in predecessors where hash(key: key, previous: before, sequence: entries[other].sequence, record: entry.record) == entry.hash {
                return .reordered
            }
        }
        if index + 1 < entries.count {
            let next = entries[index + 1]
            // The next row chains from the last good hash, at its own position or renumbered by one.
            for sequence in [next.sequence, entry.sequence] where hash(key: key, previous: previous, sequence: sequence, record: next.record) == next.hash {
                return .inserted
            }
        }
        return .changed
    }
}

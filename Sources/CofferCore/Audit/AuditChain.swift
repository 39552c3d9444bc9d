public import Crypto

/// The audit trail's tamper evidence, in the spirit of CloudTrail's log file validation: every
/// record carries the hash of the record before it; signed digests name the last record and the
/// previous digest. Pure: storage hands records and digests in, the verdict comes out.
///
/// The pieces are here ahead of the audit issue (5), which wires them into the request path.
public enum AuditChain {
    /// The hash a chain starts from.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// One stored record: its position, its CloudTrail JSON, and the chain hash stored with it.
    public struct Entry: Sendable, Equatable {
        public let sequence: Int
        public let record: [UInt8]
        public let hash: [UInt8]
        public init(sequence: Int, record: [UInt8], hash: [UInt8]) {
            self.sequence = sequence
            self.record = record
            self.hash = hash
        }
    }

    /// `SHA-256(previous hash || sequence || record)`: the sequence is bound too, so moving a
    /// record changes its hash.
    public static func hash(previous: [UInt8], sequence: Int, record: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        withUnsafeBytes(of: UInt64(sequence).bigEndian) { hasher.update(bufferPointer: $0) }
        hasher.update(data: record)
        return Array(hasher.finalize())
    }

    /// Appends a record to a chain whose last hash is `previous`.
    public static func append(_ record: [UInt8], sequence: Int, previous: [UInt8]) -> Entry {
        Entry(sequence: sequence, record: record, hash: hash(previous: previous, sequence: sequence, record: record))
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
    public static func verify(_ entries: [Entry], digests: [Digest], publicKey: P256.Signing.PublicKey,
                              startingAfter start: (sequence: Int, hash: [UInt8])? = nil) -> Report {
        // Digests first: each must be signed and link to the one before.
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
            guard hash(previous: previous, sequence: entry.sequence, record: entry.record) == entry.hash else {
                // The stored hash either was not made from this record, or links to another predecessor:
                // a row slipped in with renumbered successors shows up here too.
                let next = checked + 1 < entries.count ? entries[checked + 1] : nil
                let skipsThisOne = next.map { hash(previous: previous, sequence: $0.sequence, record: $0.record) == $0.hash } ?? false
                return Report(problem: skipsThisOne ? .inserted : .changed, position: entry.sequence, recordsChecked: checked)
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
}

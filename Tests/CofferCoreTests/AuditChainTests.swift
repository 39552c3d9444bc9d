import CofferCore
import Crypto
import Testing

@Suite struct AuditChainTests {
    let key = P256.Signing.PrivateKey()
    let chainKey = AuditChain.Key.ephemeral()

    /// Ten records with digests after the fifth and the tenth.
    func trail() throws -> (entries: [AuditChain.Entry], digests: [AuditChain.Digest]) {
        var entries: [AuditChain.Entry] = []
        var digests: [AuditChain.Digest] = []
        var previous = AuditChain.genesis
        for sequence in 1...10 {
            let entry = AuditChain.append(Array(#"{"eventName":"GetSecretValue","n":\#(sequence)}"#.utf8), sequence: sequence, previous: previous, key: chainKey)
            entries.append(entry)
            previous = entry.hash
            if sequence % 5 == 0 {
                digests.append(try AuditChain.digest(lastSequence: sequence, lastHash: entry.hash, previous: digests.last,
                                                     createdAt: 1_700_000_000 + sequence, key: key))
            }
        }
        return (entries, digests)
    }

    func verify(_ entries: [AuditChain.Entry], _ digests: [AuditChain.Digest]) -> AuditChain.Report {
        AuditChain.verify(entries, digests: digests, publicKey: key.publicKey, chainKey: chainKey)
    }

    @Test func anUntouchedTrailVerifies() throws {
        let (entries, digests) = try trail()
        let report = verify(entries, digests)
        #expect(report.isIntact && report.recordsChecked == 10)
    }

    @Test func aChangedRecordIsFound() throws {
        var (entries, digests) = try trail()
        entries[2] = AuditChain.Entry(sequence: 3, record: Array(#"{"eventName":"DeleteSecret"}"#.utf8), hash: entries[2].hash)
        #expect(verify(entries, digests) == AuditChain.Report(problem: .changed, position: 3, recordsChecked: 2))
    }

    @Test func aDeletedRecordIsFound() throws {
        var (entries, digests) = try trail()
        entries.remove(at: 3)
        #expect(verify(entries, digests).problem == .deleted)
        #expect(verify(entries, digests).position == 4)
    }

    @Test func reorderedRecordsAreFound() throws {
        var (entries, digests) = try trail()
        entries.swapAt(5, 6)
        #expect(verify(entries, digests) == AuditChain.Report(problem: .reordered, position: 6, recordsChecked: 5))
    }

    @Test func anInsertedRecordIsFound() throws {
        var (entries, digests) = try trail()
        entries.insert(AuditChain.Entry(sequence: 7, record: Array("{}".utf8), hash: AuditChain.genesis), at: 7)
        let report = verify(entries, digests)
        #expect(report.problem == .inserted && report.position == 8)
    }

    /// As someone editing the SQLite file would: rows keep their sequence, contents move.
    @Test func swappedContentsAreFoundAsReordered() throws {
        var (entries, digests) = try trail()
        let (third, fourth) = (entries[2], entries[3])
        entries[2] = AuditChain.Entry(sequence: 3, record: fourth.record, hash: fourth.hash)
        entries[3] = AuditChain.Entry(sequence: 4, record: third.record, hash: third.hash)
        #expect(verify(entries, digests) == AuditChain.Report(problem: .reordered, position: 3, recordsChecked: 2))
    }

    @Test func aRowSlippedInWithRenumberedSuccessorsIsFound() throws {
        var (entries, digests) = try trail()
        entries.insert(AuditChain.Entry(sequence: 4, record: Array("{}".utf8), hash: AuditChain.genesis), at: 3)
        for index in 4..<entries.count {
            entries[index] = AuditChain.Entry(sequence: index + 1, record: entries[index].record, hash: entries[index].hash)
        }
        #expect(verify(entries, digests) == AuditChain.Report(problem: .inserted, position: 4, recordsChecked: 3))
    }

    @Test func withoutTheChainKeyARewrittenChainDoesNotVerify() throws {
        var (entries, _) = try trail()
        // Someone with the database but not the root key rebuilds the chain and drops the digests.
        var previous = AuditChain.genesis
        for index in entries.indices {
            entries[index] = AuditChain.append(entries[index].record, sequence: index + 1, previous: previous, key: .ephemeral())
            previous = entries[index].hash
        }
        #expect(verify(entries, []) == AuditChain.Report(problem: .changed, position: 1, recordsChecked: 0))
    }

    @Test func aCutTailIsFound() throws {
        var (entries, digests) = try trail()
        entries.removeLast(2)
        #expect(verify(entries, digests).problem == .truncated)
    }

    @Test func aRecomputedChainStillFailsAgainstTheSignedDigests() throws {
        var (entries, digests) = try trail()
        // An attacker with the database rewrites record 2 and recomputes every hash after it.
        var previous = entries[0].hash
        for index in 1..<entries.count {
            let record = index == 1 ? Array(#"{"eventName":"Nothing"}"#.utf8) : entries[index].record
            entries[index] = AuditChain.append(record, sequence: index + 1, previous: previous, key: chainKey)
            previous = entries[index].hash
        }
        #expect(verify(entries, digests) == AuditChain.Report(problem: .changed, position: 5, recordsChecked: 10))
    }

    @Test func digestsMustBeSignedAndChained() throws {
        var (entries, digests) = try trail()
        let forged = AuditChain.Digest(lastSequence: digests[1].lastSequence, lastHash: digests[1].lastHash,
                                       previousDigestHash: digests[1].previousDigestHash, createdAt: digests[1].createdAt + 1,
                                       signature: digests[1].signature)
        #expect(verify(entries, [digests[0], forged]).problem == .badDigestSignature)
        #expect(verify(entries, [digests[1]]).problem == .brokenDigestChain)
        let otherKey = P256.Signing.PrivateKey()
        #expect(AuditChain.verify(entries, digests: digests, publicKey: otherKey.publicKey, chainKey: chainKey).problem == .badDigestSignature)
        entries.removeAll()
        #expect(verify(entries, digests).problem == .truncated)
    }
}

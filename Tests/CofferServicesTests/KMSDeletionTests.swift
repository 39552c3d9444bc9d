import CofferCore
import CofferServices
import CofferStorage
import Foundation
import Testing

/// Scheduled deletion of multi-Region keys: a primary with replicas waits in PendingReplicaDeletion
/// until its last replica is deleted, then starts its own waiting period.
@Suite struct KMSDeletionTests {
    let east = ResourceScope(account: "123456789012", region: "us-east-1")
    let west = ResourceScope(account: "123456789012", region: "eu-west-1")
    let clock = ManualClock()
    let store = MemoryStore()
    let root = RootKey.generate(random: SystemRandomSource())
    var kms: KMSService { KMSService(store: store, root: root, clock: clock, random: SystemRandomSource()) }

    @Test func aPrimaryWaitsForItsReplicas() async throws {
        let kms = self.kms
        let primary = try await kms.createMultiRegionKey(spec: .symmetricDefault, usage: nil, description: "", policy: nil, tags: [], in: east)
        _ = try await kms.replicateKey(primary.keyID, to: west.region, description: nil, policy: nil, tags: [], in: east)

        let waiting = try await kms.scheduleKeyDeletion(primary.keyID, pendingWindowDays: 7, in: east)
        #expect(waiting.state == .pendingReplicaDeletion && waiting.deletionDate == nil && waiting.pendingWindowDays == 7)
        #expect(await errorCode { _ = try await kms.scheduleKeyDeletion(primary.keyID, pendingWindowDays: 7, in: east) } == .keyInvalidState)
        #expect(await errorCode { _ = try await kms.keyRotationStatus(primary.keyID, in: east) } == .keyInvalidState)
        // Nothing becomes due while a replica lives.
        clock.advance(days: 40)
        _ = try await kms.runMaintenance()
        #expect(try await kms.describeKey(primary.keyID, in: east).state == .pendingReplicaDeletion)

        let replica = try await kms.scheduleKeyDeletion(primary.keyID, pendingWindowDays: 7, in: west)
        #expect(replica.state == .pendingDeletion && replica.deletionDate != nil)
        clock.advance(days: 8)
        let removedAt = clock.now()
        #expect(try await kms.runMaintenance().deleted == 1)
        #expect(await errorCode { _ = try await kms.describeKey(primary.keyID, in: west) } == .notFound)
        let counting = try await kms.describeKey(primary.keyID, in: east)
        #expect(counting.state == .pendingDeletion && counting.replicaRegions == [])
        #expect(counting.deletionDate == removedAt.addingTimeInterval(7 * 86_400))
        clock.advance(days: 8)
        #expect(try await kms.runMaintenance().deleted == 1)
        #expect(await errorCode { _ = try await kms.describeKey(primary.keyID, in: east) } == .notFound)
    }

    @Test func aPrimaryWaitingForReplicasCanBeCancelled() async throws {
        let kms = self.kms
        let primary = try await kms.createMultiRegionKey(spec: .symmetricDefault, usage: nil, description: "", policy: nil, tags: [], in: east)
        _ = try await kms.replicateKey(primary.keyID, to: west.region, description: nil, policy: nil, tags: [], in: east)
        _ = try await kms.scheduleKeyDeletion(primary.keyID, pendingWindowDays: 30, in: east)
        let cancelled = try await kms.cancelKeyDeletion(primary.keyID, in: east)
        #expect(cancelled.state == .disabled && cancelled.pendingWindowDays == nil && cancelled.deletionDate == nil)
    }
}

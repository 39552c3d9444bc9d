public import CofferCore
public import CofferStorage
import Foundation

/// Multi-Region secrets. Every region is local to Coffer, so a replica is a real secret in the other
/// region's scope: its versions and stages copied from the primary and sealed again under the
/// replica region's key, read-only, brought up to date after every change to the primary, and
/// promotable to a standalone secret.
extension SecretsManagerService {
    public struct ReplicaRegion: Sendable, Equatable {
        public var region: String
        public var kmsKeyID: String?
        public init(region: String, kmsKeyID: String?) {
            self.region = region
            self.kmsKeyID = kmsKeyID
        }
    }

    static let replicaRefused = CofferError.invalidParameter(
        "Operation not permitted on a replica secret. Call must be made in primary secret's region.")

    /// A secret that may be changed here: active, and not a replica.
    func requireWritable(_ secretID: String, in scope: ResourceScope) async throws -> Secret {
        let secret = try await requireActive(secretID, in: scope)
        if secret.isReplica { throw Self.replicaRefused }
        return secret
    }

    /// ReplicateSecretToRegions (and CreateSecret's AddReplicaRegions): the regions join the
    /// secret's replicas, each made at once; a region holding another secret of the name fails
    /// unless `force` replaces it.
    public func replicate(secretID: String, to regions: [ReplicaRegion], force: Bool, in scope: ResourceScope) async throws -> Secret {
        for region in regions {
            guard Self.isRegionName(region.region), region.region != scope.region else {
                throw CofferError.invalidParameter("Invalid replica region.")
            }
        }
        guard Set(regions.map(\.region)).count == regions.count else {
            throw CofferError.invalidParameter("Duplicate replica regions are not allowed.")
        }
        let primary = try await mutate {
            var secret = try await requireWritable(secretID, in: scope)
            var replicas = secret.replicas ?? []
            for region in regions where !replicas.contains(where: { $0.region == region.region }) {
                replicas.append(SecretReplica(region: region.region, kmsKeyID: region.kmsKeyID, status: "InProgress",
                                              statusMessage: "Replication in progress"))
            }
            guard replicas != (secret.replicas ?? []) else { return secret }
            let expected = secret.revision
            secret.replicas = replicas
            secret.revision += 1
            try await store.write(RecordWrite(.update(expectedRevision: expected), scope: scope, record: secret))
            return secret
        }
        return try await syncReplicas(of: primary, in: scope, force: force)
    }

    /// RemoveRegionsFromReplication: the replicas in those regions are deleted at once. A region the
    /// secret does not replicate to is no error: removing a region again changes nothing (moto's
    /// observation of AWS; the call is idempotent).
    public func removeReplicaRegions(secretID: String, regions: [String], in scope: ResourceScope) async throws -> Secret {
        let secret = try await mutate {
            var secret = try await requireWritable(secretID, in: scope)
            let known = Set((secret.replicas ?? []).map(\.region))
            guard regions.contains(where: known.contains) else { return secret }
            let expected = secret.revision
            secret.replicas = (secret.replicas ?? []).filter { !regions.contains($0.region) }
            secret.revision += 1
            try await store.write(RecordWrite(.update(expectedRevision: expected), scope: scope, record: secret))
            return secret
        }
        for region in regions {
            let replicaScope = ResourceScope(account: scope.account, region: region)
            if let replica = try await store.record(Secret.self, named: secret.name, in: replicaScope), replica.primaryRegion == scope.region {
                try await store.removeRecord(arn: replica.arn)
            }
        }
        return secret
    }

    /// StopReplicationToReplica, called in the replica's region: the replica becomes a standalone
    /// secret there, and its primary stops replicating to that region.
    public func promoteReplica(secretID: String, in scope: ResourceScope) async throws -> Secret {
        let promoted = try await mutate {
            var secret = try await requireActive(secretID, in: scope)
            guard let primaryRegion = secret.primaryRegion else {
                throw CofferError.invalidRequest("StopReplicationToReplica can only be called on a replica secret.")
            }
            let expected = secret.revision
            secret.primaryRegion = nil
            secret.revision += 1
            secret.lastChangedDate = clock.now()
            try await store.write(RecordWrite(.update(expectedRevision: expected), scope: scope, record: secret))
            return (secret, primaryRegion)
        }
        let primaryScope = ResourceScope(account: scope.account, region: promoted.1)
        try await updating(store, in: primaryScope, read: {
            try await store.record(Secret.self, named: promoted.0.name, in: primaryScope) ?? { throw Self.notFound }()
        }) { primary in
            primary.replicas = (primary.replicas ?? []).filter { $0.region != scope.region }
        }
        return promoted.0
    }

    /// Brings every replica of `primary` up to date; a change to a replicated secret calls it.
    /// Failures are reported in ReplicationStatus, never as the primary's failure.
    @discardableResult
    func syncReplicas(of primary: Secret, in scope: ResourceScope, force: Bool = false) async throws -> Secret {
        guard let replicas = primary.replicas, !replicas.isEmpty else { return primary }
        var outcome: [String: (status: String, message: String)] = [:]
        for replica in replicas {
            let replicaScope = ResourceScope(account: scope.account, region: replica.region)
            do {
                try await copy(primary, to: replica, in: replicaScope, primaryRegion: scope.region, force: force || replica.status == "InSync")
                outcome[replica.region] = ("InSync", "Replication succeeded")
            } catch let failure as ReplicationConflict {
                outcome[replica.region] = ("Failed", failure.message)
            } catch let error as CofferError {
                outcome[replica.region] = ("Failed", "Replication failed: \(error.message)")
            }
        }
        let changed = replicas.contains { replica in
            guard let result = outcome[replica.region] else { return false }
            return result.status != replica.status || result.message != replica.statusMessage
        }
        guard changed else { return primary }
        return try await updating(store, in: scope, read: { try await require(primary.arn, in: scope) }) { secret in
            secret.replicas = secret.replicas?.map { replica in
                var replica = replica
                if let result = outcome[replica.region] { (replica.status, replica.statusMessage) = result }
                return replica
            }
        }
    }

    struct ReplicationConflict: Error { let message: String }

    /// Writes the replica of `primary` in one region: metadata copied, versions it lacks sealed
    /// under the replica's key, versions the primary no longer has removed.
    private func copy(_ primary: Secret, to replica: SecretReplica, in replicaScope: ResourceScope, primaryRegion: String, force: Bool)
        async throws
    {
        try await retryingOnConflict {
            var existing = try await store.record(Secret.self, named: primary.name, in: replicaScope)
            if let other = existing, other.primaryRegion != primaryRegion {
                guard force, !other.isReplica else {
                    throw ReplicationConflict(message: "Replication failed: Secret name \(primary.name) already exists in region \(replicaScope.region).")
                }
                try await store.removeRecord(arn: other.arn)
                existing = nil
            }
            guard var arn = ARN(primary.arn) else { throw Self.notFound }
            arn.region = replicaScope.region
            var copy = primary
            copy.arn = arn.description
            copy.kmsKeyID = replica.kmsKeyID
            copy.replicas = nil
            copy.primaryRegion = primaryRegion
            copy.rotationJob = nil
            copy.deletedDate = nil
            copy.deletionDate = nil
            // The resource policy travels when the replica is made; later changes stay in their region.
            copy.resourcePolicy = existing == nil ? primary.resourcePolicy : existing?.resourcePolicy
            copy.lastAccessedDate = existing?.lastAccessedDate
            copy.revision = (existing?.revision ?? -1) + 1
            var newValues: [(versionID: String, sealed: [UInt8])] = []
            for index in copy.versions.indices {
                let versionID = copy.versions[index].versionID
                if let had = existing?.version(id: versionID) {
                    copy.versions[index].lastAccessedDate = had.lastAccessedDate
                    copy.versions[index].kmsKeyIDs = had.kmsKeyIDs
                    continue
                }
                copy.versions[index].lastAccessedDate = nil
                guard let sealed = try await store.sealedValue(arn: primary.arn, versionID: versionID) else { continue }
                let primaryScope = ResourceScope(account: replicaScope.account, region: primaryRegion)
                let plaintext = try await keyring.open(sealed, context: Self.context(arn: primary.arn, versionID: versionID), scope: primaryScope,
                                                       service: "secretsmanager")
                let value: SecretValue = copy.versions[index].isString ? .string(String(decoding: plaintext, as: UTF8.self)) : .binary(plaintext)
                let resealed = try await seal(value, arn: copy.arn, versionID: versionID, kmsKeyID: replica.kmsKeyID, scope: replicaScope)
                copy.versions[index].kmsKeyIDs = [resealed.keyName]
                newValues.append((versionID, resealed.sealed))
            }
            if let existing {
                guard copy != existing || !newValues.isEmpty else { return }
                let removed = existing.versions.map(\.versionID).filter { copy.version(id: $0) == nil }
                try await store.write(RecordWrite(.update(expectedRevision: existing.revision), scope: replicaScope, record: copy,
                                                  newValues: newValues, removedVersionIDs: removed))
            } else {
                do {
                    try await store.write(RecordWrite(.create, scope: replicaScope, record: copy, newValues: newValues))
                } catch StorageError.nameTaken {
                    throw StorageError.conflict
                }
            }
        }
    }

    /// `us-east-1`, `ap-southeast-4`, `us-gov-west-1`: letters and dashes, then a number.
    static func isRegionName(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let last = parts.last, !last.isEmpty, last.allSatisfy(\.isNumber) else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLetter && $0.isLowercase && $0.isASCII } }
    }
}

public import CofferCore
import CofferStorage
import Foundation

/// Multi-Region keys. Every region is local to Coffer, so a replica is a key record in the other
/// region with the primary's id and the primary's key material (sealed again for its own ARN):
/// ciphertext made under any member decrypts under every other.
extension KMSService {
    public func createMultiRegionKey(spec: KeySpec, usage: KeyUsage?, description: String, policy: String?, tags: [Tag],
                                     in scope: ResourceScope) async throws -> KMSKey {
        let usage = try newKeyUsage(spec: spec, usage: usage, policy: policy, tags: tags)
        let id = "mrk-" + Hex.encode(random.bytes(16))
        var key = KMSKey(arn: keyARN(id, scope), keyID: id, spec: spec, usage: usage, description: description,
                         policy: policy ?? KeyPolicies.default(account: scope.account, region: scope.region), keyManager: "CUSTOMER", creationDate: clock.now())
        key.tags = tags
        key.primaryRegion = scope.region
        key.replicaRegions = []
        let material = try KeyCrypto.generateMaterial(spec, random: random)
        let sealed = try root.seal(material, purpose: "kms-material", context: "\(key.arn)\n1")
        key.materials = [KeyMaterialVersion(version: 1, materialID: Hex.encode(random.bytes(32)), createdDate: clock.now(), rotationType: nil)]
        try await noteScope(scope)
        try await store.write(RecordWrite(.create, scope: scope, record: key, newValues: [(KMSKey.materialID(1), sealed)]))
        return key
    }

    /// ReplicateKey: a replica of a primary multi-Region key in `region`. Its description, key policy
    /// and tags are its own, not shared with the primary: AWS gives an empty description and the
    /// default key policy when the call names none.
    public func replicateKey(_ keyID: String, to region: String, description: String?, policy: String?, tags: [Tag],
                             in scope: ResourceScope) async throws -> KMSKey {
        let primary = try await resolve(keyID, in: scope, aliases: false)
        guard primary.isMultiRegion else {
            throw CofferError(.unsupportedOperation, "\(primary.arn) is not a multi-Region key. You can replicate only multi-Region keys.")
        }
        guard primary.primaryRegion == scope.region else {
            throw CofferError(.unsupportedOperation, "\(primary.arn) is not a primary key. You can replicate only a primary multi-Region key.")
        }
        guard region != scope.region else { throw CofferError(.validation, "The replica region \(region) is the primary key's region.") }
        try KMSValidation.tags(tags)
        if let policy { try KMSValidation.policy(policy) }
        let replicaScope = ResourceScope(account: scope.account, region: region)
        if try await store.record(KMSKey.self, named: primary.keyID, in: replicaScope) != nil {
            throw CofferError(.alreadyExists, "Replica key \(keyARN(primary.keyID, replicaScope)) already exists.")
        }
        var replica = KMSKey(arn: keyARN(primary.keyID, replicaScope), keyID: primary.keyID, spec: primary.keySpec, usage: primary.keyUsage,
                             description: description ?? "", policy: policy ?? KeyPolicies.default(account: scope.account, region: region),
                             keyManager: "CUSTOMER",
                             creationDate: clock.now())
        replica.tags = tags
        replica.primaryRegion = scope.region
        replica.materials = primary.materials
        var values: [(versionID: String, sealed: [UInt8])] = []
        for version in primary.materials {
            let material = try await self.material(primary, version: version.version)
            values.append((KMSKey.materialID(version.version), try root.seal(material, purpose: "kms-material", context: "\(replica.arn)\n\(version.version)")))
        }
        try await noteScope(replicaScope)
        try await store.write(RecordWrite(.create, scope: replicaScope, record: replica, newValues: values))
        try await changeKey(primary.keyID, in: scope) { key in key.replicaRegions = (key.replicaRegions ?? []) + [region] }
        return replica
    }

    /// UpdatePrimaryRegion: a replica becomes the primary; the old primary a replica.
    public func updatePrimaryRegion(_ keyID: String, to region: String, in scope: ResourceScope) async throws {
        let current = try await resolve(keyID, in: scope, aliases: false)
        guard current.isMultiRegion else { throw CofferError(.unsupportedOperation, "\(current.arn) is not a multi-Region key.") }
        guard current.primaryRegion == scope.region else {
            throw CofferError(.unsupportedOperation, "\(current.arn) is not a primary key. Call UpdatePrimaryRegion in the primary key's region.")
        }
        guard let regions = current.replicaRegions, regions.contains(region) else {
            throw CofferError(.notFound, "Key '\(keyARN(current.keyID, ResourceScope(account: scope.account, region: region)))' does not exist")
        }
        let members = [scope.region] + regions
        for member in members {
            let memberScope = ResourceScope(account: scope.account, region: member)
            try await changeKey(current.keyID, in: memberScope) { key in
                key.primaryRegion = region
                key.replicaRegions = member == region ? members.filter { $0 != region } : nil
            }
        }
    }

    /// After a replica was deleted: its primary forgets the region and, if it was waiting for its
    /// replicas (PendingReplicaDeletion) and this was the last, starts its own waiting period.
    func replicaRemoved(_ replica: KMSKey, account: String, region: String, now: Date) async throws {
        guard let primaryRegion = replica.primaryRegion, primaryRegion != region else { return }
        let primaryScope = ResourceScope(account: account, region: primaryRegion)
        guard let primary = try await store.record(KMSKey.self, named: replica.keyID, in: primaryScope) else { return }
        let remaining = try await multiRegionMembers(of: primary, account: account).replicas.filter { ARN($0.arn)?.region != region }
        try await changeKey(primary.keyID, in: primaryScope) { key in
            key.replicaRegions = key.replicaRegions?.filter { $0 != region }
            if key.state == .pendingReplicaDeletion, remaining.isEmpty {
                key.state = .pendingDeletion
                key.deletionDate = now.addingTimeInterval(Double(key.pendingWindowDays ?? 30) * 86_400)
            }
        }
    }

    /// The members of a multi-Region key, primary first.
    public func multiRegionMembers(of key: KMSKey, account: String) async throws -> (primary: KMSKey?, replicas: [KMSKey]) {
        guard let primaryRegion = key.primaryRegion else { return (nil, []) }
        let primaryScope = ResourceScope(account: account, region: primaryRegion)
        let primary = key.replicaRegions != nil ? key : try await store.record(KMSKey.self, named: key.keyID, in: primaryScope)
        var replicas: [KMSKey] = []
        for region in primary?.replicaRegions ?? [] {
            if let replica = try await store.record(KMSKey.self, named: key.keyID, in: ResourceScope(account: account, region: region)) {
                replicas.append(replica)
            }
        }
        return (primary, replicas)
    }

    /// Gives the replicas of a primary the material versions they lack (after a rotation).
    func syncReplicaMaterial(of primary: KMSKey, in scope: ResourceScope) async throws {
        guard let regions = primary.replicaRegions, !regions.isEmpty else { return }
        for region in regions {
            let replicaScope = ResourceScope(account: scope.account, region: region)
            try await retryingOnConflict {
                guard var replica = try await store.record(KMSKey.self, named: primary.keyID, in: replicaScope) else { return }
                let missing = primary.materials.filter { version in !replica.materials.contains { $0.version == version.version } }
                guard !missing.isEmpty else { return }
                var values: [(versionID: String, sealed: [UInt8])] = []
                for version in missing {
                    let material = try await self.material(primary, version: version.version)
                    values.append((KMSKey.materialID(version.version), try root.seal(material, purpose: "kms-material", context: "\(replica.arn)\n\(version.version)")))
                }
                let expected = replica.revision
                replica.materials += missing
                replica.revision += 1
                try await store.write(RecordWrite(.update(expectedRevision: expected), scope: replicaScope, record: replica, newValues: values))
            }
        }
    }
}

public import CofferCore
import CofferStorage
public import Foundation

/// Keys whose material their owner imports (`Origin: EXTERNAL`): GetParametersForImport,
/// ImportKeyMaterial, DeleteImportedKeyMaterial, on-demand rotation to newly imported material and
/// the expiry of material past its ValidTo.
///
/// A material the key has had stays named by its id (a keyed digest of key and material) after it
/// is deleted or expires, so that only that material can take its place again; the sealed value
/// itself is removed.
extension KMSService {
    public static let expires = "KEY_MATERIAL_EXPIRES", doesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE"
    private static let tokenPurpose = "kms-import-token"

    /// UnsupportedOperationException for an operation the key's origin does not allow.
    static func originRefused(_ key: KMSKey) -> CofferError {
        CofferError(.unsupportedOperation, "\(key.arn) origin is \(key.origin.rawValue) which is not valid for this operation.")
    }

    /// A wrapping key pair for importing material into `keyID`, and the token that carries its
    /// private half sealed under the root key and bound to the key: valid for 24 hours.
    public func parametersForImport(_ keyID: String, algorithm: String, wrappingKeySpec: String, in scope: ResourceScope) async throws
        -> (key: KMSKey, token: [UInt8], publicKey: [UInt8], validTo: Date)
    {
        let key = try await resolve(keyID, in: scope, aliases: false)
        guard key.origin == .external else { throw Self.originRefused(key) }
        try Self.requireNotPendingDeletion(key)
        guard let wrapping = KeyImport.WrappingAlgorithm(rawValue: algorithm) else {
            throw algorithm == "SM2PKE" ? CofferError(.unsupportedOperation, "SM2PKE is supported only in China Regions.")
                : CofferError(.unsupportedOperation, "The wrapping algorithm \(algorithm) is no longer supported for importing key material.")
        }
        guard let bits = KeyImport.wrappingKeySpecs[wrappingKeySpec] else {
            throw CofferError(.unsupportedOperation, "\(wrappingKeySpec) wrapping keys are supported only in China Regions.")
        }
        let (privateKey, publicKey) = try KeyImport.newWrappingKey(bits: bits)
        let validTo = clock.now().addingTimeInterval(KeyImport.parametersLifetime)
        let token = KeyImport.Token(keyARN: key.arn, algorithm: wrapping, validTo: validTo, privateKey: privateKey)
        return (key, try root.seal(token.bytes, purpose: Self.tokenPurpose, context: key.arn), publicKey, validTo)
    }

    /// Imports material the owner encrypted under a public key from GetParametersForImport. The first
    /// material becomes the key's; `EXISTING_KEY_MATERIAL` (the default after it) imports an associated
    /// material again (after a deletion or expiry, or to change its expiration); `NEW_KEY_MATERIAL` on a
    /// symmetric key adds material that RotateKeyOnDemand then makes current. The key becomes usable once
    /// every associated material is in place (a disabled key stays disabled).
    public func importKeyMaterial(_ keyID: String, token sealedToken: [UInt8], encrypted: [UInt8], expirationModel: String?, validTo: Date?,
                                  importType: String?, description: String?, materialID expectedID: String?, in scope: ResourceScope) async throws
        -> (key: KMSKey, materialID: String)
    {
        let model = expirationModel ?? Self.expires
        let now = clock.now()
        if model == Self.expires {
            guard let validTo else { throw CofferError.validation("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES") }
            guard validTo > now else { throw CofferError.validation("ValidTo must be in the future.") }
            guard validTo <= now.addingTimeInterval(KeyImport.longestValidity) else {
                throw CofferError.validation("ValidTo must be no more than 365 days in the future.")
            }
        } else if validTo != nil {
            throw CofferError.validation("The parameter ValidTo cannot be specified for a key with an expiration model of KEY_MATERIAL_DOES_NOT_EXPIRE")
        }
        if importType == "NEW_KEY_MATERIAL", expectedID != nil {
            throw CofferError.validation("You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.")
        }
        return try await retryingOnConflict {
            let current = try await resolve(keyID, in: scope, aliases: false)
            guard current.origin == .external else { throw Self.originRefused(current) }
            try Self.requireNotPendingDeletion(current)
            if current.keySpec != .symmetricDefault, importType != nil || expectedID != nil || description != nil {
                throw CofferError.validation("ImportType, KeyMaterialId and KeyMaterialDescription are supported only for symmetric encryption KMS keys.")
            }
            guard let opened = try? root.open(sealedToken, purpose: Self.tokenPurpose, context: current.arn),
                let token = KeyImport.Token(bytes: opened), token.keyARN == current.arn
            else { throw CofferError(.invalidImportToken, "Import token is not valid for this KMS key.") }
            guard token.validTo > now else { throw CofferError(.expiredImportToken, "Import token has expired.") }
            let material = try KeyImport.material(try KeyImport.unwrap(encrypted, token: token), for: current.keySpec)
            let id = KeyImport.materialID(keyID: current.keyID, material: material, key: root.derive("kms-imported-material-id"))
            if let expectedID, expectedID != id {
                throw CofferError(.incorrectKeyMaterial, "The key material does not match KeyMaterialId \(expectedID).")
            }
            var updated = current
            var index = current.materials.firstIndex { $0.materialID == id }
            switch importType ?? (current.materials.isEmpty ? "NEW_KEY_MATERIAL" : "EXISTING_KEY_MATERIAL") {
            case "EXISTING_KEY_MATERIAL":
                guard index != nil else {
                    throw CofferError(.incorrectKeyMaterial, "The key material does not match any key material previously imported into this KMS key.")
                }
            default:
                guard index == nil else {
                    throw CofferError(.incorrectKeyMaterial, "This key material is already associated with this KMS key: import it with ImportType EXISTING_KEY_MATERIAL.")
                }
                if !current.materials.isEmpty {
                    if current.isMultiRegion { throw Self.originRefused(current) }
                    if current.pendingMaterial != nil {
                        throw CofferError(.keyInvalidState, "\(current.arn) already has key material pending rotation: rotate to it or delete it first.")
                    }
                }
                let version = (current.materials.map(\.version).max() ?? 0) + 1
                var added = KeyMaterialVersion(version: version, materialID: id, createdDate: now, rotationType: nil)
                added.pendingRotation = current.materials.isEmpty ? nil : true
                updated.materials.append(added)
                index = updated.materials.count - 1
            }
            guard let index else { throw CofferError(.internalFailure, "") }
            let wasInPlace = updated.materials[index].imported == true
            updated.materials[index].imported = true
            updated.materials[index].expirationModel = model
            updated.materials[index].validTo = model == Self.expires ? validTo : nil
            if let description { updated.materials[index].materialDescription = description }
            if updated.state == .pendingImport, updated.holdsImportedMaterial { updated.state = .enabled }
            updated.revision += 1
            // Material already in place is the same material: only its expiration changes.
            let version = updated.materials[index].version
            let values = wasInPlace ? []
                : [(KMSKey.materialID(version), try root.seal(material, purpose: "kms-material", context: materialContext(current.arn, version)))]
            try await store.write(RecordWrite(.update(expectedRevision: current.revision), scope: scope, record: updated, newValues: values))
            return (updated, id)
        }
    }

    /// Deletes imported material (the current one unless `materialID` names another). The key waits for
    /// the same material to be imported again (a key pending deletion keeps its state); material pending
    /// rotation is not the key's yet, so deleting it only drops it.
    public func deleteImportedKeyMaterial(_ keyID: String, materialID: String?, in scope: ResourceScope) async throws
        -> (key: KMSKey, materialID: String?)
    {
        try await retryingOnConflict {
            let current = try await resolve(keyID, in: scope, aliases: false)
            guard current.origin == .external else { throw Self.originRefused(current) }
            let target = materialID.map { id in current.materials.first { $0.materialID == id } } ?? current.currentMaterial
            guard let target else {
                if let materialID { throw CofferError(.notFound, "Key material \(materialID) does not exist for \(current.arn).") }
                return (current, nil)
            }
            return (try await withoutMaterials(current, [target.version], scope), target.materialID)
        }
    }

    /// RotateKeyOnDemand on an imported key: the material imported with NEW_KEY_MATERIAL becomes current.
    func rotateToImportedMaterial(_ key: KMSKey, in scope: ResourceScope) async throws -> KMSKey {
        guard key.keySpec == .symmetricDefault, !key.isMultiRegion else {
            throw CofferError(.unsupportedOperation, "\(key.arn) key spec \(key.keySpec.rawValue) does not support on-demand key rotation.")
        }
        guard let pending = key.pendingMaterial, let index = key.materials.firstIndex(where: { $0.version == pending.version }) else {
            throw CofferError(.keyInvalidState, "No available key material pending rotation for the key: \(key.arn).")
        }
        var updated = key
        var rotated = updated.materials.remove(at: index)
        rotated.pendingRotation = nil
        rotated.rotationType = "ON_DEMAND"
        rotated.createdDate = clock.now()
        updated.materials.append(rotated)
        updated.revision += 1
        try await store.write(RecordWrite(.update(expectedRevision: key.revision), scope: scope, record: updated))
        return updated
    }

    /// Deletes imported material past its ValidTo in every key, so that it does not wait at rest for its
    /// key's next use (which would delete it too); the background job calls it.
    func expireDueMaterial(now: Date) async throws {
        for scope in try await knownScopes() {
            for key in try await store.records(KMSKey.self, in: scope) where key.nextMaterialExpiry.map({ $0 <= now }) ?? false {
                _ = try await expireImportedMaterial(key, scope)
            }
        }
    }

    /// Material past its ValidTo is deleted, as AWS does, with a DeleteExpiredKeyMaterial service event.
    func expireImportedMaterial(_ key: KMSKey, _ scope: ResourceScope) async throws -> KMSKey {
        let events = ServiceEvents.scope(source: "kms.amazonaws.com", random: random, time: clock.now) { _ in "DeleteExpiredKeyMaterial" }
        return try await AuditScope.$current.withValue(events) {
            try await retryingOnConflict {
                guard let current = try await store.record(KMSKey.self, arn: key.arn) else { return key }
                let now = clock.now()
                let expired = current.materials.filter { $0.imported == true && ($0.validTo.map { $0 <= now } ?? false) }.map(\.version)
                return expired.isEmpty ? current : try await withoutMaterials(current, expired, scope)
            }
        }
    }

    /// Takes the sealed values of `versions` away: material pending rotation leaves the key, associated
    /// material stays named (so only it can come back) and the key waits for it.
    private func withoutMaterials(_ current: KMSKey, _ versions: [UInt32], _ scope: ResourceScope) async throws -> KMSKey {
        var updated = current
        var removed: [String] = []
        for version in versions {
            guard let index = updated.materials.firstIndex(where: { $0.version == version }) else { continue }
            if updated.materials[index].imported == true { removed.append(KMSKey.materialID(version)) }
            if updated.materials[index].pendingRotation == true {
                updated.materials.remove(at: index)
            } else {
                updated.materials[index].imported = false
                updated.materials[index].expirationModel = nil
                updated.materials[index].validTo = nil
            }
        }
        if !updated.holdsImportedMaterial, !current.state.isPendingDeletion { updated.state = .pendingImport }
        guard updated != current else { return current }
        updated.revision += 1
        try await store.write(RecordWrite(.update(expectedRevision: current.revision), scope: scope, record: updated, removedVersionIDs: removed))
        forgetMaterial(current)
        return updated
    }
}

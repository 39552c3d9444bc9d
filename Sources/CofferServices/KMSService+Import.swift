public import CofferCore
public import CofferStorage
public import Foundation

/// Keys whose material their owner imports (`Origin: EXTERNAL`): GetParametersForImport,
/// ImportKeyMaterial, DeleteImportedKeyMaterial and the expiry of material past its ValidTo.
///
/// Coffer keeps one material per such key, as AWS did before on-demand rotation of imported
/// material: it can be deleted and imported again, but only the same material (its id is a keyed
/// digest of key and material, so a different one is recognised without keeping the old one).
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
                : CofferError.validation("The wrapping algorithm \(algorithm) is no longer supported for importing key material.")
        }
        guard let bits = KeyImport.wrappingKeySpecs[wrappingKeySpec] else {
            throw CofferError(.unsupportedOperation, "\(wrappingKeySpec) wrapping keys are supported only in China Regions.")
        }
        let (privateKey, publicKey) = try KeyImport.newWrappingKey(bits: bits)
        let validTo = clock.now().addingTimeInterval(KeyImport.parametersLifetime)
        let token = KeyImport.Token(keyARN: key.arn, algorithm: wrapping, validTo: validTo, privateKey: privateKey)
        return (key, try root.seal(token.bytes, purpose: Self.tokenPurpose, context: key.arn), publicKey, validTo)
    }

    /// Imports material the owner encrypted under a public key from GetParametersForImport; the key
    /// becomes usable (a disabled key stays disabled). Importing the same material again changes its
    /// expiration; other material is refused.
    public func importKeyMaterial(_ keyID: String, token sealedToken: [UInt8], encrypted: [UInt8], expirationModel: String?, validTo: Date?,
                                  importType: String?, materialID expectedID: String?, in scope: ResourceScope) async throws
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
        return try await retryingOnConflict {
            let current = try await resolve(keyID, in: scope, aliases: false)
            guard current.origin == .external else { throw Self.originRefused(current) }
            try Self.requireNotPendingDeletion(current)
            if current.keySpec != .symmetricDefault, importType != nil || expectedID != nil {
                throw CofferError.validation("ImportType and KeyMaterialId are supported only for symmetric encryption KMS keys.")
            }
            guard let opened = try? root.open(sealedToken, purpose: Self.tokenPurpose, context: current.arn),
                let token = KeyImport.Token(bytes: opened), token.keyARN == current.arn
            else { throw CofferError(.invalidImportToken, "Import token is not valid for this KMS key.") }
            guard token.validTo > now else { throw CofferError(.expiredImportToken, "Import token has expired.") }
            let material = try KeyImport.material(try KeyImport.unwrap(encrypted, token: token), for: current.keySpec)
            let id = KeyImport.materialID(keyID: current.keyID, material: material, key: root.derive("kms-imported-material-id"))
            let previous = current.materials.first
            if let previous, previous.materialID != id {
                throw CofferError(.incorrectKeyMaterial, "The key material does not match the key material previously imported into this KMS key.")
            }
            if let expectedID, expectedID != id {
                throw CofferError(.incorrectKeyMaterial, "The key material does not match KeyMaterialId \(expectedID).")
            }
            if importType == "NEW_KEY_MATERIAL", previous != nil {
                throw CofferError(.unsupportedOperation, "Coffer keeps one imported key material per KMS key: import the same key material with ImportType EXISTING_KEY_MATERIAL.")
            }
            if importType == "EXISTING_KEY_MATERIAL", previous == nil {
                throw CofferError(.incorrectKeyMaterial, "No key material was imported into this KMS key before.")
            }
            var updated = current
            updated.materials = [KeyMaterialVersion(version: 1, materialID: id, createdDate: previous?.createdDate ?? now, rotationType: nil)]
            updated.expirationModel = model
            updated.validTo = model == Self.expires ? validTo : nil
            if updated.state == .pendingImport { updated.state = .enabled }
            updated.revision += 1
            // Material already in place is the same material: only the expiration changes.
            let values = current.holdsImportedMaterial ? []
                : [(KMSKey.materialID(1), try root.seal(material, purpose: "kms-material", context: materialContext(current.arn, 1)))]
            try await store.write(RecordWrite(.update(expectedRevision: current.revision), scope: scope, record: updated, newValues: values))
            return (updated, id)
        }
    }

    /// Deletes imported material; the key waits for the same material to be imported again (a key
    /// pending deletion keeps its state).
    public func deleteImportedKeyMaterial(_ keyID: String, materialID: String?, in scope: ResourceScope) async throws
        -> (key: KMSKey, materialID: String?)
    {
        try await retryingOnConflict {
            let current = try await resolve(keyID, in: scope, aliases: false)
            guard current.origin == .external else { throw Self.originRefused(current) }
            if let materialID, current.materials.first?.materialID != materialID {
                throw CofferError(.notFound, "Key material \(materialID) does not exist for \(current.arn).")
            }
            return (try await withoutImportedMaterial(current, scope), current.materials.first?.materialID)
        }
    }

    /// Material past its ValidTo is deleted, as AWS does, with a DeleteExpiredKeyMaterial service event.
    func expireImportedMaterial(_ key: KMSKey, _ scope: ResourceScope) async throws -> KMSKey {
        let events = ServiceEvents.scope(source: "kms.amazonaws.com", random: random, time: clock.now) { _ in "DeleteExpiredKeyMaterial" }
        return try await AuditScope.$current.withValue(events) {
            try await retryingOnConflict {
                guard let current = try await store.record(KMSKey.self, arn: key.arn) else { return key }
                guard let validTo = current.validTo, validTo <= clock.now() else { return current }
                return try await withoutImportedMaterial(current, scope)
            }
        }
    }

    private func withoutImportedMaterial(_ current: KMSKey, _ scope: ResourceScope) async throws -> KMSKey {
        var updated = current
        updated.expirationModel = nil
        updated.validTo = nil
        if !current.state.isPendingDeletion { updated.state = .pendingImport }
        guard updated != current else { return current }
        updated.revision += 1
        try await store.write(RecordWrite(.update(expectedRevision: current.revision), scope: scope, record: updated,
                                          removedVersionIDs: current.holdsImportedMaterial ? [KMSKey.materialID(1)] : []))
        forgetMaterial(current)
        return updated
    }
}

@testable import CofferServices
import CofferCore
import CofferStorage
import Foundation
import Testing
import _CryptoExtras

/// Imported material as the service keeps it: two services on one store stand for two nodes, each
/// with its own cache of opened material.
@Suite struct KMSImportTests {
    let scope = ResourceScope(account: "123456789012", region: "us-east-1")
    let clock = ManualClock()
    let store = MemoryStore()
    let root = RootKey.generate(random: SystemRandomSource())
    func node() -> KMSService { KMSService(store: store, root: root, clock: clock, random: SystemRandomSource()) }

    func importMaterial(_ kms: KMSService, _ keyID: String, _ material: [UInt8], type: String? = nil) async throws -> String {
        let parameters = try await kms.parametersForImport(keyID, algorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048", in: scope)
        let publicKey = try _RSA.Encryption.PublicKey(derRepresentation: parameters.publicKey)
        let encrypted = Array(try publicKey.encrypt(material, padding: .PKCS1_OAEP_SHA256))
        return try await kms.importKeyMaterial(keyID, token: parameters.token, encrypted: encrypted, expirationModel: KMSService.doesNotExpire,
                                               validTo: nil, importType: type, description: nil, materialID: nil, in: scope).materialID
    }

    /// Material dropped before its rotation gives its version to the next import: a node that had
    /// opened the dropped material must not use it for the new one.
    @Test func aVersionGivenToOtherMaterialIsOpenedAgainOnEveryNode() async throws {
        let a = node(), b = node()
        let key = try await a.createKey(spec: .symmetricDefault, usage: nil, description: "", policy: nil, tags: [], origin: .external, in: scope)
        _ = try await importMaterial(a, key.keyID, Array(repeating: 1, count: 32))
        let dropped = try await importMaterial(a, key.keyID, Array(repeating: 2, count: 32), type: "NEW_KEY_MATERIAL")
        let pending = try await b.describeKey(key.keyID, in: scope)
        #expect(pending.pendingMaterial?.version == 2 && !pending.decrypts(version: 2) && pending.decrypts(version: 1))
        #expect(try await b.material(pending, version: 2) == Array(repeating: 2, count: 32))

        _ = try await a.deleteImportedKeyMaterial(key.keyID, materialID: dropped, in: scope)
        _ = try await importMaterial(a, key.keyID, Array(repeating: 3, count: 32), type: "NEW_KEY_MATERIAL")
        let rotated = try await a.rotateKeyOnDemand(key.keyID, in: scope)
        #expect(rotated.currentMaterial?.version == 2 && rotated.state == .enabled)
        #expect(try await b.material(try await b.describeKey(key.keyID, in: scope), version: 2) == Array(repeating: 3, count: 32))
    }

    @Test func expiredMaterialLeavesTheKeyWaitingForIt() async throws {
        let kms = node()
        let key = try await kms.createKey(spec: .hmac256, usage: .generateVerifyMAC, description: "", policy: nil, tags: [], origin: .external, in: scope)
        let parameters = try await kms.parametersForImport(key.keyID, algorithm: "RSAES_OAEP_SHA_1", wrappingKeySpec: "RSA_2048", in: scope)
        let encrypted = Array(try _RSA.Encryption.PublicKey(derRepresentation: parameters.publicKey).encrypt(Array(repeating: 9, count: 40), padding: .PKCS1_OAEP))
        let validTo = clock.now().addingTimeInterval(3_600)
        let imported = try await kms.importKeyMaterial(key.keyID, token: parameters.token, encrypted: encrypted, expirationModel: nil, validTo: validTo,
                                                       importType: nil, description: nil, materialID: nil, in: scope).key
        #expect(imported.state == .enabled && imported.validTo == validTo && imported.expirationModel == KMSService.expires)
        clock.advance(days: 1)
        // The background job deletes it without anyone asking for the key.
        _ = try await kms.runMaintenance()
        let stored = try #require(try await store.record(KMSKey.self, arn: key.arn))
        #expect(stored.state == .pendingImport && stored.materials.allSatisfy { $0.imported == false })
        #expect(try await store.sealedValue(arn: key.arn, versionID: KMSKey.materialID(1)) == nil)
        let expired = try await kms.describeKey(key.keyID, in: scope)
        #expect(expired.state == .pendingImport && expired.validTo == nil && !expired.holdsImportedMaterial)
        #expect(await errorCode { _ = try await kms.generateMac(key.keyID, message: [1], algorithm: "HMAC_SHA_256", in: scope) } == .keyInvalidState)
        // The token outlived its day too.
        #expect(await errorCode {
            _ = try await kms.importKeyMaterial(key.keyID, token: parameters.token, encrypted: encrypted, expirationModel: KMSService.doesNotExpire,
                                                validTo: nil, importType: nil, description: nil, materialID: nil, in: self.scope)
        } == .expiredImportToken)
    }
}

@testable import CofferCore
import Crypto
import Foundation
import Testing
import _CryptoExtras

@Suite struct KeyImportTests {
    func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    /// RFC 5649 section 6's two examples, and the same wraps with one bit changed.
    @Test func unwrapsAESKeyWrapWithPaddingAsRFC5649Shows() {
        let kek = SymmetricKey(data: bytes("5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8"))
        let twenty = bytes("138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a")
        #expect(KeyImport.unwrapWithPadding(twenty, kek: kek) == bytes("c37b7e6492584340 bed1220780894115 5068f738"))
        let seven = bytes("afbeb0f07dfbf541 9200f2ccb50bb24f")
        #expect(KeyImport.unwrapWithPadding(seven, kek: kek) == bytes("466f7250617369"))
        var tampered = twenty
        tampered[9] ^= 1
        #expect(KeyImport.unwrapWithPadding(tampered, kek: kek) == nil)
        #expect(KeyImport.unwrapWithPadding(Array(seven.dropLast(8)), kek: kek) == nil)
        #expect(KeyImport.unwrapWithPadding(twenty, kek: SymmetricKey(size: .bits192)) == nil)
    }

    @Test func unwrapsMaterialEncryptedUnderTheTokensPublicKey() throws {
        let (privateKey, publicKeyDER) = try KeyImport.newWrappingKey(bits: 2048)
        let publicKey = try _RSA.Encryption.PublicKey(derRepresentation: publicKeyDER)
        let material = Array((0..<32).map { UInt8($0) })
        for (algorithm, padding) in [(KeyImport.WrappingAlgorithm.rsaesOAEPSHA256, _RSA.Encryption.Padding.PKCS1_OAEP_SHA256),
                                     (.rsaesOAEPSHA1, .PKCS1_OAEP)] {
            let token = KeyImport.Token(keyARN: "arn:aws:kms:us-east-1:123456789012:key/k", algorithm: algorithm,
                                        validTo: Date(timeIntervalSince1970: 2_000_000_000), privateKey: privateKey)
            let encrypted = Array(try publicKey.encrypt(material, padding: padding))
            #expect(try KeyImport.unwrap(encrypted, token: token) == material)
            var corrupted = encrypted
            corrupted[0] ^= 0xFF
            #expect(throws: CofferError(.invalidCiphertext, "")) { try KeyImport.unwrap(corrupted, token: token) }
        }
        // Encrypted with SHA-1 padding, opened as SHA-256: refused, as AWS refuses the wrong algorithm.
        let token = KeyImport.Token(keyARN: "k", algorithm: .rsaesOAEPSHA256, validTo: .distantFuture, privateKey: privateKey)
        #expect(throws: CofferError.self) { try KeyImport.unwrap(Array(try publicKey.encrypt(material, padding: .PKCS1_OAEP)), token: token) }
    }

    @Test func aTokenReadsBackAsWrittenAndNothingElseReadsAsOne() throws {
        let token = KeyImport.Token(keyARN: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                                    algorithm: .rsaAESKeyWrapSHA256, validTo: Date(timeIntervalSince1970: 1_800_000_000), privateKey: [1, 2, 3])
        #expect(KeyImport.Token(bytes: token.bytes) == token)
        #expect(KeyImport.Token(bytes: Array(token.bytes.prefix(10))) == nil)
        #expect(KeyImport.Token(bytes: Array("CIT2".utf8) + token.bytes.dropFirst(4)) == nil)
        #expect(KeyImport.Token(bytes: []) == nil)
    }

    @Test func materialMustFitTheKeySpec() throws {
        #expect(try KeyImport.material(Array(repeating: 7, count: 32), for: .symmetricDefault).count == 32)
        for count in [16, 31, 33, 64] {
            #expect(throws: CofferError.self) { try KeyImport.material(Array(repeating: 7, count: count), for: .symmetricDefault) }
        }
        #expect(try KeyImport.material(Array(repeating: 7, count: 28), for: .hmac224).count == 28)
        #expect(throws: CofferError.self) { try KeyImport.material(Array(repeating: 7, count: 27), for: .hmac224) }
        #expect(throws: CofferError.self) { try KeyImport.material(Array(repeating: 7, count: 129), for: .hmac512) }
        let ecc = P256.Signing.PrivateKey()
        #expect(try KeyImport.material(Array(ecc.derRepresentation), for: .eccNistP256) == Array(ecc.derRepresentation))
        #expect(throws: CofferError.self) { try KeyImport.material(Array(ecc.derRepresentation), for: .eccNistP384) }
        #expect(throws: CofferError.self) { try KeyImport.material(Array(ecc.derRepresentation), for: .rsa2048) }
    }

    @Test func theMaterialIdDependsOnKeyAndMaterialOnly() {
        let key = SymmetricKey(size: .bits256)
        let id = KeyImport.materialID(keyID: "k1", material: [1, 2, 3], key: key)
        #expect(id.count == 64 && id == KeyImport.materialID(keyID: "k1", material: [1, 2, 3], key: key))
        #expect(id != KeyImport.materialID(keyID: "k2", material: [1, 2, 3], key: key))
        #expect(id != KeyImport.materialID(keyID: "k1", material: [1, 2, 4], key: key))
        #expect(id != KeyImport.materialID(keyID: "k1", material: [1, 2, 3], key: SymmetricKey(size: .bits256)))
    }
}

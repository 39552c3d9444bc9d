@testable import CofferCore
import Crypto
import Testing

@Suite struct EnvelopeTests {
    let random = SystemRandomSource()
    let key = WrappingKey(keyID: "test-key", version: 3, key: SymmetricKey(size: .bits256))

    func open(_ blob: [UInt8], context: String, with wrapping: WrappingKey) throws -> [UInt8] {
        try Envelope.open(blob, context: context) { (_) throws(CofferError) in wrapping }
    }

    @Test func sealsAndOpensWithTheSameContext() throws {
        let blob = try Envelope.seal(Array("canary-value".utf8), context: "arn\nv1", under: key, random: random)
        #expect(try Envelope.header(of: blob) == Envelope.Header(keyID: "test-key", version: 3))
        #expect(try open(blob, context: "arn\nv1", with: key) == Array("canary-value".utf8))
        #expect(!String(decoding: blob, as: UTF8.self).contains("canary-value"))
    }

    /// Values stored before are sealed under these exact bytes: service, resource and version a line each.
    @Test func buildsTheStoredValuesContextLineByLine() {
        let arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
        #expect(Envelope.context(service: "secretsmanager", resource: arn, version: "v-1") == "secretsmanager\n\(arn)\nv-1")
        #expect(Envelope.context(service: "ssm", resource: "", version: "12") == "ssm\n\n12")
        #expect(Array(Envelope.context(service: "ssm", resource: "é/ü", version: "3").utf8) == Array("ssm\né/ü\n3".utf8))
    }

    @Test func refusesAnotherContextOrKey() throws {
        let blob = try Envelope.seal([1, 2, 3], context: "arn\nv1", under: key, random: random)
        #expect(throws: CofferError.self) { try open(blob, context: "arn\nv2", with: key) }
        let other = WrappingKey(keyID: "test-key", version: 3, key: SymmetricKey(size: .bits256))
        #expect(throws: CofferError.self) { try open(blob, context: "arn\nv1", with: other) }
        #expect(throws: CofferError.self) { try open(Array(blob.dropLast()), context: "arn\nv1", with: key) }
    }

    @Test func cachedDataKeysOpenOnlyWithTheSameMaterialAndContext() throws {
        let cache = DataKeyCache(capacity: 2)
        let blob = try Envelope.seal(Array("cached".utf8), context: "arn\nv1", under: key, random: random)
        let parts = try Envelope.Parsed(blob)
        #expect(try Envelope.open(parts, context: "arn\nv1", under: key, dataKeys: cache) == Array("cached".utf8))
        #expect(cache.count == 1)
        #expect(try Envelope.open(parts, context: "arn\nv1", under: key, dataKeys: cache) == Array("cached".utf8))
        // Other material under the same id and version, or another context, still fails with the key cached.
        let other = WrappingKey(keyID: "test-key", version: 3, key: SymmetricKey(size: .bits256))
        #expect(throws: CofferError.self) { try Envelope.open(parts, context: "arn\nv1", under: other, dataKeys: cache) }
        #expect(throws: CofferError.self) { try Envelope.open(parts, context: "arn\nv2", under: key, dataKeys: cache) }
        // A header naming another key than the one given is opened without the cache.
        let renamed = WrappingKey(keyID: "renamed", version: 3, key: SymmetricKey(size: .bits256))
        let foreign = try Envelope.Parsed(try Envelope.seal([7], context: "c", under: renamed, random: random))
        #expect(throws: CofferError.self) { try Envelope.open(foreign, context: "c", under: key, dataKeys: cache) }
        for index in 0..<3 {
            let sealed = try Envelope.seal([UInt8(index)], context: "c", under: key, random: random)
            #expect(try Envelope.open(try Envelope.Parsed(sealed), context: "c", under: key, dataKeys: cache) == [UInt8(index)])
        }
        #expect(cache.count <= 2)
    }

    /// The nonce is the first twelve bytes of a seal: drawn from the random pool, never repeated,
    /// including across a refill of the pool (4,096 bytes, so 400 seals cross it).
    @Test func everySealTakesAFreshNonce() throws {
        let material = SymmetricKey(size: .bits256)
        var nonces = Set<[UInt8]>()
        for _ in 0..<400 {
            let sealed = try AEAD.seal([7, 7, 7], key: material, aad: [])
            nonces.insert(Array(sealed.prefix(AEAD.nonceSize)))
            #expect(try AEAD.open(sealed, key: material, aad: []) == [7, 7, 7])
        }
        #expect(nonces.count == 400)
        #expect(!nonces.contains([UInt8](repeating: 0, count: AEAD.nonceSize)))
    }

    @Test func thePoolHandsEachByteOutOnce() {
        var pool = RandomPool()
        var first = [UInt8](repeating: 0, count: 12), second = first
        first.withUnsafeMutableBytes { pool.take(into: $0.baseAddress!, count: 12) }
        second.withUnsafeMutableBytes { pool.take(into: $0.baseAddress!, count: 12) }
        let third = pool.take(12)
        #expect(Set([first, second, third]).count == 3)
        #expect(!first.allSatisfy { $0 == 0 })
        #expect(pool.take(0).isEmpty)
        #expect(SystemRandomSource().bytes(0).isEmpty)
    }

    @Test func rootKeySealsPerPurpose() throws {
        let root = RootKey.generate(random: random)
        let sealed = try root.seal([9, 9], purpose: "access-keys", context: "AKID")
        #expect(try root.open(sealed, purpose: "access-keys", context: "AKID") == [9, 9])
        #expect(throws: CofferError.self) { try root.open(sealed, purpose: "other", context: "AKID") }
        #expect(String(describing: root) == "RootKey(<redacted>)")
    }
}

@Suite struct KMSCryptoTests {
    @Test func sha224MatchesFIPSVectors() {
        #expect(Hex.encode(KeyCrypto.sha224ForTesting(Array("abc".utf8))) == "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")
        #expect(Hex.encode(KeyCrypto.sha224ForTesting([])) == "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f")
    }

    @Test func hmac224MatchesRFC4231() throws {
        // RFC 4231 test case 2.
        let mac = try KeyCrypto.mac(.hmac224, material: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44")
    }

    /// The AEAD layout is swift-crypto's `combined` one, both ways, for every plaintext size a value
    /// can have (the root key's sealed rows written before the direct BoringSSL calls still open).
    @Test func aeadMatchesSwiftCryptosCombinedLayout() throws {
        for size in [0, 1, 15, 16, 17, 200, 4096] {
            for keySize in [16, 32] {
                let key = SymmetricKey(size: keySize == 16 ? .bits128 : .bits256)
                let plaintext = SystemRandomSource().bytes(size), aad = Array("arn:aws:secretsmanager:x".utf8)
                let ours = try AEAD.seal(plaintext, key: key, aad: aad)
                #expect(ours.count == 12 + size + 16)
                #expect(Array(try AES.GCM.open(try AES.GCM.SealedBox(combined: ours), using: key, authenticating: aad)) == plaintext)
                let theirs = try #require(try AES.GCM.seal(plaintext, using: key, authenticating: aad).combined)
                #expect(try AEAD.open(Array(theirs), key: key, aad: aad) == plaintext)
                var tampered = ours
                tampered[tampered.count - 1] ^= 1
                #expect(throws: CofferError.self) { try AEAD.open(tampered, key: key, aad: aad) }
                #expect(throws: CofferError.self) { try AEAD.open(ours, key: key, aad: aad + [0]) }
                #expect(throws: CofferError.self) { try AEAD.open(Array(ours.prefix(27)), key: key, aad: aad) }
            }
        }
        #expect(try AEAD.seal([1], key: SymmetricKey(size: .bits256), aad: []) != AEAD.seal([1], key: SymmetricKey(size: .bits256), aad: []))
    }

    @Test func ciphertextsBindTheirContextAndName() throws {
        let material = SystemRandomSource().bytes(32)
        let blob = try KMSCiphertext.seal([1, 2, 3], keyID: "k1", version: 2, material: material, context: ["a": "b"])
        #expect(try KMSCiphertext.header(of: blob) == KMSCiphertext.Header(keyID: "k1", version: 2))
        #expect(try KMSCiphertext.open(blob, material: material, context: ["a": "b"]) == [1, 2, 3])
        #expect(throws: CofferError.self) { try KMSCiphertext.open(blob, material: material, context: [:]) }
        #expect(throws: CofferError.self) { try KMSCiphertext.open(blob, material: material, context: ["a": "c"]) }
        #expect(KMSCiphertext.canonical(["ab": "c"]) != KMSCiphertext.canonical(["a": "bc"]))
    }

    @Test(arguments: [KeySpec.rsa2048, .eccNistP256, .eccNistP384, .eccNistP521, .eccSecgP256K1, .eccNistEdwards25519,
                      .mlDSA44, .mlDSA65, .mlDSA87])
    func signaturesVerifyAndRejectOtherMessages(spec: KeySpec) throws {
        let material = try KeyCrypto.generateMaterial(spec, random: SystemRandomSource())
        for algorithm in spec.signingAlgorithms(for: .signVerify) where algorithm != "ED25519_PH_SHA_512" {
            let signature = try KeyCrypto.sign(spec, material: material, message: [1, 2, 3], type: .raw, algorithm: algorithm)
            #expect(try KeyCrypto.verify(spec, material: material, message: [1, 2, 3], type: .raw, algorithm: algorithm, signature: signature))
            #expect(try !KeyCrypto.verify(spec, material: material, message: [1, 2, 4], type: .raw, algorithm: algorithm, signature: signature))
        }
    }

    /// secp256k1's generator is the public point of the private scalar 1 (SEC 2, 2.4.1), and the
    /// scalar sits where the PKCS#8 reader looks for it.
    @Test func secp256k1KeysAreTheCurvesOwn() throws {
        let one = [UInt8](repeating: 0, count: 31) + [1]
        let material = try Secp256k1.pkcs8(privateKey: one)
        #expect(try Secp256k1.scalar(material) == one)
        #expect(Hex.encode(try Secp256k1.publicPoint(one)) == "04" + "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
            + "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
        #expect(Hex.encode(try KeyCrypto.publicKey(.eccSecgP256K1, material: material)).hasPrefix("3056301006072a8648ce3d020106052b8104000a034200"))
        #expect(throws: CofferError.self) { try Secp256k1.scalar(Array(material.dropLast())) }
    }

    /// RFC 8032, section 7.1, test 1: the empty message.
    @Test func ed25519MatchesRFC8032() throws {
        let seed = try #require(Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        let material = Ed25519Keys.pkcs8(seed: seed)
        #expect(Hex.encode(try KeyCrypto.publicKey(.eccNistEdwards25519, material: material))
            == "302a300506032b6570032100" + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(Hex.encode(try KeyCrypto.sign(.eccNistEdwards25519, material: material, message: [], type: .raw, algorithm: "ED25519_SHA_512"))
            == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    }

    /// What each spec signs: the message types AWS refuses, before any key material is touched.
    @Test func messageTypesAreCheckedAgainstSpecAndAlgorithm() throws {
        #expect(throws: CofferError.self) { try KeyCrypto.signingInput(.mlDSA44, message: [1], type: .digest, algorithm: "ML_DSA_SHAKE_256") }
        #expect(throws: CofferError.self) { try KeyCrypto.signingInput(.mlDSA44, message: [1], type: .externalMu, algorithm: "ML_DSA_SHAKE_256") }
        #expect(try KeyCrypto.signingInput(.mlDSA44, message: [UInt8](repeating: 7, count: 64), type: .externalMu, algorithm: "ML_DSA_SHAKE_256").count == 64)
        #expect(throws: CofferError.self) { try KeyCrypto.signingInput(.eccNistP256, message: [UInt8](repeating: 7, count: 64), type: .externalMu, algorithm: "ECDSA_SHA_256") }
        #expect(throws: CofferError.self) { try KeyCrypto.signingInput(.eccNistEdwards25519, message: [1], type: .digest, algorithm: "ED25519_SHA_512") }
        #expect(throws: CofferError.self) { try KeyCrypto.signingInput(.eccNistEdwards25519, message: [1], type: .raw, algorithm: "ED25519_PH_SHA_512") }
        #expect(try KeyCrypto.signingInput(.eccSecgP256K1, message: [1], type: .raw, algorithm: "ECDSA_SHA_256").count == 32)
    }
}

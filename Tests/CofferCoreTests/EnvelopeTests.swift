import CofferCore
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

    @Test func refusesAnotherContextOrKey() throws {
        let blob = try Envelope.seal([1, 2, 3], context: "arn\nv1", under: key, random: random)
        #expect(throws: CofferError.self) { try open(blob, context: "arn\nv2", with: key) }
        let other = WrappingKey(keyID: "test-key", version: 3, key: SymmetricKey(size: .bits256))
        #expect(throws: CofferError.self) { try open(blob, context: "arn\nv1", with: other) }
        #expect(throws: CofferError.self) { try open(Array(blob.dropLast()), context: "arn\nv1", with: key) }
    }

    @Test func rootKeySealsPerPurpose() throws {
        let root = RootKey.generate(random: random)
        let sealed = try root.seal([9, 9], purpose: "access-keys", context: "AKID")
        #expect(try root.open(sealed, purpose: "access-keys", context: "AKID") == [9, 9])
        #expect(throws: CofferError.self) { try root.open(sealed, purpose: "other", context: "AKID") }
        #expect(String(describing: root) == "RootKey(<redacted>)")
    }
}

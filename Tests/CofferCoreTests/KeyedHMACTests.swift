import CofferCore
import Crypto
import Testing

/// Coffer's HMAC-SHA-256 over pre-keyed SHA-256 states must be HMAC: the same bytes as swift-crypto's
/// `HMAC<SHA256>` for keys shorter than, equal to and longer than the block, messages around it,
/// and messages fed in pieces.
@Suite struct KeyedHMACTests {
    @Test func matchesRFC4231() {
        let mac = KeyedHMAC(key: SymmetricKey(data: Array("Jefe".utf8))).authenticationCode(for: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a 131-byte key, hashed first.
        let long = KeyedHMAC(key: SymmetricKey(data: [UInt8](repeating: 0xAA, count: 131)))
            .authenticationCode(for: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(Hex.encode(long) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func matchesSwiftCryptoAtEveryLengthAroundTheBlock() {
        for keyLength in [0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 300] {
            let key = SymmetricKey(data: (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
            let keyed = KeyedHMAC(key: key)
            for messageLength in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000] {
                let message = (0..<messageLength).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ keyLength) }
                let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
                #expect(Array(keyed.authenticationCode(for: message)) == expected, "key \(keyLength), message \(messageLength)")
                // In pieces, from the same keyed state, any number of times.
                var pieces = keyed.started
                let cut = messageLength / 3
                pieces.update(Array(message[..<cut]))
                message[cut...].withUnsafeBytes { pieces.update($0) }
                #expect(Array(pieces.finalize()) == expected)
            }
        }
    }

    @Test func digestsAreWrittenAsTheirBytesInLowercaseHex() {
        for length in [0, 1, 64, 1000] {
            let digest = SHA256.hash(data: [UInt8](repeating: UInt8(length % 256), count: length))
            let bytes = Array(digest)
            #expect(Hex.encode(digest) == Hex.encode(bytes))
            var appended: [UInt8] = [0x2A]
            Hex.append(digest, to: &appended)
            #expect(appended == [0x2A] + Array(Hex.encode(bytes).utf8))
            #expect(Hex.decode(Hex.encode(digest)) == bytes)
        }
        #expect(Hex.encode(SHA256.hash(data: [UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

import CofferCore
import Crypto
import Foundation
import Testing

@Suite struct WebIdentityTokenTests {
    static func b64url(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func token(_ key: P256.Signing.PrivateKey, header: String = #"{"alg":"ES256","kid":"k1"}"#,
                      claims: String = #"{"iss":"https://issuer.example","aud":["a","b"],"sub":"s","exp":2000000000}"#) throws -> String {
        let input = b64url(Array(header.utf8)) + "." + b64url(Array(claims.utf8))
        let signature = try key.signature(for: Array(input.utf8))
        return input + "." + b64url(signature.rawRepresentation)
    }

    static func jwk(_ key: P256.Signing.PrivateKey, kid: String = "k1") -> JSONObject {
        let raw = Array(key.publicKey.rawRepresentation)
        return ["kty": .string("EC"), "kid": .string(kid), "x": .string(b64url(raw.prefix(32))), "y": .string(b64url(raw.suffix(32)))]
    }

    @Test func readsClaimsAndVerifiesAgainstTheIssuersKeys() throws {
        let key = P256.Signing.PrivateKey()
        let token = try WebIdentityToken(Self.token(key))
        #expect(token.string("iss") == "https://issuer.example")
        #expect(token.audiences == ["a", "b"])
        #expect(token.date("exp") == Date(timeIntervalSince1970: 2_000_000_000))
        #expect(token.isSigned(byOneOf: [Self.jwk(key)]))
        #expect(!token.isSigned(byOneOf: [Self.jwk(P256.Signing.PrivateKey())]))
        // A key published under another id is not tried.
        #expect(!token.isSigned(byOneOf: [Self.jwk(key, kid: "k2")]))
    }

    @Test func refusesTamperingAndUnsignedTokens() throws {
        let key = P256.Signing.PrivateKey()
        let parts = try Self.token(key).split(separator: ".").map(String.init)
        let otherClaims = Self.b64url(Array(#"{"iss":"https://issuer.example","aud":"a","sub":"admin","exp":2000000000}"#.utf8))
        #expect(!(try WebIdentityToken([parts[0], otherClaims, parts[2]].joined(separator: "."))).isSigned(byOneOf: [Self.jwk(key)]))
        let none = Self.b64url(Array(#"{"alg":"none"}"#.utf8))
        #expect(!(try WebIdentityToken([none, parts[1], ""].joined(separator: "."))).isSigned(byOneOf: [Self.jwk(key)]))
        let hmac = Self.b64url(Array(#"{"alg":"HS256"}"#.utf8))
        #expect(!(try WebIdentityToken([hmac, parts[1], parts[2]].joined(separator: "."))).isSigned(byOneOf: [Self.jwk(key)]))
        #expect(throws: WebIdentityToken.Malformed.self) { try WebIdentityToken("a.b") }
        #expect(throws: WebIdentityToken.Malformed.self) { try WebIdentityToken("!!!.###.$$$") }
    }
}

@Suite struct TOTPTests {
    /// RFC 6238's SHA-1 test vectors (seed "12345678901234567890"), last six digits.
    @Test(arguments: [(59.0, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")])
    func rfc6238Vectors(seconds: Double, code: String) {
        let seed = Array("12345678901234567890".utf8)
        #expect(TOTP.code(seed: seed, counter: TOTP.counter(at: Date(timeIntervalSince1970: seconds))) == code)
        #expect(TOTP.matchingCounter(code, seed: seed, at: Date(timeIntervalSince1970: seconds + 30)) != nil)
        #expect(TOTP.matchingCounter(code, seed: seed, at: Date(timeIntervalSince1970: seconds + 120)) == nil)
    }

    @Test func base32AsAuthenticatorsReadIt() {
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Base32.encode([]) == "")
    }
}

import Crypto
import _CryptoExtras
public import struct Foundation.Date
import struct Foundation.Data

/// An OpenID Connect ID token (a JWS in compact form) as AssumeRoleWithWebIdentity reads it:
/// the header's algorithm and key id, the claims, and whether a key from the issuer's JWKS signed it.
public struct WebIdentityToken: Sendable {
    public let algorithm: String
    public let keyID: String?
    public let claims: JSONObject
    let signingInput: [UInt8]
    let signature: [UInt8]

    public struct Malformed: Error, Equatable {}

    public init(_ token: String) throws(Malformed) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Self.base64URL(parts[0]), let claimBytes = Self.base64URL(parts[1]),
            let signature = Self.base64URL(parts[2]),
            case .object(let header)? = try? JSONParser.parse(headerBytes), case .object(let claims)? = try? JSONParser.parse(claimBytes),
            case .string(let algorithm)? = header["alg"]
        else { throw Malformed() }
        self.algorithm = algorithm
        if case .string(let kid)? = header["kid"] { keyID = kid } else { keyID = nil }
        self.claims = claims
        self.signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        self.signature = signature
    }

    public func string(_ claim: String) -> String? {
        if case .string(let value)? = claims[claim] { return value }
        return nil
    }

    /// `aud` is a string or a list of strings.
    public var audiences: [String] {
        switch claims["aud"] {
        case .string(let one)?: [one]
        case .array(let many)?: many.compactMap { if case .string(let s) = $0 { s } else { nil } }
        default: []
        }
    }

    public func date(_ claim: String) -> Date? {
        if case .number(let seconds)? = claims[claim] { return Date(timeIntervalSince1970: seconds) }
        return nil
    }

    /// Whether one of the keys (a JWKS's `keys`) with this token's key id signed it. RS256/384/512
    /// and ES256/384 are checked; "none" and HMAC are never accepted.
    public func isSigned(byOneOf keys: [JSONObject]) -> Bool {
        let candidates = keys.filter { key in
            guard let keyID else { return true }
            if case .string(let kid)? = key["kid"] { return kid == keyID }
            return true
        }
        return candidates.contains { verify(with: $0) }
    }

    private func verify(with key: JSONObject) -> Bool {
        func field(_ name: String) -> [UInt8]? {
            if case .string(let text)? = key[name] { return Self.base64URL(Substring(text)) }
            return nil
        }
        switch algorithm {
        case "RS256", "RS384", "RS512":
            guard let n = field("n"), let e = field("e"), let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e) else { return false }
            let signature = _RSA.Signing.RSASignature(rawRepresentation: self.signature)
            switch algorithm {
            case "RS256": return publicKey.isValidSignature(signature, for: SHA256.hash(data: signingInput), padding: .insecurePKCS1v1_5)
            case "RS384": return publicKey.isValidSignature(signature, for: SHA384.hash(data: signingInput), padding: .insecurePKCS1v1_5)
            default: return publicKey.isValidSignature(signature, for: SHA512.hash(data: signingInput), padding: .insecurePKCS1v1_5)
            }
        case "ES256":
            guard let x = field("x"), let y = field("y"), let publicKey = try? P256.Signing.PublicKey(rawRepresentation: x + y),
                let signature = try? P256.Signing.ECDSASignature(rawRepresentation: self.signature)
            else { return false }
            return publicKey.isValidSignature(signature, for: SHA256.hash(data: signingInput))
        case "ES384":
            guard let x = field("x"), let y = field("y"), let publicKey = try? P384.Signing.PublicKey(rawRepresentation: x + y),
                let signature = try? P384.Signing.ECDSASignature(rawRepresentation: self.signature)
            else { return false }
            return publicKey.isValidSignature(signature, for: SHA384.hash(data: signingInput))
        default:
            return false
        }
    }

    static func base64URL(_ text: Substring) -> [UInt8]? {
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}

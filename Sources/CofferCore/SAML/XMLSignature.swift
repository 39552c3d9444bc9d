import Crypto
import _CryptoExtras
import struct Foundation.Data

/// Verifies an enveloped XML signature (XML-DSig) the way SAML uses it: a `Signature` child of the
/// signed element, one `Reference` to that element's `ID`, the enveloped-signature and exclusive
/// canonicalization transforms, and a key the caller trusts (never one the document carries in its
/// `KeyInfo`).
public enum XMLSignature {
    public static let namespace = "http://www.w3.org/2000/09/xmldsig#"
    static let enveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

    enum Hash {
        case sha1, sha256, sha384, sha512

        init?(digest uri: String) {
            switch uri {
            case "http://www.w3.org/2000/09/xmldsig#sha1": self = .sha1
            case "http://www.w3.org/2001/04/xmlenc#sha256": self = .sha256
            case "http://www.w3.org/2001/04/xmldsig-more#sha384": self = .sha384
            case "http://www.w3.org/2001/04/xmlenc#sha512": self = .sha512
            default: return nil
            }
        }

        func digest(_ bytes: [UInt8]) -> [UInt8] {
            switch self {
            case .sha1: Array(Insecure.SHA1.hash(data: bytes))
            case .sha256: Array(SHA256.hash(data: bytes))
            case .sha384: Array(SHA384.hash(data: bytes))
            case .sha512: Array(SHA512.hash(data: bytes))
            }
        }
    }

    enum Method {
        case rsa(Hash), ecdsa(Hash)

        init?(_ uri: String) {
            switch uri {
            case "http://www.w3.org/2000/09/xmldsig#rsa-sha1": self = .rsa(.sha1)
            case "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": self = .rsa(.sha256)
            case "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": self = .rsa(.sha384)
            case "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": self = .rsa(.sha512)
            case "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": self = .ecdsa(.sha256)
            case "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": self = .ecdsa(.sha384)
            default: return nil
            }
        }
    }

    /// The `Signature` element directly under `element`, if it has one (more than one is an error).
    public static func signature(of element: XMLTree.Element) throws(XMLTree.ParseError) -> XMLTree.Element? {
        let signatures = element.elements(namespace, "Signature")
        guard signatures.count <= 1 else { throw XMLTree.ParseError(reason: "more than one signature") }
        return signatures.first
    }

    /// Whether `element`'s enveloped signature covers it (by its `ID`) and verifies under one of
    /// the public keys (SubjectPublicKeyInfo DER). False for any signature this does not handle.
    public static func verify(_ element: XMLTree.Element, publicKeys: [[UInt8]]) -> Bool {
        guard let signature = try? signature(of: element), let id = element.attribute("ID"), !id.isEmpty,
              let signedInfo = only(signature, "SignedInfo"), let valueText = only(signature, "SignatureValue")?.text,
              let signatureValue = base64(valueText),
              let canonicalization = only(signedInfo, "CanonicalizationMethod"),
              canonicalization.attribute("Algorithm") == ExclusiveCanonicalization.algorithm,
              let method = only(signedInfo, "SignatureMethod")?.attribute("Algorithm").flatMap(Method.init),
              let reference = only(signedInfo, "Reference"), reference.attribute("URI") == "#" + id,
              let digestMethod = only(reference, "DigestMethod")?.attribute("Algorithm").flatMap(Hash.init(digest:)),
              let digestText = only(reference, "DigestValue")?.text, let expected = base64(digestText),
              let transforms = only(reference, "Transforms")?.elements(namespace, "Transform")
        else { return false }
        // The transforms must be exactly: enveloped signature, then exclusive canonicalization.
        let algorithms = transforms.map { $0.attribute("Algorithm") ?? "" }
        guard algorithms == [enveloped, ExclusiveCanonicalization.algorithm] else { return false }

        let content = ExclusiveCanonicalization.canonicalize(element, excluding: signature, inclusivePrefixes: prefixes(transforms[1]))
        guard constantTimeEqual(digestMethod.digest(content), expected) else { return false }
        let signed = ExclusiveCanonicalization.canonicalize(signedInfo, inclusivePrefixes: prefixes(canonicalization))
        return publicKeys.contains { verify(signatureValue, over: signed, method: method, publicKey: $0) }
    }

    private static func verify(_ signature: [UInt8], over message: [UInt8], method: Method, publicKey: [UInt8]) -> Bool {
        switch method {
        case .rsa(let hash):
            guard let key = try? _RSA.Signing.PublicKey(derRepresentation: publicKey) else { return false }
            let value = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch hash {
            case .sha1: return key.isValidSignature(value, for: Insecure.SHA1.hash(data: message), padding: .insecurePKCS1v1_5)
            case .sha256: return key.isValidSignature(value, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
            case .sha384: return key.isValidSignature(value, for: SHA384.hash(data: message), padding: .insecurePKCS1v1_5)
            case .sha512: return key.isValidSignature(value, for: SHA512.hash(data: message), padding: .insecurePKCS1v1_5)
            }
        case .ecdsa(.sha256):
            guard let key = try? P256.Signing.PublicKey(derRepresentation: publicKey),
                  let value = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(value, for: SHA256.hash(data: message))
        case .ecdsa(.sha384):
            guard let key = try? P384.Signing.PublicKey(derRepresentation: publicKey),
                  let value = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(value, for: SHA384.hash(data: message))
        case .ecdsa:
            return false
        }
    }

    private static func only(_ element: XMLTree.Element, _ name: String) -> XMLTree.Element? {
        let found = element.elements(namespace, name)
        return found.count == 1 ? found[0] : nil
    }

    /// The `PrefixList` of an `InclusiveNamespaces` child of a canonicalization element.
    private static func prefixes(_ element: XMLTree.Element) -> [String] {
        guard let list = element.first(ExclusiveCanonicalization.algorithm, "InclusiveNamespaces")?.attribute("PrefixList") else { return [] }
        return list.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
    }

    /// Base64 with the line breaks and spaces signers put in it.
    static func base64(_ text: String) -> [UInt8]? {
        Data(base64Encoded: String(text.filter { !$0.isWhitespace })).map(Array.init)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

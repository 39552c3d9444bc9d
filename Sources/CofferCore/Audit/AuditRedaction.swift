public import Crypto

/// Turns a request's or response's JSON members into CloudTrail's `requestParameters` /
/// `responseElements`: lowerCamelCase names, and no secret. Values a reviewer may need to match
/// (a secret string, a parameter value, a plaintext) become a keyed HMAC, as Vault's audit devices
/// keep them; credentials and key material are dropped outright.
public struct AuditRedaction: Sendable {
    /// Members whose values are secret but worth matching across records.
    public static let hashed: Set<String> = ["SecretString", "SecretBinary", "Value", "Plaintext", "Password", "NewPassword",
                                             "OldPassword", "Message"]
    /// Members that are credentials or key material: nothing of them is kept.
    public static let dropped: Set<String> = ["SecretAccessKey", "SessionToken", "PrivateKeyPlaintext", "PrivateKeyCiphertextBlob",
                                              "CiphertextBlob", "CiphertextForRecipient", "SharedSecret", "Signature", "Mac", "TokenCode",
                                              "WebIdentityToken", "SAMLAssertion", "TradeInToken", "RotationToken",
                                              "ImportToken", "EncryptedKeyMaterial",
                                              // Private keys and passwords the models mark sensitive (IAM server certificates, KMS key stores).
                                              "PrivateKey", "AddPrivateKey", "KeyStorePassword", "RawSecretAccessKey",
                                              "AuthenticationCode1", "AuthenticationCode2"]
    /// What CloudTrail writes in place of a value it will not show.
    public static let hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

    let mac: KeyedHMAC

    /// `key` comes from the root key (`RootKey.derive("audit-hmac")`), so hashes match only within one Coffer.
    public init(key: SymmetricKey) { mac = KeyedHMAC(key: key) }

    private enum Treatment { case hashed, dropped }
    /// Both sets in one table: every member of every audited request is looked up once, not twice.
    private static let treatments: [String: Treatment] =
        Dictionary(uniqueKeysWithValues: hashed.map { ($0, Treatment.hashed) } + dropped.map { ($0, Treatment.dropped) })

    public func apply(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var out = JSONObject()
            for (name, member) in object.members {
                switch Self.treatments[name] {
                case .dropped: out.append(Self.camel(name), .string(Self.hidden))
                case .hashed where member != .null: out.append(Self.camel(name), .string(hmac(member)))
                default: out.append(Self.camel(name), apply(member))
                }
            }
            return .object(out)
        case .array(let items):
            return .array(items.map(apply))
        default:
            return value
        }
    }

    /// A query-protocol request's parameters (IAM, STS) as `requestParameters`: without the
    /// protocol's own (`Action`, `Version`) and without a presigned request's SigV4 parameters
    /// (`X-Amz-Signature`, `X-Amz-Security-Token`, ...), which are credentials, not parameters.
    public func apply(query: [String: String]) -> JSONValue {
        var object = JSONObject()
        for (name, value) in query.sorted(by: { $0.key < $1.key })
        where name != "Action" && name != "Version" && !name.lowercased().hasPrefix("x-amz-") {
            object.append(name, .string(value))
        }
        return object.isEmpty ? .null : apply(.object(object))
    }

    /// `hmac-sha256:<hex>` over the value's JSON text.
    public func hmac(_ value: JSONValue) -> String {
        let text = value.stringValue ?? JSONWriter.string(value)
        // Over the text's own bytes: a KMS plaintext is kilobytes, and copying it out was a copy of a secret too.
        return "hmac-sha256:" + Hex.encode(text.withUTF8Bytes { mac.authenticationCode(for: UnsafeRawBufferPointer($0)) })
    }

    /// CloudTrail's member names: the AWS name with its first letter lowered (`SecretId` → `secretId`).
    static func camel(_ name: String) -> String {
        guard let first = name.utf8.first else { return name }
        switch first {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
            // Every member of every request passes here: lower one ASCII byte rather than a Character,
            // in the new string's own buffer.
            return name.withUTF8Bytes { bytes in
                String(unsafeUninitializedCapacity: bytes.count) { out in
                    _ = out.initialize(fromContentsOf: bytes)
                    out[0] = first + 32
                    return bytes.count
                }
            }
        case ..<0x80:
            return name
        default:
            return name.first!.lowercased() + name.dropFirst()
        }
    }
}

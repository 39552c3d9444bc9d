import Crypto

/// The ciphertext blobs of symmetric KMS keys: they name the key and the material version, so
/// Decrypt needs no KeyId and ciphertexts made before a rotation still open after it.
///
/// Layout: "CFK1" | u16 key-id length | key id | u32 material version | AES-256-GCM(nonce, data, tag).
/// The associated data is the header plus the canonical encryption context.
public enum KMSCiphertext {
    static let magic: [UInt8] = Array("CFK1".utf8)

    public typealias Header = CiphertextHeader

    public static func seal(_ plaintext: [UInt8], keyID: String, version: UInt32, material: [UInt8],
                            context: [String: String]) throws(CofferError) -> [UInt8] {
        let header = headerBytes(keyID: keyID, version: version)
        let sealed = try AEAD.seal(plaintext, key: SymmetricKey(data: material), aad: header + canonical(context))
        return header + sealed
    }

    public static func header(of blob: [UInt8]) throws(CofferError) -> Header {
        try parse(blob).header
    }

    public static func open(_ blob: [UInt8], material: [UInt8], context: [String: String]) throws(CofferError) -> [UInt8] {
        let parts = try parse(blob)
        let aad = headerBytes(keyID: parts.header.keyID, version: parts.header.version) + canonical(context)
        do {
            return try AEAD.open(parts.sealed, key: SymmetricKey(data: material), aad: aad)
        } catch {
            throw CofferError(.invalidCiphertext, "")
        }
    }

    static func headerBytes(keyID: String, version: UInt32) -> [UInt8] {
        Header(keyID: keyID, version: version).bytes(magic: magic)
    }

    static func parse(_ blob: [UInt8]) throws(CofferError) -> (header: Header, sealed: [UInt8]) {
        var reader = ByteReader(blob)
        guard let header = Header.read(&reader, magic: magic), reader.rest.count >= 28 else { throw CofferError(.invalidCiphertext, "") }
        return (header, Array(reader.rest))
    }

    /// The encryption context in a canonical form: pairs sorted by key, each length-prefixed.
    public static func canonical(_ context: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        for (key, value) in context.sorted(by: { $0.key < $1.key }) {
            for part in [key, value] {
                let bytes = Array(part.utf8)
                out += [UInt8(bytes.count >> 24 & 0xFF), UInt8(bytes.count >> 16 & 0xFF), UInt8(bytes.count >> 8 & 0xFF), UInt8(bytes.count & 0xFF)]
                out += bytes
            }
        }
        return out
    }
}

/// The start both of Coffer's ciphertext formats share (`Envelope` for sealed values,
/// `KMSCiphertext` for KMS blobs): a four-byte magic, the key id, the key material version.
///
/// Layout: magic | u16 key-id length | key id | u32 material version.
public struct CiphertextHeader: Sendable, Equatable {
    public let keyID: String
    public let version: UInt32
    public init(keyID: String, version: UInt32) {
        self.keyID = keyID
        self.version = version
    }

    func bytes(magic: [UInt8]) -> [UInt8] {
        let id = Array(keyID.utf8)
        var out = magic
        out.reserveCapacity(magic.count + 2 + id.count + 4)
        out += [UInt8(id.count >> 8 & 0xFF), UInt8(id.count & 0xFF)]
        out += id
        out += [UInt8(version >> 24 & 0xFF), UInt8(version >> 16 & 0xFF), UInt8(version >> 8 & 0xFF), UInt8(version & 0xFF)]
        return out
    }

    /// Reads a header from the front of `reader`; nil when the magic or the lengths do not fit.
    static func read(_ reader: inout ByteReader, magic: [UInt8]) -> CiphertextHeader? {
        guard let head = reader.take(magic.count), head.elementsEqual(magic), let length = reader.u16(),
            let id = reader.take(Int(length)), let version = reader.u32()
        else { return nil }
        return CiphertextHeader(keyID: String(decoding: id, as: UTF8.self), version: version)
    }
}

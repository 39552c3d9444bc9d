public import Crypto

/// A key that wraps data keys: one version of one key's material, named so that a ciphertext can
/// say which key and which version opens it.
public struct WrappingKey: Sendable {
    public let keyID: String
    public let version: UInt32
    let key: SymmetricKey

    public init(keyID: String, version: UInt32, key: SymmetricKey) {
        self.keyID = keyID
        self.version = version
        self.key = key
    }
}

/// Envelope encryption: a fresh data key per value, the value sealed by the data key with the
/// caller's associated data (resource ARN and version id, so rows cannot be swapped), the data key
/// sealed by a ``WrappingKey``.
///
/// Layout: "CFE1" | u16 key-id length | key id | u32 material version | u16 wrapped-key length |
/// wrapped data key | sealed value.
public enum Envelope {
    static let magic: [UInt8] = Array("CFE1".utf8)

    /// Which key and material version a ciphertext needs.
    public typealias Header = CiphertextHeader

    public static func seal(
        _ plaintext: [UInt8], context: String, under wrapping: WrappingKey, random: any RandomSource
    ) throws(CofferError) -> [UInt8] {
        let dataKeyBytes = random.bytes(32)
        let dataKey = SymmetricKey(data: dataKeyBytes)
        let wrapped = try AEAD.seal(dataKeyBytes, key: wrapping.key, aad: Array(wrapping.keyID.utf8))
        let sealedValue = try AEAD.seal(plaintext, key: dataKey, aad: Array(context.utf8))
        var out = Header(keyID: wrapping.keyID, version: wrapping.version).bytes(magic: magic)
        out.reserveCapacity(out.count + 2 + wrapped.count + sealedValue.count)
        appendBigEndian(UInt16(wrapped.count), to: &out)
        out.append(contentsOf: wrapped)
        out.append(contentsOf: sealedValue)
        return out
    }

    public static func header(of blob: [UInt8]) throws(CofferError) -> Header {
        try parse(blob).header
    }

    public static func open(
        _ blob: [UInt8], context: String, resolve: (Header) throws(CofferError) -> WrappingKey
    ) throws(CofferError) -> [UInt8] {
        let parts = try parse(blob)
        let wrapping = try resolve(parts.header)
        let dataKeyBytes = try AEAD.open(parts.wrapped, key: wrapping.key, aad: Array(parts.header.keyID.utf8))
        return try AEAD.open(parts.sealed, key: SymmetricKey(data: dataKeyBytes), aad: Array(context.utf8))
    }

    private static func parse(_ blob: [UInt8]) throws(CofferError) -> (header: Header, wrapped: [UInt8], sealed: [UInt8]) {
        var reader = ByteReader(blob)
        guard let header = Header.read(&reader, magic: magic), let wrappedLength = reader.u16(),
            let wrapped = reader.take(Int(wrappedLength))
        else { throw CofferError(.decryptionFailure, "the ciphertext is malformed") }
        return (header, Array(wrapped), Array(reader.rest))
    }

    private static func appendBigEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }
}

struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ n: Int) -> ArraySlice<UInt8>? {
        guard n >= 0, offset + n <= bytes.count else { return nil }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }
    mutating func u16() -> UInt16? { take(2).map { UInt16($0[$0.startIndex]) << 8 | UInt16($0[$0.startIndex + 1]) } }
    mutating func u32() -> UInt32? { take(4).map { $0.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } } }
    var rest: ArraySlice<UInt8> { bytes[offset...] }
}

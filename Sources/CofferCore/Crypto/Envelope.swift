public import Crypto
import Synchronization

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

    /// The associated data a stored value is sealed with: service, resource and version, a line
    /// each. Written into one buffer: an interpolation appended piece by piece (about 1,800
    /// instructions on every read, five appends about as many).
    public static func context(service: StaticString, resource: String, version: String) -> String {
        resource.withUTF8Bytes { resource in
            version.withUTF8Bytes { version in
                let count = service.utf8CodeUnitCount + resource.count + version.count + 2
                return String(unsafeUninitializedCapacity: count) { out in
                    var at = 0
                    put(UnsafeBufferPointer(start: service.utf8Start, count: service.utf8CodeUnitCount), into: out, at: &at)
                    out[at] = 0x0A
                    at += 1
                    put(resource, into: out, at: &at)
                    out[at] = 0x0A
                    at += 1
                    put(version, into: out, at: &at)
                    return at
                }
            }
        }
    }

    @inline(__always)
    private static func put(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>, at: inout Int) {
        _ = UnsafeMutableBufferPointer(rebasing: out[at...]).initialize(fromContentsOf: bytes)
        at += bytes.count
    }

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
        try Parsed(blob).header
    }

    public static func open(
        _ blob: [UInt8], context: String, resolve: (Header) throws(CofferError) -> WrappingKey
    ) throws(CofferError) -> [UInt8] {
        let parts = try Parsed(blob)
        return try open(parts, context: context, under: resolve(parts.header))
    }

    /// Opens a parsed envelope with the key its header names; `dataKeys` remembers the unwrapped
    /// data key, so reading the same value again costs one decryption instead of two.
    public static func open(_ parts: Parsed, context: String, under wrapping: WrappingKey, dataKeys: DataKeyCache? = nil)
        throws(CofferError) -> [UInt8]
    {
        // The wrapped key's associated data is the header's key id: cached only where that is the
        // wrapping key's own id, so the cache key names everything the unwrapping depends on.
        let dataKeys = parts.header.keyID == wrapping.keyID ? dataKeys : nil
        if let cached = dataKeys?.key(for: parts, under: wrapping) { return try cached.open(parts.sealed, aad: Array(context.utf8)) }
        let dataKey = SymmetricKey(data: try AEAD.open(parts.wrapped, key: wrapping.key, aad: Array(parts.header.keyID.utf8)))
        guard let dataKeys else { return try AEAD.open(parts.sealed, key: dataKey, aad: Array(context.utf8)) }
        let prepared = try AEAD.Prepared(dataKey)
        dataKeys.remember(prepared, for: parts, under: wrapping)
        return try prepared.open(parts.sealed, aad: Array(context.utf8))
    }

    /// An envelope taken apart, not yet opened.
    public struct Parsed: Sendable {
        public let header: Header
        let wrapped: [UInt8]
        let sealed: [UInt8]

        public init(_ blob: [UInt8]) throws(CofferError) {
            var reader = ByteReader(blob)
            guard let header = Header.read(&reader, magic: Envelope.magic), let wrappedLength = reader.u16(),
                let wrapped = reader.take(Int(wrappedLength))
            else { throw CofferError(.decryptionFailure, "the ciphertext is malformed") }
            (self.header, self.wrapped, sealed) = (header, Array(wrapped), Array(reader.rest))
        }
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

/// Data keys already unwrapped, by the wrapping key (id and material version) and the wrapped bytes.
/// The caller still resolves the wrapping key on every read, so a disabled or deleted KMS key stops
/// decryption as before; only the second AES-GCM operation is saved. Bounded: emptied when full.
/// The keys live only in this process's memory, beside the KMS key material they came from.
public final class DataKeyCache: Sendable {
    private struct Key: Hashable, Sendable {
        let keyID: String
        let version: UInt32
        let wrapped: [UInt8]

        /// The wrapped key's first 16 bytes (its random nonce and the start of the ciphertext) tell
        /// entries apart; equality still compares every member. Hashing the id and all ~60 bytes
        /// was ~1,000 instructions a read.
        func hash(into hasher: inout Hasher) {
            hasher.combine(version)
            wrapped.withUnsafeBytes { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(16))) }
        }
    }
    /// The entry keeps the wrapping key's material and is used only when it is the same (compared
    /// in constant time), so other material under the same id and version never finds it.
    private struct Entry: Sendable {
        let wrapping: SymmetricKey
        /// The data key ready to open with (its cipher context set up once).
        let dataKey: AEAD.Prepared
    }
    private let entries = Mutex<[Key: Entry]>([:])
    private let capacity: Int

    public init(capacity: Int = 4096) { self.capacity = capacity }

    func key(for parts: Envelope.Parsed, under wrapping: WrappingKey) -> AEAD.Prepared? {
        let key = Key(keyID: wrapping.keyID, version: wrapping.version, wrapped: parts.wrapped)
        guard let entry = entries.withLock({ $0[key] }), entry.wrapping == wrapping.key else { return nil }
        return entry.dataKey
    }

    func remember(_ dataKey: AEAD.Prepared, for parts: Envelope.Parsed, under wrapping: WrappingKey) {
        let key = Key(keyID: wrapping.keyID, version: wrapping.version, wrapped: parts.wrapped)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(wrapping: wrapping.key, dataKey: dataKey)
        }
    }

    public var count: Int { entries.withLock { $0.count } }
}

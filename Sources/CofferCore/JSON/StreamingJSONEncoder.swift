public import struct Foundation.Data
public import struct Foundation.Date
public import struct Foundation.URL

/// Encodes an `Encodable` value straight into compact JSON bytes in one pass, as Foundation's
/// `JSONEncoder` does with `.secondsSince1970` dates and base64 data (so `JSONDecoder` with those
/// strategies reads it back), without the tree of boxed values `JSONEncoder` builds first: stored
/// records are encoded on every write, and that tree was a third of a write's CPU.
///
/// Containers are written as they are filled, so a container must be filled before its parent goes
/// on, as synthesized conformances (the only kind Coffer's records use) always do.
public enum StreamingJSONEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = JSONStreamWriter()
        writer.out.reserveCapacity(1024)
        try writer.value(value)
        writer.close(downTo: 0)
        return writer.out
    }
}

final class JSONStreamWriter: Encoder {
    var out: [UInt8] = []
    /// The containers open now, innermost last: the byte that closes each, and whether it holds anything yet.
    private var open: [(closer: UInt8, empty: Bool)] = []

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedStream<Key>(writer: self, level: opening(UInt8(ascii: "{"), UInt8(ascii: "}"))))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedStream(writer: self, level: opening(UInt8(ascii: "["), UInt8(ascii: "]")))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleStream(writer: self) }

    private func opening(_ opener: UInt8, _ closer: UInt8) -> Int {
        out.append(opener)
        open.append((closer, true))
        return open.count - 1
    }

    func close(downTo depth: Int) {
        while open.count > depth { out.append(open.removeLast().closer) }
    }

    /// Before a member of the container at `level`: closes what was opened inside it, and separates.
    func member(of level: Int) {
        close(downTo: level + 1)
        if open[level].empty {
            open[level].empty = false
        } else {
            out.append(UInt8(ascii: ","))
        }
    }

    func key(_ key: some CodingKey, of level: Int) {
        member(of: level)
        JSONWriter.writeString(key.stringValue, into: &out)
        out.append(UInt8(ascii: ":"))
    }

    func value<T: Encodable>(_ value: T) throws {
        if T.self == Date.self {
            try number((value as! Date).timeIntervalSince1970)
        } else if T.self == Data.self {
            JSONWriter.writeString((value as! Data).base64EncodedString(), into: &out)
        } else if T.self == URL.self {
            JSONWriter.writeString((value as! URL).absoluteString, into: &out)
        } else {
            let depth = open.count
            let start = out.count
            try value.encode(to: self)
            // A value that asked for no container is an empty object, as JSONEncoder writes it.
            if open.count == depth && out.count == start { out.append(contentsOf: "{}".utf8) }
            close(downTo: depth)
        }
    }

    func number(_ value: Double) throws { try Self.number(value, into: &out) }

    static func number(_ value: Double, into out: inout [UInt8]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: [], debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        if value == value.rounded(), abs(value) < 1e15 {
            out.append(contentsOf: String(Int64(value)).utf8)
        } else {
            out.append(contentsOf: String(value).utf8)
        }
    }

    /// An object written member by member without containers, for a type's hand-written fast path;
    /// it must be ended before anything else is written.
    func directObject() -> DirectObject { DirectObject(writer: self) }

    func integer(_ value: some BinaryInteger) { out.append(contentsOf: String(value).utf8) }
    func string(_ value: String) { JSONWriter.writeString(value, into: &out) }
    func bool(_ value: Bool) { out.append(contentsOf: (value ? "true" : "false").utf8) }
    func null() { out.append(contentsOf: "null".utf8) }
}

/// The members of an object, written by name: one list of a type's members serves the streaming
/// encoder's direct path (``DirectObject``) and any other encoder (``KeyedMembers``).
protocol ObjectMembers {
    /// `name` is a member name Coffer chose: plain ASCII, nothing to escape.
    mutating func string(_ name: StaticString, _ value: String) throws
    mutating func date(_ name: StaticString, _ value: Date) throws
    mutating func bool(_ name: StaticString, _ value: Bool) throws
    mutating func integer(_ name: StaticString, _ value: Int) throws
    mutating func value<T: Encodable>(_ name: StaticString, _ value: T) throws
}

/// Collects an object's bytes in a buffer of its own (no exclusive access to the writer's buffer
/// per member) and hands them over at `end()`, or before a nested value the writer encodes.
struct DirectObject: ObjectMembers {
    let writer: JSONStreamWriter
    private var out: [UInt8] = [UInt8(ascii: "{")]
    private var empty = true

    init(writer: JSONStreamWriter) {
        self.writer = writer
        out.reserveCapacity(256)
    }

    private mutating func key(_ name: StaticString) {
        if empty { empty = false } else { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        JSONWriter.writeString(value, into: &out)
    }

    mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(value, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    mutating func date(_ name: StaticString, _ value: Date) throws {
        key(name)
        try JSONStreamWriter.number(value.timeIntervalSince1970, into: &out)
    }

    mutating func bool(_ name: StaticString, _ value: Bool) {
        key(name)
        out.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func integer(_ name: StaticString, _ value: Int) {
        key(name)
        out.append(contentsOf: String(value).utf8)
    }

    mutating func value<T: Encodable>(_ name: StaticString, _ value: T) throws {
        key(name)
        writer.out.append(contentsOf: out)
        out.removeAll(keepingCapacity: true)
        try writer.value(value)
    }

    mutating func end() {
        out.append(UInt8(ascii: "}"))
        writer.out.append(contentsOf: out)
    }
}

/// ``ObjectMembers`` through a keyed container, for encoders other than the streaming one.
struct KeyedMembers: ObjectMembers {
    private var container: KeyedEncodingContainer<StreamKey>

    init(_ encoder: any Encoder) { container = encoder.container(keyedBy: StreamKey.self) }

    private static func key(_ name: StaticString) -> StreamKey { StreamKey(name.description) }
    mutating func string(_ name: StaticString, _ value: String) throws { try container.encode(value, forKey: Self.key(name)) }
    mutating func date(_ name: StaticString, _ value: Date) throws { try container.encode(value, forKey: Self.key(name)) }
    mutating func bool(_ name: StaticString, _ value: Bool) throws { try container.encode(value, forKey: Self.key(name)) }
    mutating func integer(_ name: StaticString, _ value: Int) throws { try container.encode(value, forKey: Self.key(name)) }
    mutating func value<T: Encodable>(_ name: StaticString, _ value: T) throws { try container.encode(value, forKey: Self.key(name)) }
}

private struct KeyedStream<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONStreamWriter
    let level: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { writer.key(key, of: level); writer.null() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { writer.key(key, of: level); writer.bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { writer.key(key, of: level); writer.string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { writer.key(key, of: level); try writer.number(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { writer.key(key, of: level); try writer.number(Double(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { writer.key(key, of: level); writer.integer(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { writer.key(key, of: level); writer.integer(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { writer.key(key, of: level); writer.integer(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { writer.key(key, of: level); writer.integer(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { writer.key(key, of: level); writer.integer(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { writer.key(key, of: level); writer.integer(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { writer.key(key, of: level); writer.integer(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { writer.key(key, of: level); writer.integer(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { writer.key(key, of: level); writer.integer(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { writer.key(key, of: level); writer.integer(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { writer.key(key, of: level); try writer.value(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        writer.key(key, of: level)
        return writer.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        writer.key(key, of: level)
        return writer.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        writer.key(StreamKey("super"), of: level)
        return writer
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        writer.key(key, of: level)
        return writer
    }
}

private struct UnkeyedStream: UnkeyedEncodingContainer {
    let writer: JSONStreamWriter
    let level: Int
    var codingPath: [any CodingKey] { [] }
    private(set) var count = 0

    init(writer: JSONStreamWriter, level: Int) {
        self.writer = writer
        self.level = level
    }

    private mutating func next() {
        writer.member(of: level)
        count += 1
    }

    mutating func encodeNil() throws { next(); writer.null() }
    mutating func encode(_ value: Bool) throws { next(); writer.bool(value) }
    mutating func encode(_ value: String) throws { next(); writer.string(value) }
    mutating func encode(_ value: Double) throws { next(); try writer.number(value) }
    mutating func encode(_ value: Float) throws { next(); try writer.number(Double(value)) }
    mutating func encode(_ value: Int) throws { next(); writer.integer(value) }
    mutating func encode(_ value: Int8) throws { next(); writer.integer(value) }
    mutating func encode(_ value: Int16) throws { next(); writer.integer(value) }
    mutating func encode(_ value: Int32) throws { next(); writer.integer(value) }
    mutating func encode(_ value: Int64) throws { next(); writer.integer(value) }
    mutating func encode(_ value: UInt) throws { next(); writer.integer(value) }
    mutating func encode(_ value: UInt8) throws { next(); writer.integer(value) }
    mutating func encode(_ value: UInt16) throws { next(); writer.integer(value) }
    mutating func encode(_ value: UInt32) throws { next(); writer.integer(value) }
    mutating func encode(_ value: UInt64) throws { next(); writer.integer(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { next(); try writer.value(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        next()
        return writer.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        next()
        return writer.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        next()
        return writer
    }
}

private struct SingleStream: SingleValueEncodingContainer {
    let writer: JSONStreamWriter
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { writer.null() }
    mutating func encode(_ value: Bool) throws { writer.bool(value) }
    mutating func encode(_ value: String) throws { writer.string(value) }
    mutating func encode(_ value: Double) throws { try writer.number(value) }
    mutating func encode(_ value: Float) throws { try writer.number(Double(value)) }
    mutating func encode(_ value: Int) throws { writer.integer(value) }
    mutating func encode(_ value: Int8) throws { writer.integer(value) }
    mutating func encode(_ value: Int16) throws { writer.integer(value) }
    mutating func encode(_ value: Int32) throws { writer.integer(value) }
    mutating func encode(_ value: Int64) throws { writer.integer(value) }
    mutating func encode(_ value: UInt) throws { writer.integer(value) }
    mutating func encode(_ value: UInt8) throws { writer.integer(value) }
    mutating func encode(_ value: UInt16) throws { writer.integer(value) }
    mutating func encode(_ value: UInt32) throws { writer.integer(value) }
    mutating func encode(_ value: UInt64) throws { writer.integer(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try writer.value(value) }
}

struct StreamKey: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

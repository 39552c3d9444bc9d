#if canImport(Glibc)
import Glibc
#endif

/// HTTP header fields in arrival order, held as their bytes: names and values are made into
/// Strings only when asked for.
///
/// A request's head carries ten or so fields, and each became two Strings as it was read (a
/// validation, and an allocation for any over 15 bytes), were released again when the request was
/// done, and all but four or five were never read (callgrind: about 9% of a GetSecretValue's
/// instructions went to making, looking up and releasing them). SigV4 reads the fields it signs
/// as bytes, and looks names up by a word of their first bytes.
public struct HeaderFields: Sendable, RandomAccessCollection {
    private struct Span: Sendable {
        /// ``HeaderFields/nameKey(_:)`` of the name: a lookup loads a name only where this matches.
        let key: UInt64
        let name: Int32, nameCount: Int32
        let value: Int32, valueCount: Int32
    }

    private var bytes: [UInt8] = []
    private var spans: [Span] = []

    public init() {}

    public init(_ fields: [(name: String, value: String)]) {
        for field in fields { append(field) }
    }

    /// Fields that lie in `block` (a request head's field lines, copied once), each added with
    /// ``appendField(name:nameCount:value:valueCount:)`` by its offsets in the block.
    public init(block: UnsafeBufferPointer<UInt8>, fields: Int) {
        bytes = Array(block)
        spans.reserveCapacity(fields)
    }

    /// A field whose name and value lie at these offsets of the block this was made with.
    public mutating func appendField(name: Int, nameCount: Int, value: Int, valueCount: Int) {
        let key = bytes.withUnsafeBufferPointer { Self.nameKey(UnsafeBufferPointer(rebasing: $0[name..<name + nameCount])) }
        spans.append(Span(key: key, name: Int32(name), nameCount: Int32(nameCount), value: Int32(value), valueCount: Int32(valueCount)))
    }

    public mutating func append(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        let start = bytes.count
        bytes.append(contentsOf: name)
        bytes.append(contentsOf: value)
        spans.append(Span(key: Self.nameKey(name), name: Int32(start), nameCount: Int32(name.count),
                          value: Int32(start + name.count), valueCount: Int32(value.count)))
    }

    public mutating func append(_ field: (name: String, value: String)) {
        var name = field.name, value = field.value
        name.withUTF8 { name in value.withUTF8 { value in append(name: name, value: value) } }
    }

    public mutating func removeAll(where shouldBeRemoved: ((name: String, value: String)) throws -> Bool) rethrows {
        var kept = HeaderFields()
        for field in self where try !shouldBeRemoved(field) { kept.append(field) }
        self = kept
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { spans.count }

    public subscript(position: Int) -> (name: String, value: String) {
        let span = spans[position]
        return bytes.withUnsafeBufferPointer { all in
            (String(decoding: UnsafeBufferPointer(rebasing: all[Int(span.name)..<Int(span.name + span.nameCount)]), as: UTF8.self),
             String(decoding: UnsafeBufferPointer(rebasing: all[Int(span.value)..<Int(span.value + span.valueCount)]), as: UTF8.self))
        }
    }

    /// The first value of the field `name` (compared ignoring ASCII case), if there is one.
    public func value(named name: String) -> String? {
        name.withUTF8Bytes { wanted in
            bytes.withUnsafeBufferPointer { all in
                firstSpan(named: wanted, in: all).map { span in
                    String(decoding: UnsafeBufferPointer(rebasing: all[Int(span.value)..<Int(span.value + span.valueCount)]), as: UTF8.self)
                }
            }
        }
    }

    /// Whether the field `name` is there and its first value's bytes satisfy `test` (no String made).
    public func firstValue(named name: String, satisfies test: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        name.withUTF8Bytes { wanted in
            bytes.withUnsafeBufferPointer { all in
                firstSpan(named: wanted, in: all).map { span in
                    test(UnsafeBufferPointer(rebasing: all[Int(span.value)..<Int(span.value + span.valueCount)]))
                } ?? false
            }
        }
    }

    /// `body` over the bytes of every value of the field `name`, in order.
    public func forEachValue(named name: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        name.withUTF8Bytes { wanted in
            let key = Self.nameKey(wanted)
            bytes.withUnsafeBufferPointer { all in
                for span in spans where span.key == key && Self.named(span, wanted, in: all) {
                    body(UnsafeBufferPointer(rebasing: all[Int(span.value)..<Int(span.value + span.valueCount)]))
                }
            }
        }
    }

    private func firstSpan(named wanted: UnsafeBufferPointer<UInt8>, in all: UnsafeBufferPointer<UInt8>) -> Span? {
        let key = Self.nameKey(wanted)
        for span in spans where span.key == key && Self.named(span, wanted, in: all) { return span }
        return nil
    }

    private static func named(_ span: Span, _ wanted: UnsafeBufferPointer<UInt8>, in all: UnsafeBufferPointer<UInt8>) -> Bool {
        UnsafeBufferPointer(rebasing: all[Int(span.name)..<Int(span.name + span.nameCount)]).sameBytesIgnoringCase(as: wanted)
    }

    /// A name's length and first seven bytes, lower-cased, in one word.
    static func nameKey(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var word: UInt64 = 0
        if let base = bytes.baseAddress { memcpy(&word, base, Swift.min(7, bytes.count)) }
        // Lower-cased eight bytes at a time: a byte of A-Z (high bit clear) gains 0x20.
        let ones: UInt64 = 0x0101_0101_0101_0101, highs = ones &* 0x80
        let low7 = word & ~highs
        let atLeastA = low7 &+ ones &* (0x80 - 0x41), pastZ = low7 &+ ones &* (0x80 - 0x5B)
        let upper = atLeastA & ~pastZ & ~word & highs
        return UInt64(truncatingIfNeeded: bytes.count) | ((word | (upper >> 2)) << 8)
    }
}

#if canImport(Glibc)
import Glibc
#endif
public import CofferCore

/// HTTP/1.1 requests read off a byte stream (RFC 9112), for Coffer's listener: the request head in
/// one pass over its bytes, the body framed by Content-Length or chunked transfer coding.
///
/// Coffer's own rather than NIOHTTP1's decoder: llhttp's callbacks built an `HTTPHeaders` value name by
/// name and value by value, which the listener then copied into its own request, about 15% of a
/// GetSecretValue's instructions (callgrind). Strict where leniency lets two readers disagree on where a
/// request ends (request smuggling): no whitespace before a header's colon, no folded lines, no bare LF,
/// no Content-Length beside Transfer-Encoding, no differing Content-Lengths, chunked last or refused.
public enum HTTP1Parser {
    /// The longest request head taken (NIOHTTP1's limit too).
    public static let maximumHeadSize = 80 * 1024

    public struct Head: Sendable {
        public var method: String
        public var target: String
        /// 0 for HTTP/1.0, 1 for HTTP/1.1.
        public var minorVersion: Int
        /// The fields as their bytes; names and values become Strings only when read.
        public var headers: HeaderFields
        public var keepAlive: Bool
        public var framing: Framing
    }

    public enum Framing: Sendable, Equatable {
        case length(Int)
        case chunked
    }

    public enum HeadResult: Sendable {
        case incomplete
        case invalid
        /// The head and how many bytes it took (leading empty lines included).
        case complete(Head, length: Int)
    }

    public enum ChunkedResult: Sendable, Equatable {
        case incomplete
        case invalid
        case tooLarge
        /// The body's data and how many bytes the chunked coding took, trailers included.
        case complete(body: [UInt8], length: Int)
    }

    private static let cr: UInt8 = 0x0D, lf: UInt8 = 0x0A, space: UInt8 = 0x20, tab: UInt8 = 0x09, colon: UInt8 = 0x3A

    /// RFC 9110's tchar (the bytes a method or a field name is made of) as a bit set over ASCII, in two
    /// constants: no table to load, and a test covers every byte against the RFC's list.
    private static let tokenLow: UInt64 = 0x03FF_6CFA_0000_0000, tokenHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    @inline(__always) static func isToken(_ byte: UInt8) -> Bool {
        byte < 64 ? (tokenLow >> UInt64(byte)) & 1 == 1 : byte < 128 && (tokenHigh >> UInt64(byte - 64)) & 1 == 1
    }

    /// A field value's bytes: visible characters, space, tab and obs-text; no other control character.
    @inline(__always) private static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == tab || (byte >= space && byte != 0x7F)
    }

    /// Whether `count` bytes are all field-value bytes: eight at a time, byte by byte only for a word
    /// that holds a control character (or a tab: a value's bytes are mostly letters and digits).
    @inline(__always) private static func allFieldValueBytes(_ start: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= count {
            let word = UnsafeRawPointer(start + index).loadUnaligned(as: UInt64.self)
            let control = (word &- ones &* 0x20) & ~word & highs
            let flipped = word ^ (ones &* 0x7F)
            let delete = (flipped &- ones) & ~flipped & highs
            if control | delete != 0 {
                for offset in 0..<8 where !isFieldValueByte(start[index + offset]) { return false }
            }
            index += 8
        }
        while index < count {
            guard isFieldValueByte(start[index]) else { return false }
            index += 1
        }
        return true
    }

    public static func parseHead(_ bytes: UnsafeRawBufferPointer) -> HeadResult {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return .incomplete }
        let count = bytes.count
        // A server ignores empty lines before a request line (RFC 9112, 2.2).
        var start = 0
        while start + 1 < count, base[start] == cr, base[start + 1] == lf { start += 2 }
        guard start < count else { return count > maximumHeadSize ? .invalid : .incomplete }

        // The head ends at the first empty line: each CR found by memchr, then the three bytes after it.
        let limit = min(count, start + maximumHeadSize)
        var end = -1
        var index = start
        while index + 3 < limit, let found = memchr(base + index, Int32(cr), limit - 3 - index) {
            index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if base[index + 1] == lf, base[index + 2] == cr, base[index + 3] == lf {
                end = index
                break
            }
            index += 1
        }
        guard end >= 0 else { return count - start >= maximumHeadSize ? .invalid : .incomplete }

        // Request line: method SP request-target SP HTTP-version.
        var cursor = start
        while cursor < end, isToken(base[cursor]) { cursor += 1 }
        guard cursor > start, cursor < end, base[cursor] == space else { return .invalid }
        let method = String(decoding: UnsafeBufferPointer(start: base + start, count: cursor - start), as: UTF8.self)
        cursor += 1
        let targetStart = cursor
        while cursor < end, base[cursor] > space, base[cursor] != 0x7F { cursor += 1 }
        guard cursor > targetStart, cursor + 10 <= end + 2, base[cursor] == space else { return .invalid }
        let target = String(decoding: UnsafeBufferPointer(start: base + targetStart, count: cursor - targetStart), as: UTF8.self)
        cursor += 1
        // "HTTP/1.1" or "HTTP/1.0", then CRLF.
        guard cursor + 10 <= end + 2 else { return .invalid }
        let version: StaticString = "HTTP/1."
        guard memcmp(base + cursor, version.utf8Start, version.utf8CodeUnitCount) == 0 else { return .invalid }
        let minor = base[cursor + 7]
        guard minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1"), base[cursor + 8] == cr, base[cursor + 9] == lf else { return .invalid }
        let minorVersion = Int(minor - UInt8(ascii: "0"))
        cursor += 10

        // The field lines copied once; each field is kept as offsets into them.
        let block = cursor
        var headers = HeaderFields(block: UnsafeBufferPointer(start: base + block, count: end + 2 - block), fields: 12)
        var contentLength: Int?
        var transferEncoding: [UInt8]? = nil
        var closeRequested = false, keepAliveRequested = false
        // Each field line: name ":" OWS value OWS CRLF; `end + 2` is the CRLF that ends the last one.
        while cursor < end + 2 {
            let nameStart = cursor
            while isToken(base[cursor]) { cursor += 1 }
            // An empty name, whitespace before the colon or a folded line (it starts with whitespace).
            guard cursor > nameStart, base[cursor] == colon else { return .invalid }
            let nameEnd = cursor
            cursor += 1
            while base[cursor] == space || base[cursor] == tab { cursor += 1 }
            let valueStart = cursor
            // The line's CR (there is one by `end + 2` at the latest), then the bytes before it.
            guard let found = memchr(base + cursor, Int32(cr), end + 3 - cursor) else { return .invalid }
            cursor = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            guard allFieldValueBytes(base + valueStart, cursor - valueStart), base[cursor + 1] == lf else { return .invalid }
            var valueEnd = cursor
            while valueEnd > valueStart, base[valueEnd - 1] == space || base[valueEnd - 1] == tab { valueEnd -= 1 }
            cursor += 2
            let name = UnsafeBufferPointer(start: base + nameStart, count: nameEnd - nameStart)
            let value = UnsafeBufferPointer(start: base + valueStart, count: valueEnd - valueStart)
            if equalsIgnoringCase(name, "content-length") {
                // One value, or a list of the same value repeated (RFC 9110, 8.6).
                var partStart = 0
                while partStart <= value.count {
                    var partEnd = partStart
                    while partEnd < value.count, value[partEnd] != 0x2C { partEnd += 1 }
                    guard let length = decimal(UnsafeBufferPointer(rebasing: value[partStart..<partEnd])) else { return .invalid }
                    if let contentLength, contentLength != length { return .invalid }
                    contentLength = length
                    partStart = partEnd + 1
                }
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                transferEncoding = (transferEncoding.map { $0 + [0x2C] } ?? []) + Array(value)
            } else if equalsIgnoringCase(name, "connection") {
                for option in value.split(separator: 0x2C) {
                    let trimmed = trim(option)
                    if equalsIgnoringCase(trimmed, "close") { closeRequested = true }
                    if equalsIgnoringCase(trimmed, "keep-alive") { keepAliveRequested = true }
                }
            }
            headers.appendField(name: nameStart - block, nameCount: nameEnd - nameStart, value: valueStart - block, valueCount: valueEnd - valueStart)
        }

        let framing: Framing
        if let transferEncoding {
            // Chunked must be the last coding and the only framing; Coffer applies no other coding.
            guard contentLength == nil else { return .invalid }
            let codings = transferEncoding.split(separator: 0x2C).map { trim($0) }.filter { !$0.isEmpty }
            guard codings.count == 1, equalsIgnoringCase(codings[0], "chunked") else { return .invalid }
            framing = .chunked
        } else {
            framing = .length(contentLength ?? 0)
        }
        let keepAlive = minorVersion == 1 ? !closeRequested : (keepAliveRequested && !closeRequested)
        return .complete(Head(method: method, target: target, minorVersion: minorVersion, headers: headers, keepAlive: keepAlive,
                              framing: framing), length: end + 4)
    }

    /// A chunked body from its first byte: every chunk's data, or how it fails; `limit` bounds the data.
    public static func parseChunked(_ bytes: UnsafeRawBufferPointer, limit: Int) -> ChunkedResult {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return .incomplete }
        let count = bytes.count
        var body: [UInt8] = []
        var cursor = 0
        /// The index of the CRLF that ends the line starting at `from`, nil if not here yet; bare CR or LF is invalid.
        func lineEnd(_ from: Int) -> Int?? {
            var index = from
            while index < count {
                if base[index] == cr {
                    guard index + 1 < count else { return .some(nil) }
                    return base[index + 1] == lf ? .some(index) : .none
                }
                if base[index] == lf || index - from > 4096 { return .none }
                index += 1
            }
            return .some(nil)
        }
        while true {
            // chunk-size [ chunk-ext ] CRLF
            var size = 0, digits = 0
            while cursor < count, let digit = hexValue(base[cursor]) {
                size = size &* 16 &+ digit
                digits += 1
                guard digits <= 8 else { return .tooLarge }
                cursor += 1
            }
            guard cursor < count else { return .incomplete }
            guard digits > 0 else { return .invalid }
            guard let sizeLineEnd = lineEnd(cursor) else { return .invalid }
            guard let sizeLineEnd else { return .incomplete }
            // Extensions (";name=value") are read past, not interpreted.
            if sizeLineEnd > cursor, base[cursor] != 0x3B, base[cursor] != space, base[cursor] != tab { return .invalid }
            cursor = sizeLineEnd + 2
            if size == 0 {
                // Trailer fields (read past), then the empty line that ends the message.
                while true {
                    guard let trailerEnd = lineEnd(cursor) else { return .invalid }
                    guard let trailerEnd else { return .incomplete }
                    let empty = trailerEnd == cursor
                    cursor = trailerEnd + 2
                    if empty { return .complete(body: body, length: cursor) }
                }
            }
            guard body.count + size <= limit else { return .tooLarge }
            guard cursor + size + 2 <= count else { return .incomplete }
            body.append(contentsOf: UnsafeBufferPointer(start: base + cursor, count: size))
            cursor += size
            guard base[cursor] == cr, base[cursor + 1] == lf else { return .invalid }
            cursor += 2
        }
    }

    @inline(__always) private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var low = 0, high = bytes.count
        while low < high, bytes[low] == space || bytes[low] == tab { low += 1 }
        while high > low, bytes[high - 1] == space || bytes[high - 1] == tab { high -= 1 }
        guard high > low, high - low <= 15 else { return nil }
        var value = 0
        for byte in bytes[low..<high] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func trim<C: Collection<UInt8>>(_ bytes: C) -> [UInt8] {
        var slice = Array(bytes)[...]
        while let first = slice.first, first == space || first == tab { slice = slice.dropFirst() }
        while let last = slice.last, last == space || last == tab { slice = slice.dropLast() }
        return Array(slice)
    }

    /// ASCII case-insensitive comparison with a lowercase literal.
    private static func equalsIgnoringCase<C: Collection<UInt8>>(_ bytes: C, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let other = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        return zip(bytes, other).allSatisfy { ($0 | 0x20) == $1 || $0 == $1 }
    }
}

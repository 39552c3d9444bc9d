#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splitting and trimming on ASCII bytes. The request path takes apart ASCII-delimited fields
/// (SigV4 headers, ARNs, credential scopes) on every call; String's Character-based `split` and
/// `trimmingCharacters` run grapheme breaking for that, which showed as a tenth of a read's CPU.
/// ASCII delimiters are always scalar boundaries, so cutting on UTF-8 bytes gives the same pieces.
extension Substring {
    public func split(byte: UInt8, maxSplits: Int = .max, omittingEmptySubsequences: Bool = true) -> [Substring] {
        // Offsets found on the contiguous bytes; UTF-8 view indices by offset are O(1) for native strings.
        var ranges: [Range<Int>] = []
        withUTF8Bytes { bytes in
            var start = 0
            var splits = 0
            for index in 0..<bytes.count where bytes[index] == byte && splits < maxSplits {
                if !(omittingEmptySubsequences && start == index) {
                    ranges.append(start..<index)
                    splits += 1
                }
                start = index + 1
            }
            if !(omittingEmptySubsequences && start == bytes.count) { ranges.append(start..<bytes.count) }
        }
        let view = utf8
        return ranges.map { range in
            let lower = view.index(view.startIndex, offsetBy: range.lowerBound)
            return Substring(view[lower..<view.index(lower, offsetBy: range.count)])
        }
    }

    /// Without leading and trailing spaces and tabs.
    public var trimmingSpaces: Substring {
        let bytes = utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        return Substring(bytes[first...last])
    }

    /// The parts before and after the last `byte`, or nil when there is none.
    public func split(atLast byte: UInt8) -> (before: Substring, after: Substring)? {
        // Found on the contiguous bytes: walking Substring's UTF-8 indices backwards cost ~20
        // instructions a byte, and `lastIndex(of:)`, which steps by Character (breaking graphemes and
        // making a String of each), ~350 a character: 1.8% of a read's instructions for X-Amz-Target.
        let offset = withUTF8Bytes { bytes -> Int? in
            var index = bytes.count
            while index > 0 {
                index -= 1
                if bytes[index] == byte { return index }
            }
            return nil
        }
        guard let offset else { return nil }
        let mark = utf8.index(utf8.startIndex, offsetBy: offset)
        return (Substring(utf8[..<mark]), Substring(utf8[utf8.index(after: mark)...]))
    }

    /// The part after the last `byte`, or all of it when there is none (every audited call names its caller this way).
    public func last(after byte: UInt8) -> Substring { split(atLast: byte)?.after ?? self }

    /// The same bytes as `other`, compared on the contiguous bytes (a UTF-8 view's generic
    /// `elementsEqual` walks index by index).
    public func sameBytes(as other: some StringProtocol) -> Bool {
        return withUTF8Bytes { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                mine.count == theirs.count && (mine.count == 0 || memcmp(mine.baseAddress!, theirs.baseAddress!, mine.count) == 0)
            } ?? mine.elementsEqual(other.utf8)
        }
    }
}

extension StringProtocol {
    /// The fields between `byte`s as new Strings, cut from the contiguous bytes in one pass: for
    /// fields that are kept as Strings anyway (an ARN's parts, a credential scope's), this skips
    /// the Substrings and their index arithmetic.
    public func fields(byte: UInt8, maxSplits: Int = .max, omittingEmptySubsequences: Bool = false) -> [String] {
        // Closure literals, not one closure in a local: that one's context was allocated on the heap.
        if let fields = utf8.withContiguousStorageIfAvailable({
            cutFields($0, byte: byte, maxSplits: maxSplits, omittingEmptySubsequences: omittingEmptySubsequences)
        }) {
            return fields
        }
        return ContiguousArray(utf8).withUnsafeBufferPointer {
            cutFields($0, byte: byte, maxSplits: maxSplits, omittingEmptySubsequences: omittingEmptySubsequences)
        }
    }
}

/// A free function with its state in locals: a nested function that appended to a captured array
/// paid a closure context and an exclusivity check per field (SigV4 cuts two scopes a request).
func cutFields(_ bytes: UnsafeBufferPointer<UInt8>, byte: UInt8, maxSplits: Int, omittingEmptySubsequences: Bool) -> [String] {
    var out: [String] = []
    out.reserveCapacity(6)
    var start = 0
    var splits = 0
    var index = 0
    while index < bytes.count, splits < maxSplits {
        if bytes[index] == byte {
            if !(omittingEmptySubsequences && start == index) {
                splits += 1
                out.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
            }
            start = index + 1
        }
        index += 1
    }
    if !(omittingEmptySubsequences && start == bytes.count) {
        out.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]), as: UTF8.self))
    }
    return out
}

extension String {
    public func split(byte: UInt8, maxSplits: Int = .max, omittingEmptySubsequences: Bool = true) -> [Substring] {
        self[...].split(byte: byte, maxSplits: maxSplits, omittingEmptySubsequences: omittingEmptySubsequences)
    }

    public var trimmingSpaces: Substring { self[...].trimmingSpaces }

    public func last(after byte: UInt8) -> Substring { self[...].last(after: byte) }

    public func split(atLast byte: UInt8) -> (before: Substring, after: Substring)? { self[...].split(atLast: byte) }

    public func sameBytes(as other: some StringProtocol) -> Bool { self[...].sameBytes(as: other) }

    /// `lowercased()`, without making a new string when there is nothing to lower (ids arrive
    /// lower-case nearly always, and `lowercased()` allocated a copy of every one).
    public var lowercasedIfNeeded: String {
        let plain = withUTF8Bytes { bytes in bytes.allSatisfy { $0 < 0x80 && !($0 >= 0x41 && $0 <= 0x5A) } }
        return plain ? self : lowercased()
    }
}

// One for each type rather than one on StringProtocol: the generic one, though specialized, retained
// and released the string on every call (callgrind: 33 retains a read more in `JSONWriter.writeString` alone).
extension String {
    /// `body` over the string's UTF-8 bytes: borrowed where the string holds them contiguously (a
    /// native string always does), else over a contiguous copy. Unlike `var copy = s;
    /// copy.withUTF8`, the usual case costs no retain and release of the string's storage.
    @inlinable @inline(__always)
    public func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }
}

extension String {
    /// Whether the string's bytes begin with the literal's: `hasPrefix` compares Characters, which
    /// the request path paid on every call.
    public func hasBytePrefix(_ prefix: StaticString) -> Bool {
        withUTF8Bytes { $0.starts(with: prefix) }
    }

    /// The parts one after another, copied into one new string's storage. An ARN built by
    /// interpolation grew its string part by part through the generic interpolation path: about
    /// 3,500 instructions for a parameter's, on every Parameter Store call.
    public static func concatenating(_ parts: String...) -> String {
        var count = 0
        for part in parts { count &+= part.utf8.count }
        guard count > 0 else { return "" }
        return String(unsafeUninitializedCapacity: count) { out in
            var at = 0
            for part in parts {
                part.withUTF8Bytes { bytes in
                    guard let base = bytes.baseAddress else { return }
                    (out.baseAddress! + at).initialize(from: base, count: bytes.count)
                    at &+= bytes.count
                }
            }
            return at
        }
    }
}

extension Substring {
    /// As `String.withUTF8Bytes`: a slice of a native string lends its bytes without a copy.
    /// Through `withUTF8`, not the UTF-8 view's `withContiguousStorageIfAvailable`: that is
    /// `Slice`'s generic one, about 900 instructions a call in SigV4's parsing (callgrind).
    @inlinable @inline(__always)
    public func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8(body)
    }

    /// As `StringProtocol.fields(byte:)`, on the bytes `withUTF8Bytes` lends.
    public func fields(byte: UInt8, maxSplits: Int = .max, omittingEmptySubsequences: Bool = false) -> [String] {
        withUTF8Bytes { cutFields($0, byte: byte, maxSplits: maxSplits, omittingEmptySubsequences: omittingEmptySubsequences) }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The same bytes as a literal's.
    func sameBytes(as literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, literal.utf8Start, count) == 0)
    }

    /// The same bytes ignoring ASCII case (only A-Z and a-z fold into each other).
    func sameBytesIgnoringCase(as other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard count == other.count else { return false }
        for index in 0..<count where self[index] != other[index] {
            let x = self[index] | 0x20
            guard x == other[index] | 0x20, x >= 0x61, x <= 0x7A else { return false }
        }
        return true
    }

    /// Whether the bytes begin with a literal's.
    func starts(with literal: StaticString) -> Bool {
        count >= literal.utf8CodeUnitCount && UnsafeBufferPointer(rebasing: self[..<literal.utf8CodeUnitCount]).sameBytes(as: literal)
    }
}

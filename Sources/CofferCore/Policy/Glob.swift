/// IAM's wildcards: `*` matches any run of characters (including none), `?` any one character.
public enum Glob {
    static func hasWildcard(_ text: String) -> Bool { contains(text, either: 42, 63) }

    /// Whether `text` holds either byte, read over its contiguous bytes (native strings have them):
    /// evaluation asks this of every pattern of every statement it looks at, and a UTF8View's iterator
    /// walked by `contains(where:)` cost about twelve instructions a byte (15% of a read as an IAM user).
    @inline(__always)
    static func contains(_ text: String, either a: UInt8, _ b: UInt8) -> Bool {
        text.withUTF8Bytes { contains($0, either: a, b) }
    }

    @inline(__always)
    static func contains(_ bytes: UnsafeBufferPointer<UInt8>, either a: UInt8, _ b: UInt8) -> Bool {
        contains(bytes, anyOf: a, b, a, b)
    }

    /// Eight bytes at a time: a word holds `a` exactly when `word ^ a...a` has a zero byte, which the
    /// has-zero-byte test (exact for "any") finds.
    @inline(__always)
    static func contains(_ bytes: UnsafeBufferPointer<UInt8>, anyOf a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zeroByte(_ x: UInt64) -> UInt64 { (x &- ones) & ~x }
        let wordA = ones &* UInt64(a), wordB = ones &* UInt64(b), wordC = ones &* UInt64(c), wordD = ones &* UInt64(d)
        var index = 0
        while index &+ 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            if (zeroByte(word ^ wordA) | zeroByte(word ^ wordB) | zeroByte(word ^ wordC) | zeroByte(word ^ wordD)) & highs != 0 { return true }
            index &+= 8
        }
        while index < bytes.count {
            let byte = base[index]
            if byte == a || byte == b || byte == c || byte == d { return true }
            index &+= 1
        }
        return false
    }

    /// A `*` or `?` that policy variables put in a pattern as text (`${*}`, `${?}`, or inside a
    /// substituted value): it matches only itself. Control characters, which no ARN or key value holds.
    static let literalStar: Unicode.Scalar = "\u{1}"
    static let literalOne: Unicode.Scalar = "\u{2}"

    /// `text` with its wildcard characters made literal.
    static func literal(_ text: String) -> String {
        guard hasWildcard(text) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(scalar == "*" ? literalStar : scalar == "?" ? literalOne : scalar)
        }
        return String(out)
    }

    /// The pattern as plain text again (for the operators that compare without wildcards).
    public static func plain(_ pattern: String) -> String {
        guard hasLiterals(pattern) else { return pattern }
        return String(String.UnicodeScalarView(pattern.unicodeScalars.map { $0 == literalStar ? "*" : $0 == literalOne ? "?" : $0 }))
    }

    static func hasLiterals(_ text: String) -> Bool { contains(text, either: 1, 2) }

    /// Wildcard matching where the literal marks match their characters (rare: only patterns with `${*}`-style escapes).
    static func matchesWithLiterals(_ pattern: Substring, _ value: Substring) -> Bool {
        let p = pattern.unicodeScalars.map { $0 == literalStar ? Token.text("*") : $0 == literalOne ? .text("?") : $0 == "*" ? .star : $0 == "?" ? .one : .text($0) }
        let v = value.unicodeScalars.map { Token.text($0) }
        return glob(p[...], v[...], star: .star, one: .one)
    }

    enum Token: Equatable { case star, one, text(Unicode.Scalar) }

    /// ASCII case-insensitive equality without allocating (action names are ASCII).
    public static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        // On the contiguous bytes where both have them (native strings do): header names are compared
        // this way many times per request, and zipping two UTF-8 views cost more than the comparison.
        if let equal = x.withContiguousStorageIfAvailable({ p in y.withContiguousStorageIfAvailable { p.sameBytesIgnoringCase(as: $0) } }),
            let equal { return equal }
        for (p, q) in zip(x, y) where p != q && lowered(p) != lowered(q) { return false }
        return true
    }

    private static func lowered(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }

    /// `*`, by its bytes: `==` against a literal went through the standard library's general comparison.
    @inline(__always)
    static func isStar(_ pattern: String) -> Bool { pattern.utf8.count == 1 && pattern.utf8.first == 42 }

    /// Which of the bytes that change how a pattern matches it holds, in one pass: literal marks (1, 2)
    /// and wildcards (`*`, `?`). Most patterns hold none, and are compared as they are.
    static func specials(_ text: String) -> (literals: Bool, wildcards: Bool) {
        text.withUTF8Bytes { bytes in
            // One pass for "any of the four" (most patterns hold none), then each pair only where one is there.
            guard contains(bytes, anyOf: 1, 2, 42, 63) else { return (false, false) }
            return (contains(bytes, either: 1, 2), contains(bytes, either: 42, 63))
        }
    }

    /// What a pattern is, as far as matching goes. Decided once where a pattern is kept (a parsed
    /// statement) and handed to the matchers, so a request does not scan every pattern's bytes again.
    public enum PatternKind: Sendable, Equatable {
        case star, plain, wildcards, literals
    }

    public static func kind(of pattern: String) -> PatternKind {
        if isStar(pattern) { return .star }
        let specials = specials(pattern)
        return specials.literals ? .literals : specials.wildcards ? .wildcards : .plain
    }

    public static func matches(_ pattern: String, _ value: String, caseInsensitive: Bool = false) -> Bool {
        matches(pattern, kind(of: pattern), value, caseInsensitive: caseInsensitive)
    }

    /// `kind` must be `kind(of: pattern)`.
    static func matches(_ pattern: String, _ kind: PatternKind, _ value: String, caseInsensitive: Bool) -> Bool {
        // Most patterns in real policies are literal, "*", or end in one "*": answer those without allocating.
        switch kind {
        case .star: return true
        case .literals:
            return caseInsensitive ? matchesWithLiterals(Substring(pattern.lowercased()), Substring(value.lowercased()))
                : matchesWithLiterals(Substring(pattern), Substring(value))
        case .plain: return caseInsensitive ? equalIgnoringCase(pattern, value) : pattern == value
        case .wildcards: break
        }
        if pattern.utf8.last == 42, let matched = prefixMatch(pattern, value, caseInsensitive: caseInsensitive) { return matched }
        // `?` is one character, so the general case works on scalars, not bytes.
        let p = Array((caseInsensitive ? pattern.lowercased() : pattern).unicodeScalars)
        let v = Array((caseInsensitive ? value.lowercased() : value).unicodeScalars)
        return glob(p[...], v[...], star: "*", one: "?")
    }

    /// A pattern whose one wildcard is its final `*` matched as a prefix, over both strings' bytes; nil
    /// for any other pattern (or strings without contiguous bytes).
    static func prefixMatch(_ pattern: String, _ value: String, caseInsensitive: Bool) -> Bool? {
        pattern.utf8.withContiguousStorageIfAvailable { p -> Bool? in
            let prefix = UnsafeBufferPointer(rebasing: p.dropLast())
            guard !contains(prefix, either: 42, 63) else { return nil }
            return value.utf8.withContiguousStorageIfAvailable { v -> Bool in
                guard v.count >= prefix.count else { return false }
                for index in 0..<prefix.count where prefix[index] != v[index] {
                    guard caseInsensitive, lowered(prefix[index]) == lowered(v[index]) else { return false }
                }
                return true
            }
        } ?? nil
    }

    /// The wildcard match itself, over any sequence of comparable elements.
    static func glob<E: Equatable>(_ p: ArraySlice<E>, _ v: ArraySlice<E>, star: E, one: E) -> Bool {
        var pi = p.startIndex, vi = v.startIndex, starAt = -1, mark = v.startIndex
        while vi < v.endIndex {
            if pi < p.endIndex, p[pi] == one || p[pi] == v[vi] {
                pi += 1
                vi += 1
            } else if pi < p.endIndex, p[pi] == star {
                starAt = pi
                mark = vi
                pi += 1
            } else if starAt >= 0 {
                pi = starAt + 1
                mark += 1
                vi = mark
            } else {
                return false
            }
        }
        while pi < p.endIndex, p[pi] == star { pi += 1 }
        return pi == p.endIndex
    }

    /// Matches an action such as `secretsmanager:GetSecretValue`; action names are case-insensitive.
    public static func matchesAction(_ pattern: String, _ action: String) -> Bool {
        matches(pattern, action, caseInsensitive: true)
    }

    /// Matches ARNs component by component: partition, service, region and account each on their own,
    /// the resource part as a whole (where `*` may span `/` and `:`).
    public static func matchesARN(pattern: String, _ arn: String) -> Bool {
        matchesARN(pattern: pattern, kind(of: pattern), arn)
    }

    /// `kind` must be `kind(of: pattern)`.
    static func matchesARN(pattern: String, _ kind: PatternKind, _ arn: String) -> Bool {
        switch kind {
        case .star: return true
        case .plain: return pattern == arn
        case .wildcards, .literals: break
        }
        if kind == .literals {
            let p = pattern.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            let a = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard p.count == 6, a.count == 6 else { return matchesWithLiterals(Substring(pattern), Substring(arn)) }
            return zip(p, a).allSatisfy { matchesWithLiterals($0, $1) }
        }
        let p = Array(pattern.utf8), a = Array(arn.utf8)
        let pb = boundaries(p), ab = boundaries(a)
        guard pb.count == 5, ab.count == 5 else { return matches(pattern, arn) }
        var ps = 0, vs = 0
        for i in 0...5 {
            let pe = i < 5 ? pb[i] : p.count, ve = i < 5 ? ab[i] : a.count
            if !globBytes(p[ps..<pe], a[vs..<ve]) { return false }
            ps = pe + 1
            vs = ve + 1
        }
        return true
    }

    /// The offsets of the first five colons (the ARN's component boundaries).
    static func boundaries(_ bytes: [UInt8]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(5)
        for (i, b) in bytes.enumerated() where b == 58 {
            out.append(i)
            if out.count == 5 { break }
        }
        return out
    }

    /// The wildcard match on byte slices (ARN components are ASCII), without allocating.
    static func globBytes(_ p: ArraySlice<UInt8>, _ v: ArraySlice<UInt8>) -> Bool { glob(p, v, star: 42, one: 63) }
}

/// An IPv4 or IPv6 network in CIDR form (a bare address is a /32 or /128).
public struct CIDR: Sendable, Equatable {
    let network: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = CIDR.parseAddress(parts[0]) else { return nil }
        let bits = address.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : bits
        guard let prefix, (0...bits).contains(prefix) else { return nil }
        network = address
        self.prefix = prefix
    }

    public func contains(_ text: String) -> Bool {
        guard let address = CIDR.parseAddress(text), address.count == network.count else { return false }
        var remaining = prefix
        for (a, n) in zip(address, network) {
            if remaining <= 0 { return true }
            let take = min(8, remaining)
            let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
            if a & mask != n & mask { return false }
            remaining -= take
        }
        return true
    }

    /// Whether the address has bits set beyond the prefix (`10.0.0.1/8`), which IAM ignores.
    public var hasHostBits: Bool {
        var remaining = prefix
        for byte in network {
            let keep = max(0, min(8, remaining))
            let mask: UInt8 = keep == 8 ? 0xFF : ~(0xFF >> UInt8(keep))
            if byte & ~mask != 0 { return true }
            remaining -= 8
        }
        return false
    }

    /// Whether the whole network is private or local address space, which never reaches AWS as a source address.
    public var isPrivate: Bool {
        let ranges = network.count == 4
            ? ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16"]
            : ["fc00::/7", "fe80::/10", "::1/128"]
        return ranges.contains { range in
            guard let outer = CIDR(range) else { return false }
            return outer.prefix <= prefix && outer.contains(Self.format(network))
        }
    }

    static func format(_ address: [UInt8]) -> String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(address[$0]) << 8 | UInt16(address[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    static func parseAddress(_ text: String) -> [UInt8]? {
        if text.contains(":") { return parseIPv6(text) }
        let octets = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        return octets.count == 4 ? octets : nil
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for part in s.split(separator: ":", omittingEmptySubsequences: false) {
                if part.contains("."), let v4 = parseAddress(String(part)) {
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                } else {
                    guard let g = UInt16(part, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        let tail = halves.count == 2 ? groups(halves[1]) : []
        guard let tail else { return nil }
        let missing = 8 - head.count - tail.count
        guard halves.count == 2 ? missing >= 0 : missing == 0 else { return nil }
        let all = head + Array(repeating: 0, count: max(0, missing)) + tail
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

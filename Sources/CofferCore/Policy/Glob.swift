/// IAM's wildcards: `*` matches any run of characters (including none), `?` any one character.
public enum Glob {
    public static func matches(_ pattern: String, _ value: String, caseInsensitive: Bool = false) -> Bool {
        let p = Array((caseInsensitive ? pattern.lowercased() : pattern).unicodeScalars)
        let v = Array((caseInsensitive ? value.lowercased() : value).unicodeScalars)
        var pi = 0, vi = 0, star = -1, mark = 0
        while vi < v.count {
            if pi < p.count, p[pi] == "?" || p[pi] == v[vi] {
                pi += 1
                vi += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = vi
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                vi = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Matches an action such as `secretsmanager:GetSecretValue`; action names are case-insensitive.
    public static func matchesAction(_ pattern: String, _ action: String) -> Bool {
        pattern == "*" || matches(pattern, action, caseInsensitive: true)
    }

    /// Matches ARNs component by component: partition, service, region and account each on their own,
    /// the resource part as a whole (where `*` may span `/` and `:`).
    public static func matchesARN(pattern: String, _ arn: String) -> Bool {
        if pattern == "*" { return true }
        let p = pattern.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        let a = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard p.count == 6, a.count == 6 else { return matches(pattern, arn) }
        return zip(p, a).allSatisfy { matches($0, $1) }
    }
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

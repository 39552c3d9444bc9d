/// A limit of `requests` in any `windowSeconds`, as AWS WAF's rate-based rules and the services'
/// quotas state them (seed 001: 2,000 requests per source address in 5 minutes).
public struct RateRule: Sendable, Equatable {
    public var requests: Int
    public var windowSeconds: Double

    public init(requests: Int, windowSeconds: Double) {
        self.requests = requests
        self.windowSeconds = windowSeconds
    }

    var perSecond: Double { Double(requests) / windowSeconds }
}

/// One caller's allowance under a rule: a token bucket holding up to `requests` tokens, refilled
/// evenly over the window. A burst of the whole allowance passes at once; after that the rule's
/// average rate holds.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var tokens: Double
    public private(set) var updated: Double

    public init(rule: RateRule, now: Double) {
        tokens = Double(rule.requests)
        updated = now
    }

    /// Takes one token if there is one; returns whether the request may proceed.
    public mutating func admit(rule: RateRule, now: Double) -> Bool {
        tokens = min(Double(rule.requests), tokens + max(0, now - updated) * rule.perSecond)
        updated = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket has refilled completely, so forgetting it changes nothing.
    public func isFull(rule: RateRule, now: Double) -> Bool {
        tokens + max(0, now - updated) * rule.perSecond >= Double(rule.requests)
    }
}

/// The kinds of call AWS sets separate quotas for.
public enum OperationClass: String, Sendable, CaseIterable {
    case read, write, crypto

    public static func of(_ operation: String) -> OperationClass {
        if cryptographic.contains(operation) { return .crypto }
        for prefix in ["Get", "Describe", "List", "Lookup", "BatchGet", "Validate"] where operation.hasPrefix(prefix) { return .read }
        return .write
    }

    /// KMS's cryptographic operations, which share their own request quota.
    static let cryptographic: Set<String> = [
        "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac", "GenerateRandom", "Sign", "Verify", "DeriveSharedSecret",
    ]
}

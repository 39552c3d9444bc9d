public import CofferCore
import Foundation
import Synchronization

/// Request limits per source address (checked before anything else) and per access key and class
/// of operation (checked once the caller is known); a refused request gets the service's throttling
/// error, which the SDKs back off and retry on.
final class RateLimits: Sendable {
    private let settings: RateLimitSettings
    private let buckets = Mutex<[String: TokenBucket]>([:])
    /// Past this many callers tracked, buckets that refilled completely are forgotten.
    static let trackedCallers = 100_000

    init(settings: RateLimitSettings) { self.settings = settings }

    var isEmpty: Bool { settings.perSourceIP == nil && settings.perAccessKey.isEmpty }

    func admitSource(_ address: String?, now: Date) -> Bool {
        guard let rule = settings.perSourceIP, let address else { return true }
        return admit("ip " + address, rule: rule, now: now.timeIntervalSince1970)
    }

    func admitKey(_ accessKeyID: String, operation: String, now: Date) -> Bool {
        let kind = OperationClass.of(operation)
        guard let rule = settings.perAccessKey[kind] else { return true }
        return admit("key \(kind.rawValue) " + accessKeyID, rule: rule, now: now.timeIntervalSince1970)
    }

    private func admit(_ key: String, rule: RateRule, now: Double) -> Bool {
        buckets.withLock { buckets in
            if buckets.count >= Self.trackedCallers {
                // Full buckets hold nothing worth keeping; what is left are callers being limited.
                buckets = buckets.filter { !$0.value.isFull(rule: rule, now: now) }
            }
            var bucket = buckets[key] ?? TokenBucket(rule: rule, now: now)
            let admitted = bucket.admit(rule: rule, now: now)
            buckets[key] = bucket
            return admitted
        }
    }
}

/// `rateLimits` in the config file: `perSourceIp` and `perAccessKey.{read,write,crypto}`, each
/// `{"requests": N, "windowSeconds": S}`. None is set by default.
public struct RateLimitSettings: Sendable, Equatable {
    public var perSourceIP: RateRule?
    public var perAccessKey: [OperationClass: RateRule] = [:]
    public init() {}

    init(json: [String: Any]) throws {
        for key in json.keys where !["perSourceIp", "perAccessKey"].contains(key) {
            throw ConfigurationError("rateLimits.\(key) is not a setting (perSourceIp, perAccessKey)")
        }
        if let rule = json["perSourceIp"] { perSourceIP = try Self.rule(rule, "rateLimits.perSourceIp") }
        if let classes = json["perAccessKey"] {
            guard let classes = classes as? [String: Any] else { throw ConfigurationError("rateLimits.perAccessKey must be an object") }
            for (name, rule) in classes {
                guard let kind = OperationClass(rawValue: name) else {
                    throw ConfigurationError("rateLimits.perAccessKey.\(name) is not a class of operation (read, write, crypto)")
                }
                perAccessKey[kind] = try Self.rule(rule, "rateLimits.perAccessKey.\(name)")
            }
        }
    }

    private static func rule(_ value: Any, _ path: String) throws -> RateRule {
        guard let object = value as? [String: Any], let requests = object["requests"] as? Int, requests > 0,
              let window = (object["windowSeconds"] as? Double) ?? (object["windowSeconds"] as? Int).map(Double.init), window > 0,
              Set(object.keys).isSubset(of: ["requests", "windowSeconds"])
        else { throw ConfigurationError("\(path) must be {\"requests\": N > 0, \"windowSeconds\": S > 0}") }
        return RateRule(requests: requests, windowSeconds: window)
    }
}

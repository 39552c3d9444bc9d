import CofferCore
import Crypto

/// A match with where it was found: the file (or the history's commit), and its fingerprint.
public struct Finding: Sendable {
    public let match: Match
    public let path: String
    public var introduction: GitHistory.Introduction?
    public var blob: String?
    /// Set by `--verify`: what the endpoint said of the key.
    public var verification: String?

    public init(match: Match, path: String, blob: String? = nil) {
        self.match = match
        self.path = path
        self.blob = blob
    }

    public var rule: Rule { match.rule }

    /// Stable across edits that move the secret: the rule, the path and a hash of the secret,
    /// never the line or the secret itself (what baselines and SARIF's partialFingerprints use).
    public var fingerprint: String {
        let secretHash = SHA256.hash(data: match.value + (match.partnerValue ?? []))
        let input = Array("\(rule.id)\u{0}\(path)\u{0}".utf8) + Array(secretHash)
        return Hex.encode(Array(SHA256.hash(data: input)).prefix(16))
    }

    /// The first and last characters, as much as can be shown of a secret.
    public var redacted: String { Self.redact(match.value) }

    public static func redact(_ value: [UInt8]) -> String {
        guard value.count >= 8, let first = value.first, let last = value.last, first < 0x80, last < 0x80 else {
            return String(repeating: "*", count: min(max(value.count, 3), 8))
        }
        return String(decoding: [first], as: UTF8.self) + String(repeating: "*", count: min(value.count - 2, 12))
            + String(decoding: [last], as: UTF8.self)
    }
}

public import struct Foundation.Date

/// Who is asking. What the evaluator needs to know about the principal of a request.
public struct PrincipalIdentity: Sendable, Equatable {
    public enum Kind: String, Sendable { case root = "Account", user = "User", assumedRole = "AssumedRole", service = "AWSService", federatedUser = "FederatedUser"
        /// A web identity (OpenID Connect) caller; its ARN is the IAM provider's, which `Federated` names.
        case webIdentity = "WebIdentityUser" }

    public var kind: Kind
    /// The ARN AWS reports: `arn:aws:iam::ACCOUNT:root`, `...:user/NAME`, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    public var arn: String
    public var account: String
    /// For an assumed role: the role's ARN.
    public var roleARN: String?

    public init(kind: Kind, arn: String, account: String, roleARN: String? = nil) {
        self.kind = kind
        self.arn = arn
        self.account = account
        self.roleARN = roleARN
    }

    public static func root(account: String) -> PrincipalIdentity {
        PrincipalIdentity(kind: .root, arn: "arn:aws:iam::\(account):root", account: account)
    }
}

/// One authorization question: may `principal` perform `action` on `resource`, given the context keys.
public struct RequestContext: Sendable, Equatable {
    public var principal: PrincipalIdentity
    /// `service:Operation`, e.g. `secretsmanager:GetSecretValue`.
    public var action: String
    /// The resource ARN, or `*` for actions that take none.
    public var resource: String
    /// Context keys as given; lookups ignore case. Kept as given so that building a context (on
    /// every request) costs no string copies.
    private var keys: [String: [String]]
    /// The global keys every request sets (aws:RequestedRegion, aws:SourceIp, ...), consulted before
    /// `keys`: a few pairs compared in turn, where adding them to a copy of `keys` hashed each name and
    /// copied and rehashed the dictionary.
    private let requestKeys: [String]
    private let requestValues: [[String]]
    /// Keys shared by every request of one caller (principal tags, user name), consulted after `keys`
    /// so that they need not be copied into each request's dictionary.
    private let base: [String: [String]]
    /// The request's time, behind aws:CurrentTime and aws:EpochTime (computed only when asked).
    public var time: Date?

    public init(principal: PrincipalIdentity, action: String, resource: String, keys: [String: [String]] = [:],
                request: [(key: String, values: [String])] = [], base: [String: [String]] = [:], time: Date? = nil) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.keys = keys
        requestKeys = request.map(\.key)
        requestValues = request.map(\.values)
        self.base = base
        self.time = time
    }

    public func values(for key: String) -> [String]? {
        for index in requestKeys.indices where Glob.equalIgnoringCase(requestKeys[index], key) { return requestValues[index] }
        if let exact = keys[key] ?? base[key] { return exact }
        if let match = keys.first(where: { Glob.equalIgnoringCase($0.key, key) }) ?? base.first(where: { Glob.equalIgnoringCase($0.key, key) }) {
            return match.value
        }
        guard let time else { return nil }
        if Glob.equalIgnoringCase(key, "aws:CurrentTime") { return [SigV4Timestamp.iso8601(time)] }
        if Glob.equalIgnoringCase(key, "aws:EpochTime") { return [String(Int(time.timeIntervalSince1970))] }
        return nil
    }

    public mutating func set(_ key: String, _ values: [String]) { keys[key] = values }

    public mutating func set(_ key: String, _ value: String) { keys[key] = [value] }
}

/// `${aws:username}`-style policy variables, and the escapes `${*}`, `${?}`, `${$}`.
public enum PolicyVariables {
    /// Whether the text holds `${`, over its contiguous bytes (this runs for every pattern of every
    /// request, and a `$` is rare: a word at a time finds there is none).
    static func hasVariable(_ text: String) -> Bool {
        text.withUTF8Bytes { bytes in
            guard Glob.contains(bytes, either: 36, 36) else { return false }
            for index in bytes.indices.dropFirst() where bytes[index] == 123 && bytes[index - 1] == 36 { return true }
            return false
        }
    }

    /// The text with its variables replaced, or nil when a variable has no single value in the
    /// context and no default (a resource or condition value that then matches nothing).
    public static func substitute(_ text: String, in context: RequestContext) -> String? {
        guard hasVariable(text) else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                out += rest[start.lowerBound...]
                return out
            }
            let body = String(rest[start.upperBound..<end].trimmingSpaces)
            rest = rest[rest.index(after: end)...]
            switch body {
            // The escapes stand for the characters themselves, never for wildcards.
            case "*": out.unicodeScalars.append(Glob.literalStar)
            case "?": out.unicodeScalars.append(Glob.literalOne)
            case "$": out += "$"
            default:
                var name = body
                var fallback: String?
                if let comma = body.firstIndex(of: ",") {
                    name = String(body[..<comma].trimmingSpaces)
                    let raw = String(body[body.index(after: comma)...].trimmingSpaces)
                    if raw.count >= 2, raw.hasPrefix("'"), raw.hasSuffix("'") { fallback = String(raw.dropFirst().dropLast()) }
                }
                // A substituted value is text: a `*` in a tag value must not widen the pattern.
                if let values = context.values(for: String(name)), values.count == 1 {
                    out += Glob.literal(values[0])
                } else if let fallback {
                    out += Glob.literal(fallback)
                } else {
                    return nil
                }
            }
        }
        return out + rest
    }
}


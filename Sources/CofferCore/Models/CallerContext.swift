public import struct Foundation.Date

/// Who is calling and where: what every service operation needs to know about its request.
public struct CallerContext: Sendable, Equatable {
    public let scope: ResourceScope
    /// The caller's ARN, e.g. `arn:aws:iam::123456789012:root`.
    public let principalARN: String
    public let accessKeyID: String
    public let sourceIP: String?
    public let userAgent: String?
    public let requestTime: Date

    public init(scope: ResourceScope, principalARN: String, accessKeyID: String, sourceIP: String? = nil, userAgent: String? = nil,
                requestTime: Date = Date()) {
        self.scope = scope
        self.principalARN = principalARN
        self.accessKeyID = accessKeyID
        self.sourceIP = sourceIP
        self.userAgent = userAgent
        self.requestTime = requestTime
    }

    public var isRoot: Bool { principalARN.hasSuffix(":root") }

    /// Temporary credentials (`ASIA...`) or a session principal: what AWS refuses GetSessionToken and
    /// GetFederationToken to.
    public var hasSessionCredentials: Bool {
        accessKeyID.hasPrefix("ASIA") || principalARN.contains(":assumed-role/") || principalARN.contains(":federated-user/")
    }
}

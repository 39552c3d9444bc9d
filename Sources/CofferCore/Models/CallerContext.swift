/// Who is calling and where: what every service operation needs to know about its request.
public struct CallerContext: Sendable, Equatable {
    public let scope: ResourceScope
    /// The caller's ARN, e.g. `arn:aws:iam::123456789012:root`.
    public let principalARN: String
    public let accessKeyID: String

    public init(scope: ResourceScope, principalARN: String, accessKeyID: String) {
        self.scope = scope
        self.principalARN = principalARN
        self.accessKeyID = accessKeyID
    }
}

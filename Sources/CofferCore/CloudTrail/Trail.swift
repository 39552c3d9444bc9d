public import struct Foundation.Date

/// A CloudTrail trail's configuration. Coffer records every call in its own trail whatever the
/// trails say; a trail names where AWS would deliver log files, and its logging switch.
public struct Trail: Sendable, Codable, Equatable {
    public var arn: String
    public var name: String
    public var revision: Int
    public var deletionDate: Date?
    public var s3BucketName: String
    public var s3KeyPrefix: String?
    public var includeGlobalServiceEvents: Bool
    public var isMultiRegionTrail: Bool
    public var logFileValidationEnabled: Bool
    public var kmsKeyID: String?
    public var homeRegion: String
    public var createdDate: Date
    public var isLogging: Bool
    public var startLoggingTime: Date?
    public var stopLoggingTime: Date?

    public init(arn: String, name: String, s3BucketName: String, homeRegion: String, createdDate: Date) {
        self.arn = arn
        self.name = name
        self.revision = 0
        self.s3BucketName = s3BucketName
        self.includeGlobalServiceEvents = true
        self.isMultiRegionTrail = false
        self.logFileValidationEnabled = false
        self.homeRegion = homeRegion
        self.createdDate = createdDate
        self.isLogging = false
    }
}

/// CloudTrail's naming rules for trails.
public enum TrailRules {
    public static func arn(_ name: String, scope: ResourceScope) -> String {
        "arn:aws:cloudtrail:\(scope.region):\(scope.account):trail/\(name)"
    }

    /// The name a trail is asked for by: its name or its ARN.
    public static func name(fromID id: String) -> String {
        id.hasPrefix("arn:") ? String(id.split(separator: "/", maxSplits: 1).last ?? "") : id
    }

    /// 3 to 128 ASCII letters, digits, periods, underscores and dashes; starting and ending with a
    /// letter or digit; no two of `._-` side by side; not shaped like an IP address.
    public static func validateName(_ name: String) throws(CofferError) {
        let scalars = Array(name.unicodeScalars)
        func isAlnum(_ s: Unicode.Scalar) -> Bool { s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s)) }
        let punctuation: Set<Unicode.Scalar> = [".", "_", "-"]
        var valid = (3...128).contains(scalars.count) && scalars.allSatisfy { isAlnum($0) || punctuation.contains($0) }
        if valid, let first = scalars.first, let last = scalars.last { valid = isAlnum(first) && isAlnum(last) }
        if valid { valid = !zip(scalars, scalars.dropFirst()).contains { punctuation.contains($0) && punctuation.contains($1) } }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if valid, parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) { valid = false }
        guard valid else {
            throw CofferError(.invalidTrailName, "Trail name must starts with a letter or number, end with a letter or number, "
                + "be between 3 and 128 characters, have no adjacent periods, underscores or dashes, "
                + "and not be formatted as an IP address.")
        }
    }
}

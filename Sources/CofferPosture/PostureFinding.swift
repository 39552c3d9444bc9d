/// Security Hub's severities, most severe first.
public enum PostureSeverity: String, Sendable, CaseIterable, Comparable {
    case critical = "CRITICAL", high = "HIGH", medium = "MEDIUM", low = "LOW", informational = "INFORMATIONAL"

    var rank: Int {
        switch self {
        case .critical: 4
        case .high: 3
        case .medium: 2
        case .low: 1
        case .informational: 0
        }
    }

    public static func < (lhs: PostureSeverity, rhs: PostureSeverity) -> Bool { lhs.rank < rhs.rank }

    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

/// One check: what it looks at, how bad a failure is, which controls it answers to.
public struct PostureCheck: Sendable {
    public let id: String
    public let title: String
    public let severity: PostureSeverity
    /// Security Hub control ids and CIS items this check corresponds to.
    public let controls: [String]
    /// The snapshot areas the check needs; when one could not be read the check is reported as not run.
    public let needs: [String]
    public let remediation: String
}

public struct PostureFinding: Sendable {
    public let check: PostureCheck
    public let resource: String
    public let details: String
    /// Lower than the check's own when the evidence is weaker (e.g. a scoped escalation path).
    public let severity: PostureSeverity
}

/// The outcome of one run: findings, what passed, and what could not be checked.
public struct PostureReport: Sendable {
    public let profile: String
    public let caller: String?
    public let findings: [PostureFinding]
    public let checksRun: [PostureCheck]
    public let notRun: [(check: PostureCheck, reason: String)]
    public let resourcesExamined: [String: Int]
    public let tiers: TierReport?
}

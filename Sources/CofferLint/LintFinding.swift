import CofferCore

/// IAM Access Analyzer's finding types, most severe first.
public enum LintLevel: String, Sendable, CaseIterable, Comparable {
    case error = "ERROR", securityWarning = "SECURITY_WARNING", warning = "WARNING", suggestion = "SUGGESTION"

    var rank: Int {
        switch self {
        case .error: 3
        case .securityWarning: 2
        case .warning: 1
        case .suggestion: 0
        }
    }

    public static func < (lhs: LintLevel, rhs: LintLevel) -> Bool { lhs.rank < rhs.rank }

    /// `--fail-on error|security_warning|warning|suggestion` (any case, `-` or `_`).
    public init?(argument: String) {
        self.init(rawValue: argument.uppercased().replacingDashes)
    }
}

extension String {
    var replacingDashes: String { String(map { $0 == "-" ? "_" : $0 }) }
}

/// One step of an Access Analyzer location path: `{"index":1}`, `{"key":"Sid"}`, `{"value":"Statement"}`.
public enum LintPathElement: Sendable, Equatable {
    /// An array element.
    case index(Int)
    /// A member's name itself.
    case key(String)
    /// A member's value.
    case value(String)
}

public struct LintPosition: Sendable, Equatable {
    /// 1-based, as Access Analyzer counts.
    public let line: Int
    /// 0-based, as Access Analyzer counts (SARIF adds one).
    public let column: Int
    /// 0-based byte offset.
    public let offset: Int
}

public struct LintLocation: Sendable, Equatable {
    public let path: [LintPathElement]
    public let start: LintPosition
    public let end: LintPosition

    /// The location as a JSON Pointer, for SARIF's logical location and for policies that came from an API.
    public var pointer: String {
        JSONSpans.pointer(path.map { element -> JSONPathElement in
            switch element {
            case .index(let i): .index(i)
            case .key(let k), .value(let k): .key(k)
            }
        })
    }
}

public struct LintFinding: Sendable, Equatable {
    public let level: LintLevel
    public let code: String
    /// One of Coffer's own codes (least privilege, resource reach) rather than one Access Analyzer reports.
    public var isCofferOwn: Bool { IssueCatalog.cofferCodes[code] != nil }
    /// Plain-language: what is wrong, why it matters, and what to do.
    public let details: String
    public let learnMoreLink: String
    public let locations: [LintLocation]
}

/// The findings for one policy document, with a narrower policy when one can be derived.
public struct LintResult: Sendable {
    public let source: String
    public let findings: [LintFinding]
    /// A rewritten policy that fixes the findings that have a mechanical fix, with what was changed.
    public let suggestion: (policy: String, changes: [String])?

    public init(source: String, findings: [LintFinding], suggestion: (policy: String, changes: [String])?) {
        self.source = source
        self.findings = findings
        self.suggestion = suggestion
    }
}

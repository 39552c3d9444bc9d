public import CofferCore
public import Foundation

/// `coffer posture`'s outputs: text with a summary, JSON (the report file), SARIF.
public enum PostureReports {
    public static func text(_ report: PostureReport) -> String {
        var out = "Coffer posture report (profile \(report.profile))\(report.caller.map { ", as \($0)" } ?? "")\n"
        out += "Examined: " + report.resourcesExamined.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "\n\n"
        for finding in report.findings {
            out += "[\(finding.severity.rawValue)] \(finding.check.id) (\(finding.check.controls.joined(separator: ", "))): \(finding.resource)\n"
            out += "    \(finding.details)\n    Fix: \(finding.check.remediation)\n"
        }
        if let tiers = report.tiers {
            out += "\nSecurity tiers of \(tiers.file): meets \(tiers.highest ?? "none of Basic, Enhanced, Enterprise")\n"
            for tier in tiers.tiers {
                out += "    \(tier.name): \(tier.met ? "met" : "missing or placeholder: " + tier.missing.joined(separator: ", "))\n"
            }
        }
        if !report.notRun.isEmpty {
            out += "\nNot run (partial report):\n"
            for (check, reason) in report.notRun { out += "    \(check.id): \(reason)\n" }
        }
        let counts = PostureSeverity.allCases.map { s in "\(report.findings.filter { $0.severity == s }.count) \(s.rawValue.lowercased())" }
        out += "\nSummary: \(report.findings.count) findings (\(counts.joined(separator: ", "))); \(report.checksRun.count) checks run, "
            + "\(report.checksRun.filter { c in !report.findings.contains { $0.check.id == c.id } }.count) passed, \(report.notRun.count) not run\n"
        return out
    }

    public static func json(_ report: PostureReport, generated: Date = Date()) -> String {
        var summary = JSONObject()
        for s in PostureSeverity.allCases { summary[s.rawValue] = .number(Double(report.findings.filter { $0.severity == s }.count)) }
        var object: JSONObject = [
            "tool": .string("coffer posture"),
            "generated": .string(ISO8601DateFormatter().string(from: generated)),
            "profile": .string(report.profile),
            "caller": report.caller.map(JSONValue.string) ?? .null,
            "summary": .object(summary),
            "examined": .object(report.resourcesExamined.sorted { $0.key < $1.key }.reduce(into: JSONObject()) { $0.append($1.key, .number(Double($1.value))) }),
            "findings": .array(report.findings.map { f in
                .object([
                    "check": .string(f.check.id), "title": .string(f.check.title), "severity": .string(f.severity.rawValue),
                    "resource": .string(f.resource), "details": .string(f.details), "remediation": .string(f.check.remediation),
                    "controls": .array(f.check.controls.map(JSONValue.string)), "status": .string("FAILED"),
                ])
            }),
            "checks": .array(report.checksRun.map { check in
                .object(["check": .string(check.id), "title": .string(check.title),
                         "status": .string(report.findings.contains { $0.check.id == check.id } ? "FAILED" : "PASSED")])
            } + report.notRun.map { entry in
                .object(["check": .string(entry.check.id), "title": .string(entry.check.title), "status": .string("NOT_RUN"), "reason": .string(entry.reason)])
            }),
        ]
        if let tiers = report.tiers {
            object["tiers"] = .object([
                "file": .string(tiers.file), "highest": tiers.highest.map(JSONValue.string) ?? .null,
                "tiers": .array(tiers.tiers.map { .object(["name": .string($0.name), "met": .bool($0.met), "missing": .array($0.missing.map(JSONValue.string))]) }),
            ])
        }
        return JSONWriter.pretty(.object(object)) + "\n"
    }

    public static func sarif(_ report: PostureReport, version: String) -> String {
        let used = Set(report.findings.map(\.check.id))
        let rules = PostureCatalog.all.filter { used.contains($0.id) }.map { check in
            SARIF.rule(id: check.id, title: check.title, help: check.remediation + " Controls: " + check.controls.joined(separator: ", "),
                       level: level(check.severity), tags: ["security", "posture"], securitySeverity: score(check.severity))
        }
        let results: [JSONValue] = report.findings.map { f in
            .object([
                "ruleId": .string(f.check.id), "level": .string(level(f.severity)),
                "message": .object(["text": .string(f.details)]),
                "locations": .array([.object(["logicalLocations": .array([.object(["fullyQualifiedName": .string(f.resource), "kind": .string("resource")])])])]),
                "properties": .object(["severity": .string(f.severity.rawValue)]),
            ])
        }
        return SARIF.log(tool: "coffer posture", version: version, rules: rules, results: results)
    }

    /// Prowler's mapping: critical and high are errors, medium warnings, the rest notes.
    static func level(_ severity: PostureSeverity) -> String {
        switch severity {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low, .informational: "note"
        }
    }

    static func score(_ severity: PostureSeverity) -> Double {
        switch severity {
        case .critical: 9.0
        case .high: 7.0
        case .medium: 4.0
        case .low: 2.0
        case .informational: 0.0
        }
    }
}

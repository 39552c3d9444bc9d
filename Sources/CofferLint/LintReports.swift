public import CofferCore
import Crypto

/// `coffer policy lint`'s outputs: text for people, JSON (ValidatePolicy's finding shape inside),
/// SARIF 2.1.0 for code scanning.
public enum LintReports {
    /// One finding in ValidatePolicy's response shape.
    public static func finding(_ f: LintFinding) -> JSONValue {
        .object([
            "findingDetails": .string(f.details),
            "findingType": .string(f.level.rawValue),
            "issueCode": .string(f.code),
            "learnMoreLink": .string(f.learnMoreLink),
            "locations": .array(f.locations.map { location in
                .object([
                    "path": .array(location.path.map { element -> JSONValue in
                        switch element {
                        case .index(let i): .object(["index": .number(Double(i))])
                        case .key(let k): .object(["key": .string(k)])
                        case .value(let v): .object(["value": .string(v)])
                        }
                    }),
                    "span": .object(["start": position(location.start), "end": position(location.end)]),
                ])
            }),
        ])
    }

    static func position(_ p: LintPosition) -> JSONValue {
        .object(["line": .number(Double(p.line)), "column": .number(Double(p.column)), "offset": .number(Double(p.offset))])
    }

    public static func text(_ results: [LintResult], showSuggestions: Bool = true) -> String {
        var out = ""
        for result in results {
            for f in result.findings {
                let at = f.locations.first.map { ":\($0.start.line):\($0.start.column + 1)" } ?? ""
                out += "\(result.source)\(at): \(f.level.rawValue) \(f.code): \(f.details)\n"
                if let pointer = f.locations.first?.pointer, !pointer.isEmpty { out += "    at \(pointer)\n" }
            }
            if showSuggestions, let suggestion = result.suggestion {
                out += "\(result.source): suggested policy (\(suggestion.changes.joined(separator: "; "))):\n"
                out += suggestion.policy.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
            }
        }
        let all = results.flatMap(\.findings)
        let counts = LintLevel.allCases.map { level in "\(all.filter { $0.level == level }.count) \(level.rawValue)" }
        out += "\(results.count) polic\(results.count == 1 ? "y" : "ies") checked: \(counts.joined(separator: ", "))\n"
        return out
    }

    public static func json(_ results: [LintResult]) -> String {
        let all = results.flatMap(\.findings)
        var summary = JSONObject()
        for level in LintLevel.allCases { summary[level.rawValue] = .number(Double(all.filter { $0.level == level }.count)) }
        let list: [JSONValue] = results.map { result in
            var object: JSONObject = ["source": .string(result.source), "findings": .array(result.findings.map(finding))]
            if let suggestion = result.suggestion {
                object["suggestedPolicy"] = .string(suggestion.policy)
                object["suggestedChanges"] = .array(suggestion.changes.map(JSONValue.string))
            }
            return .object(object)
        }
        return JSONWriter.pretty(.object(["results": .array(list), "summary": .object(summary)])) + "\n"
    }

    /// SARIF: Access Analyzer's ERROR and SECURITY_WARNING as `error`, WARNING as `warning`,
    /// SUGGESTION as `note`; columns 1-based; a JSON Pointer as the logical location; fingerprints
    /// from code, file and pointer (not the line), so alerts survive edits elsewhere in the file.
    public static func sarif(_ results: [LintResult], version: String) -> String {
        var rules: [String: JSONValue] = [:]
        var out: [JSONValue] = []
        for result in results {
            for f in result.findings {
                let level = sarifLevel(f.level)
                rules[f.code] = rules[f.code] ?? SARIF.rule(
                    id: f.code, title: f.code.split(separator: "_").map { $0.prefix(1) + $0.dropFirst().lowercased() }.joined(separator: " "),
                    help: "Reported at level \(f.level.rawValue). See \(f.learnMoreLink)", helpURI: f.learnMoreLink, level: level,
                    tags: ["security", "iam-policy"], securitySeverity: securitySeverity(f.level))
                var location: JSONObject = [
                    "physicalLocation": .object([
                        "artifactLocation": .object(["uri": .string(SARIF.artifactURI(result.source))]),
                        "region": .object(region(f.locations.first)),
                    ]),
                ]
                if let pointer = f.locations.first?.pointer {
                    location["logicalLocations"] = .array([.object(["fullyQualifiedName": .string(pointer.isEmpty ? "/" : pointer), "kind": .string("value")])])
                }
                let fingerprint = "\(f.code)|\(result.source)|\(f.locations.first?.pointer ?? "")"
                out.append(.object([
                    "ruleId": .string(f.code), "level": .string(level),
                    "message": .object(["text": .string(f.details)]),
                    "locations": .array([.object(location)]),
                    "partialFingerprints": .object(["cofferPolicy/v1": .string(Hex.encode(SHA256.hash(data: Array(fingerprint.utf8))))]),
                ]))
            }
        }
        return SARIF.log(tool: "coffer policy lint", version: version, rules: rules.keys.sorted().compactMap { rules[$0] }, results: out)
    }

    static func region(_ location: LintLocation?) -> JSONObject {
        guard let location else { return ["startLine": .number(1), "startColumn": .number(1)] }
        var endColumn = location.end.column + 1
        if location.end.line == location.start.line, endColumn <= location.start.column + 1 { endColumn = location.start.column + 2 }
        return [
            "startLine": .number(Double(location.start.line)), "startColumn": .number(Double(location.start.column + 1)),
            "endLine": .number(Double(location.end.line)), "endColumn": .number(Double(endColumn)),
            "charOffset": .number(Double(location.start.offset)), "charLength": .number(Double(location.end.offset - location.start.offset)),
        ]
    }

    static func sarifLevel(_ level: LintLevel) -> String {
        switch level {
        case .error, .securityWarning: "error"
        case .warning: "warning"
        case .suggestion: "note"
        }
    }

    static func securitySeverity(_ level: LintLevel) -> Double {
        switch level {
        case .securityWarning: 7.0
        case .error: 5.0
        case .warning: 4.0
        case .suggestion: 1.0
        }
    }
}

import CofferCore
import Foundation

/// The three report formats: text for people, JSON for scripts, SARIF 2.1.0 for GitHub code
/// scanning. None ever carries a secret: only its redaction and fingerprint.
public enum Reports {
    public static func text(_ findings: [Finding], skipped: [Skipped], baselined: Int, verbose: Bool) -> String {
        var out = ""
        for f in findings {
            out += "\(f.path):\(f.match.line):\(f.match.column)  \(f.rule.id)  \(f.rule.title)  \(f.redacted)"
            if let note = f.match.note { out += "  (\(note))" }
            out += "\n"
            if let intro = f.introduction { out += "    introduced in \(intro.commit.prefix(12)) by \(intro.author) on \(intro.date)\n" }
            if let verification = f.verification { out += "    \(verification)\n" }
            if verbose { out += "    fingerprint \(f.fingerprint); \(f.rule.help)\n" }
        }
        if verbose { for s in skipped { out += "skipped \(s.path): \(s.reason)\n" } }
        let count = findings.count
        out += count == 0 ? "no credentials found" : "\(count) credential\(count == 1 ? "" : "s") found"
        if baselined > 0 { out += " (\(baselined) more in the baseline)" }
        if !skipped.isEmpty { out += "; \(skipped.count) skipped\(verbose ? "" : " (--verbose lists them)")" }
        return out + "\n"
    }

    static func object(_ f: Finding) -> JSONValue {
        var o: JSONObject = [
            "ruleId": .string(f.rule.id), "title": .string(f.rule.title), "path": .string(f.path),
            "line": .number(Double(f.match.line)), "column": .number(Double(f.match.column)),
            "endLine": .number(Double(f.match.endLine)), "endColumn": .number(Double(f.match.endColumn)),
            "redacted": .string(f.redacted), "fingerprint": .string(f.fingerprint), "help": .string(f.rule.help),
        ]
        if let note = f.match.note { o["note"] = .string(note) }
        if let blob = f.blob { o["blob"] = .string(blob) }
        if let intro = f.introduction {
            o["commit"] = .string(intro.commit)
            o["author"] = .string(intro.author)
            o["date"] = .string(intro.date)
        }
        if let verification = f.verification { o["verification"] = .string(verification) }
        return .object(o)
    }

    public static func json(_ findings: [Finding], skipped: [Skipped], baselined: Int) -> String {
        let value: JSONValue = .object([
            "findings": .array(findings.map(object)),
            "skipped": .array(skipped.map { .object(["path": .string($0.path), "reason": .string($0.reason)]) }),
            "baselined": .number(Double(baselined)),
        ])
        return JSONWriter.string(value) + "\n"
    }

    /// SARIF 2.1.0 as GitHub code scanning takes it: rules with descriptions and help, one result
    /// per finding with a relative URI and region, and `partialFingerprints` from the secret's
    /// fingerprint so that alerts follow a secret when lines move.
    public static func sarif(_ findings: [Finding], rules: [Rule], version: String) -> String {
        let used = Set(findings.map(\.rule.id))
        let ruleList = rules.filter { used.contains($0.id) || used.isEmpty }
        let results: [JSONValue] = findings.map { f in
            var region: JSONObject = [
                "startLine": .number(Double(f.match.line)), "startColumn": .number(Double(f.match.column)),
                "endLine": .number(Double(f.match.endLine)), "endColumn": .number(Double(max(f.match.endColumn, 1))),
            ]
            if f.match.endLine == f.match.line, f.match.endColumn <= f.match.column { region["endColumn"] = .number(Double(f.match.column + 1)) }
            var message = "\(f.rule.title) (\(f.redacted))"
            if let intro = f.introduction { message += " introduced in commit \(intro.commit.prefix(12))" }
            var result: JSONObject = [
                "ruleId": .string(f.rule.id),
                "level": .string("error"),
                "message": .object(["text": .string(message)]),
                "locations": .array([.object(["physicalLocation": .object([
                    "artifactLocation": .object(["uri": .string(SARIF.artifactURI(f.path))]),
                    "region": .object(region),
                ])])]),
                "partialFingerprints": .object(["cofferSecret/v1": .string(f.fingerprint)]),
            ]
            if let intro = f.introduction {
                result["properties"] = .object(["commit": .string(intro.commit), "author": .string(intro.author), "date": .string(intro.date)])
            }
            return .object(result)
        }
        let rules = ruleList.map { SARIF.rule(id: $0.id, title: $0.title, help: $0.help, level: "error", tags: ["security", "secret"]) }
        return SARIF.log(tool: "coffer scan", version: version, rules: rules, results: results)
    }
}

import Foundation

/// SARIF 2.1.0 as GitHub code scanning takes it, shared by `coffer scan`, `coffer policy lint` and
/// `coffer posture`: one run, a driver with its rules, and the results.
public enum SARIF {
    public static func log(tool: String, version: String, rules: [JSONValue], results: [JSONValue]) -> String {
        let document: JSONValue = .object([
            "$schema": .string("https://json.schemastore.org/sarif-2.1.0.json"),
            "version": .string("2.1.0"),
            "runs": .array([.object([
                "tool": .object(["driver": .object([
                    "name": .string(tool), "semanticVersion": .string(version),
                    "informationUri": .string("https://github.com/coffer/coffer"),
                    "rules": .array(rules),
                ])]),
                "results": .array(results),
            ])]),
        ])
        return JSONWriter.string(document) + "\n"
    }

    /// A relative path as a URI (percent-encoded where needed); GitHub resolves it from the repository root.
    public static func artifactURI(_ path: String) -> String {
        var p = path
        while p.hasPrefix("./") { p.removeFirst(2) }
        return p.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? p
    }

    /// A rule with the descriptions and help GitHub shows; `securitySeverity` is GitHub's 0-10 score.
    public static func rule(id: String, title: String, help: String, helpURI: String? = nil, level: String, tags: [String],
                            securitySeverity: Double? = nil) -> JSONValue {
        var properties: JSONObject = ["tags": .array(tags.map(JSONValue.string))]
        if let securitySeverity { properties["security-severity"] = .string(String(securitySeverity)) }
        var rule: JSONObject = [
            "id": .string(id), "name": .string(id),
            "shortDescription": .object(["text": .string(title)]),
            "fullDescription": .object(["text": .string(title + ". " + help)]),
            "help": .object(["text": .string(help)]),
            "defaultConfiguration": .object(["level": .string(level)]),
            "properties": .object(properties),
        ]
        if let helpURI { rule["helpUri"] = .string(helpURI) }
        return .object(rule)
    }
}

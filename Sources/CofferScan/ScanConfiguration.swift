import CofferCore
import Foundation

/// What a team adds to the built-in rules: its own token formats (rules are data) and
/// allowlists, from a JSON file (`coffer scan --config .coffer-scan.json`) or the allowlists of a
/// gitleaks configuration (`--config .gitleaks.toml`: `[allowlist]` and `[[allowlists]]` with
/// `paths`, `regexes`, `stopwords`; gitleaks' own rules are not read, Coffer's detectors stand).
///
/// JSON: `{"rules": [{"id", "title", "prefix", "alphabet": "alnum|word|base64|base64url|hex|upper",
/// "minLength", "maxLength", "help"}], "allowlist": {"paths": [regex], "regexes": [regex],
/// "stopwords": [string]}, "disable": [rule id]}`. Path and value regexes are applied to findings
/// only, never on the scanning path.
public struct ScanConfiguration: Sendable {
    public var rules: [CustomRule] = []
    public var allowedPaths: [String] = []
    public var allowedValues: [String] = []
    public var stopwords: [String] = []
    public var disabled: Set<String> = []

    public struct CustomRule: Sendable, Equatable {
        public var id: String
        public var title: String
        public var prefix: String
        public var alphabet: String
        public var minLength: Int
        public var maxLength: Int
        public var help: String
    }

    public init() {}

    public init(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ScanError("\(path): cannot be read") }
        if path.hasSuffix(".toml") {
            try self.init(gitleaksTOML: String(decoding: data, as: UTF8.self), path: path)
        } else {
            try self.init(json: [UInt8](data), path: path)
        }
        for pattern in allowedPaths + allowedValues {
            guard (try? NSRegularExpression(pattern: pattern)) != nil else { throw ScanError("\(path): not a regular expression: \(pattern)") }
        }
    }

    init(json bytes: [UInt8], path: String) throws {
        guard case .object(let object) = try JSONParser.parse(bytes) else { throw ScanError("\(path): not a JSON object") }
        func strings(_ value: JSONValue?) -> [String] {
            guard case .array(let list)? = value else { return [] }
            return list.compactMap { if case .string(let s) = $0 { s } else { nil } }
        }
        if case .array(let list)? = object["rules"] {
            for case .object(let rule) in list {
                guard case .string(let id)? = rule["id"], case .string(let prefix)? = rule["prefix"], prefix.utf8.count >= 3 else {
                    throw ScanError("\(path): every rule needs an id and a prefix of at least 3 characters")
                }
                var custom = CustomRule(id: id, title: id, prefix: prefix, alphabet: "alnum", minLength: 16, maxLength: 64,
                                        help: "Revoke it and keep it in a secret store.")
                if case .string(let title)? = rule["title"] { custom.title = title }
                if case .string(let help)? = rule["help"] { custom.help = help }
                if case .string(let alphabet)? = rule["alphabet"] {
                    guard Self.alphabets[alphabet] != nil else { throw ScanError("\(path): rule \(id): unknown alphabet \(alphabet)") }
                    custom.alphabet = alphabet
                }
                if case .number(let n)? = rule["minLength"] { custom.minLength = Int(n) }
                if case .number(let n)? = rule["maxLength"] { custom.maxLength = Int(n) }
                guard custom.minLength >= 1, custom.maxLength >= custom.minLength else { throw ScanError("\(path): rule \(id): bad lengths") }
                rules.append(custom)
            }
        }
        if case .object(let allow)? = object["allowlist"] {
            allowedPaths = strings(allow["paths"])
            allowedValues = strings(allow["regexes"])
            stopwords = strings(allow["stopwords"])
        }
        disabled = Set(strings(object["disable"]))
    }

    /// The allowlist tables of a gitleaks TOML file; everything else in it is passed over.
    init(gitleaksTOML text: String, path: String) throws {
        var section = ""
        var pendingKey: String?
        var pending = ""
        func take(_ key: String, _ raw: String) {
            let values = Self.tomlStrings(raw)
            guard section == "allowlist" || section == "allowlists" else { return }
            switch key {
            case "paths": allowedPaths += values
            case "regexes": allowedValues += values
            case "stopwords": stopwords += values
            default: break
            }
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let key = pendingKey {
                pending += "\n" + line
                if Self.closesArray(pending) {
                    take(key, pending)
                    pendingKey = nil
                }
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") || trimmed.isEmpty { continue }
            if trimmed.hasPrefix("[") {
                section = trimmed.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = String(trimmed[trimmed.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("["), !Self.closesArray(value) {
                pendingKey = key
                pending = value
            } else {
                take(key, value)
            }
        }
    }

    static func closesArray(_ text: String) -> Bool {
        var inString: String?
        var depth = 0
        var i = text.startIndex
        while i < text.endIndex {
            let rest = text[i...]
            if let quote = inString {
                if rest.hasPrefix(quote) { i = text.index(i, offsetBy: quote.count); inString = nil; continue }
            } else if rest.hasPrefix("'''") || rest.hasPrefix("\"\"\"") {
                inString = String(rest.prefix(3)); i = text.index(i, offsetBy: 3); continue
            } else if text[i] == "'" || text[i] == "\"" {
                inString = String(text[i])
            } else if text[i] == "[" {
                depth += 1
            } else if text[i] == "]" {
                depth -= 1
                if depth == 0 { return true }
            }
            i = text.index(after: i)
        }
        return false
    }

    /// The strings of a TOML array or value: '''literal''', 'literal', "basic" (with \\ escapes).
    static func tomlStrings(_ text: String) -> [String] {
        var out: [String] = []
        var i = text.startIndex
        while i < text.endIndex {
            let rest = text[i...]
            for quote in ["'''", "\"\"\"", "'", "\""] where rest.hasPrefix(quote) {
                let start = text.index(i, offsetBy: quote.count)
                guard let end = text.range(of: quote, range: start..<text.endIndex) else { return out }
                var value = String(text[start..<end.lowerBound])
                if quote == "\"" { value = value.replacingOccurrences(of: "\\\\", with: "\\") }
                out.append(value)
                i = end.upperBound
                break
            }
            if i < text.endIndex, !text[i...].hasPrefix("'") && !text[i...].hasPrefix("\"") { i = text.index(after: i) }
        }
        return out
    }

    static let alphabets: [String: @Sendable (UInt8) -> Bool] = [
        "alnum": { ByteClass.isAlnum($0) }, "word": { ByteClass.isWord($0) }, "base64": { ByteClass.isBase64($0) },
        "base64url": { ByteClass.isBase64URL($0) }, "hex": { ByteClass.isHex($0) }, "upper": { ByteClass.isUpper($0) || ByteClass.isDigit($0) },
    ]

    var tokens: [PrefixToken] {
        rules.map { rule in
            PrefixToken(rule: Rule(rule.id, rule.title, help: rule.help), prefix: rule.prefix, body: Self.alphabets[rule.alphabet]!,
                        length: rule.minLength...rule.maxLength)
        }
    }

    /// Whether a finding is allowed by path, by a regex on the secret, or by a stopword in it.
    func allows(path: String, value: [UInt8], compiled: Compiled) -> Bool {
        if compiled.paths.contains(where: { $0.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil }) { return true }
        let text = String(decoding: value, as: UTF8.self)
        if compiled.values.contains(where: { $0.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil }) { return true }
        let lower = text.lowercased()
        return stopwords.contains { lower.contains($0.lowercased()) }
    }

    struct Compiled: @unchecked Sendable {
        // Safe: NSRegularExpression is immutable once made and documented as thread-safe.
        let paths: [NSRegularExpression]
        let values: [NSRegularExpression]
    }

    var compiled: Compiled {
        Compiled(paths: allowedPaths.compactMap { try? NSRegularExpression(pattern: $0) },
                 values: allowedValues.compactMap { try? NSRegularExpression(pattern: $0) })
    }
}

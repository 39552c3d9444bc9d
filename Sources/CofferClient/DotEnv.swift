import Foundation

/// `.env` files as Docker Compose reads them: `#` comments and blank lines ignored, an optional
/// `export ` prefix, `KEY=value`, `KEY="value"` (escapes `\n \r \t \\ \"`, may span lines) and
/// `KEY='value'` (literal); an unquoted value ends at ` #`. `${VAR}` is left as written: Coffer
/// stores what the file says rather than what this shell would make of it.
public enum DotEnv {
    public struct Entry: Sendable, Equatable {
        public let key: String
        public let value: String
        public let line: Int
    }

    public static func parse(_ text: String, file: String = ".env") throws(AWSClientError) -> [Entry] {
        var entries: [Entry] = []
        var seen: [String: Int] = [:]
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        var index = 0
        while index < lines.count {
            let number = index + 1
            var line = Substring(lines[index])
            index += 1
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).drop { $0 == " " } }
            guard let equals = line.firstIndex(of: "=") else {
                throw .configuration("\(file):\(number): expected KEY=value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard let first = key.first, first == "_" || first.isLetter, key.allSatisfy({ $0 == "_" || $0 == "." || $0 == "-" || $0.isLetter || $0.isNumber }) else {
                // The text is not echoed: a malformed line may be a pasted secret.
                throw .configuration("\(file):\(number): \(key.isEmpty ? "a line without a name" : "not a valid variable name (letters, digits, _ . -, not starting with a digit)")")
            }
            var rest = line[line.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            var value = ""
            if rest.hasPrefix("\"") {
                // Escapes apply; the value may run over several lines until the closing quote.
                var characters = Array(rest.dropFirst())
                var position = 0
                var escaped = false
                var closed = false
                while !closed {
                    if position == characters.count {
                        guard index < lines.count else { throw .configuration("\(file):\(number): the double-quoted value of \(key) is not closed") }
                        value.append("\n")
                        characters = Array(lines[index])
                        index += 1
                        position = 0
                        continue
                    }
                    let character = characters[position]
                    position += 1
                    if escaped {
                        switch character {
                        case "n": value.append("\n")
                        case "r": value.append("\r")
                        case "t": value.append("\t")
                        default: value.append(character)
                        }
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        closed = true
                    } else {
                        value.append(character)
                    }
                }
            } else if rest.hasPrefix("'") {
                rest = rest.dropFirst()
                guard let close = rest.firstIndex(of: "'") else { throw .configuration("\(file):\(number): the single-quoted value of \(key) is not closed") }
                value = String(rest[..<close])
            } else {
                if let comment = rest.range(of: " #") { rest = rest[..<comment.lowerBound] }
                value = rest.trimmingCharacters(in: .whitespaces)
            }
            if let earlier = seen[key] { throw .configuration("\(file):\(number): \(key) is already set on line \(earlier)") }
            seen[key] = number
            entries.append(Entry(key: key, value: value, line: number))
        }
        return entries
    }

    /// One `KEY="value"` line per entry, double-quoted with escapes, so that any value reads back the same.
    public static func render(_ entries: [(key: String, value: String)]) -> String {
        entries.map { entry in
            var quoted = ""
            for character in entry.value {
                switch character {
                case "\\": quoted += "\\\\"
                case "\"": quoted += "\\\""
                case "\n": quoted += "\\n"
                case "\r": quoted += "\\r"
                case "\t": quoted += "\\t"
                default: quoted.append(character)
                }
            }
            return "\(entry.key)=\"\(quoted)\"\n"
        }.joined()
    }
}

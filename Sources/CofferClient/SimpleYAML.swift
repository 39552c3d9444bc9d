import CofferCore
import Foundation

/// The part of YAML that configuration files use: nested mappings by indentation, scalars (plain,
/// single- or double-quoted), `#` comments, and block lists of scalars. Anchors, flow collections,
/// multi-line scalars and documents are refused with the line, rather than read wrongly.
public enum SimpleYAML {
    /// Leaf paths (`["mysql", "password"]`) to their scalar text; a list becomes its items joined by commas.
    public static func leaves(_ text: String, file: String) throws(AWSClientError) -> [(path: [String], value: String, line: Int)] {
        var out: [(path: [String], value: String, line: Int)] = []
        var stack: [(indent: Int, key: String)] = []
        var list: (path: [String], items: [String], line: Int, indent: Int)?
        func flushList() {
            if let current = list { out.append((current.path, current.items.joined(separator: ","), current.line)) }
            list = nil
        }
        for (offset, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = offset + 1
            let line = String(raw)
            let content = stripComment(line)
            if content.trimmingCharacters(in: .whitespaces).isEmpty || content.hasPrefix("---") { continue }
            let indent = content.prefix { $0 == " " }.count
            if content.contains("\t") && content.prefix(indent + 1).contains("\t") {
                throw .configuration("\(file):\(number): tabs cannot indent YAML")
            }
            let body = content.dropFirst(indent)
            if body.hasPrefix("- ") || body == "-" {
                guard var current = list, indent >= current.indent else { throw .configuration("\(file):\(number): a list item without a key above it") }
                current.items.append(try scalar(String(body.dropFirst(1)).trimmingCharacters(in: .whitespaces), file, number))
                list = current
                continue
            }
            flushList()
            guard let colon = keyColon(body) else { throw .configuration("\(file):\(number): expected key: value") }
            let key = try scalar(String(body[..<colon]).trimmingCharacters(in: .whitespaces), file, number)
            let rest = String(body[body.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            while let last = stack.last, last.indent >= indent { stack.removeLast() }
            let path = stack.map(\.key) + [key]
            if rest.isEmpty {
                stack.append((indent, key))
                list = (path, [], number, indent)
                continue
            }
            if rest.hasPrefix("&") || rest.hasPrefix("*") || rest.hasPrefix("|") || rest.hasPrefix(">") || rest.hasPrefix("{") || rest.hasPrefix("[") {
                throw .configuration("\(file):\(number): \(key) uses YAML that Coffer does not read (anchors, block scalars, flow collections)")
            }
            out.append((path, try scalar(rest, file, number), number))
        }
        flushList()
        // A key with nothing under it is an empty value, as YAML reads it; one with children is not a leaf.
        return out.filter { entry in !entry.value.isEmpty || !out.contains { $0.path.count > entry.path.count && $0.path.starts(with: entry.path) } }
    }

    static func stripComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for (index, character) in zip(line.indices, line) {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#", previous == " " || previous == "\t" {
                return String(line[..<index])
            }
            previous = character
        }
        return line
    }

    /// The colon that ends a key: outside quotes, followed by a space or the end of the line.
    static func keyColon(_ body: Substring) -> Substring.Index? {
        var quote: Character?
        var index = body.startIndex
        while index < body.endIndex {
            let character = body[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == ":" {
                let next = body.index(after: index)
                if next == body.endIndex || body[next] == " " { return index }
            }
            index = body.index(after: index)
        }
        return nil
    }

    static func scalar(_ text: String, _ file: String, _ number: Int) throws(AWSClientError) -> String {
        if text.count >= 2, text.hasPrefix("'"), text.hasSuffix("'") { return String(text.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'") }
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
            do { return try JSONParser.parse(text).stringValue ?? "" } catch { throw .configuration("\(file):\(number): bad double-quoted string") }
        }
        if text.hasPrefix("\"") || text.hasPrefix("'") { throw .configuration("\(file):\(number): unclosed quote") }
        return text == "~" || text == "null" ? "" : text
    }
}

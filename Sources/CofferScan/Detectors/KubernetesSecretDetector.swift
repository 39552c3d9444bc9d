/// A Kubernetes Secret manifest committed with its data: every value under `data:` (base64) or
/// `stringData:` (text) of a YAML document whose top-level `kind` is exactly `Secret` is secret by
/// definition, whatever its key is called (`key: bXlwYXNzd29yZA==`). Other kinds are not
/// (`ExternalSecret` and `SealedSecret` hold references or ciphertext, a `ConfigMap`'s data is
/// configuration), nor are empty values, Helm templates, placeholders and certificates (public).
/// A value another detector names more exactly (a token or key inside the base64) is reported as that.
struct KubernetesSecretDetector: Detector {
    static let rule = Rule("kubernetes-secret", "Kubernetes Secret data in a manifest",
                           help: "Rotate the values; keep the Secret out of the repository (Sealed Secrets, SOPS, or External Secrets reading a secret store).")
    var rules: [Rule] { [Self.rule] }
    let keywords = ["kind:"]
    /// How much of a document around `kind: Secret` is read, each way.
    static let window = 64 * 1024

    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate]) {
        // A top-level `kind: Secret`, quoted or not, and nothing more on the line.
        guard start == 0 || ByteClass.isNewline(text[start - 1]) else { return }
        var i = end + text.run(from: end, limit: 8, ByteClass.isSpace)
        let quote = text.at(i) == UInt8(ascii: "\"") || text.at(i) == UInt8(ascii: "'") ? text.at(i) : nil
        if quote != nil { i += 1 }
        guard text.matches("Secret", at: i) else { return }
        i += 6
        if let quote { guard text.at(i) == quote else { return }; i += 1 }
        i += text.run(from: i, limit: 8, ByteClass.isSpace)
        guard i >= text.count || ByteClass.isNewline(text[i]) || text[i] == UInt8(ascii: "#") else { return }
        guard let document = Self.document(around: start, in: text) else { return }
        var line = document.lowerBound
        while line < document.upperBound {
            let next = Self.nextLine(after: line, in: text, limit: document.upperBound)
            if text.matches("data:", at: line) || text.matches("stringData:", at: line) {
                let encoded = text.matches("data:", at: line)
                let blockEnd = entries(from: next, until: document.upperBound, in: text, encoded: encoded, into: &found)
                line = blockEnd
                continue
            }
            line = next
        }
    }

    /// The YAML document holding `offset`: from the line after the `---` before it to the next `---`
    /// (at most `window` each way); nil when a top-level `kind:` comes before `offset` in it, so that a
    /// document is read once however many `kind:` lines it has (and a file of them stays linear).
    static func document(around offset: Int, in text: ByteText) -> Range<Int>? {
        let floor = max(0, offset - window), ceiling = min(text.count, offset + window)
        var lower = lineStart(before: offset, in: text)
        while lower > floor {
            let previous = lineStart(before: lower - 1, in: text)
            if text.matches("---", at: previous) { break }
            if text.matches("kind:", at: previous) { return nil }
            lower = previous
        }
        var upper = nextLine(after: offset, in: text, limit: ceiling)
        while upper < ceiling, !text.matches("---", at: upper) { upper = nextLine(after: upper, in: text, limit: ceiling) }
        return lower..<upper
    }

    static func lineStart(before offset: Int, in text: ByteText) -> Int {
        var i = min(offset, text.count)
        while i > 0, !ByteClass.isNewline(text[i - 1]) { i -= 1 }
        return i
    }

    static func nextLine(after offset: Int, in text: ByteText, limit: Int) -> Int {
        var i = offset
        while i < limit, text[i] != 0x0A { i += 1 }
        return min(i + 1, limit)
    }

    /// The indented `key: value` lines of a `data:` or `stringData:` block from `start`; returns where
    /// the block ends (the first line indented no more than the block's key).
    func entries(from start: Int, until end: Int, in text: ByteText, encoded: Bool, into found: inout [Candidate]) -> Int {
        var line = start
        var indent: Int?
        while line < end {
            let next = Self.nextLine(after: line, in: text, limit: end)
            let depth = text.run(from: line, limit: 64) { ByteClass.isSpace($0) }
            let content = line + depth
            if content >= next || ByteClass.isNewline(text.at(content)) || text.at(content) == UInt8(ascii: "#") {
                line = next  // a blank line or a comment
                continue
            }
            guard depth > 0 else { return line }
            if indent == nil { indent = depth }
            guard depth == indent else {
                line = next  // a deeper line: the rest of a block scalar read with its key
                continue
            }
            let keyLength = text.run(from: content, limit: 253) { ByteClass.isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
            guard keyLength > 0, text.at(content + keyLength) == UInt8(ascii: ":") else {
                line = next
                continue
            }
            let key = text.string(content..<(content + keyLength))
            if let value = Self.value(after: content + keyLength + 1, lineEnd: next, indent: depth, until: end, in: text),
                Self.isSecret(text.slice(value), encoded: encoded)
            {
                found.append(Candidate(rule: Self.rule, secret: value, note: String(key.prefix(48))))
            }
            line = next
        }
        return end
    }

    /// A value on its key's line (quoted or not), or a block scalar's first line (`key: |`).
    static func value(after colon: Int, lineEnd: Int, indent: Int, until end: Int, in text: ByteText) -> Range<Int>? {
        var i = colon + text.run(from: colon, limit: 16, ByteClass.isSpace)
        if text.at(i) == UInt8(ascii: "|") || text.at(i) == UInt8(ascii: ">") {
            guard lineEnd < end else { return nil }
            let depth = text.run(from: lineEnd, limit: 64, ByteClass.isSpace)
            guard depth > indent else { return nil }
            i = lineEnd + depth
        }
        var stop = i
        while stop < text.count, !ByteClass.isNewline(text[stop]) { stop += 1 }
        var range = i..<stop
        let first = text.at(range.lowerBound)
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            var close = range.lowerBound + 1
            while close < range.upperBound, text[close] != first { close += 1 }
            range = (range.lowerBound + 1)..<close
        } else {
            // A trailing comment or spaces are not the value.
            var upper = range.lowerBound
            while upper < range.upperBound, !(text[upper] == UInt8(ascii: "#") && upper > range.lowerBound && ByteClass.isSpace(text[upper - 1])) { upper += 1 }
            while upper > range.lowerBound, ByteClass.isSpace(text[upper - 1]) || text[upper - 1] == 0x0D { upper -= 1 }
            range = range.lowerBound..<upper
        }
        return range.isEmpty ? nil : range
    }

    /// Whether a value is secret material: under `data:` base64 of something that is not a
    /// placeholder or a certificate; under `stringData:` text that is not a template or placeholder.
    static func isSecret(_ value: [UInt8], encoded: Bool) -> Bool {
        if Bytes.contains(value, Array("{{".utf8)) || value.first == UInt8(ascii: "$") { return false }
        guard encoded else { return value.count >= 6 && !Placeholders.isPlaceholder(value) }
        guard value.count >= 8, value.allSatisfy({ ByteClass.isBase64($0) || $0 == UInt8(ascii: "=") }),
            let decoded = Base64.decode(value), decoded.count >= 6
        else { return false }
        if decoded.starts(with: Array("-----BEGIN CERTIFICATE".utf8)) { return false }
        return !Placeholders.isPlaceholder(decoded, references: false)
    }
}

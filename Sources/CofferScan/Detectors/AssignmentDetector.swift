/// Passwords, secrets and tokens assigned in code and configuration: `password = "..."`,
/// `"api_key": "..."`, `DB_PASSWORD=...` in .env files, YAML, Terraform, properties, INI, XML
/// elements and notebooks' escaped JSON. The name on the left decides whether the value is meant
/// to be a credential; the value decides whether it is one: references (`${VAR}`, `os.environ`,
/// calls, attributes), placeholders, paths, numbers, booleans and bare words are not.
struct AssignmentDetector: Detector {
    static let password = Rule("password-assignment", "Password in code or configuration",
                               help: "Change the password and read it at run time from a secret store (`coffer run`, or a Coffer secret).")
    static let secret = Rule("secret-assignment", "Secret, token or API key in code or configuration",
                             help: "Revoke the value and read it at run time from a secret store (`coffer run`, or a Coffer secret).")
    static let awsSecret = Rule("aws-secret-access-key", "AWS secret access key",
                                help: "Deactivate and delete the key pair it belongs to, then keep the new one in a secret store.")
    static let cofferRoot = Rule("coffer-root-credentials", "Coffer root key or root credentials",
                                 help: "Coffer's root key or root secret opens every value: move it to COFFER_ROOT_KEY_FILE with mode 0600 and replace the root credentials.")

    var rules: [Rule] { [Self.password, Self.secret, Self.awsSecret, Self.cofferRoot] }
    let keywords = ["pass", "pwd", "secret", "token", "apikey", "api_key", "api-key", "access_key", "accesskey", "access-key", "auth_key",
                    "private_key", "privatekey", "private-key", "credential", "creds", "coffer_root_key"]

    static let passwordNames = ["password", "passwd", "passphrase", "pass", "pwd"]
    /// Name parts that make a name describe something about a credential, not hold one
    /// (password_min_length, tokenType, secret_arn, PASSWORD_FILE).
    static let excludedSegments: Set<String> = [
        "id", "ids", "type", "name", "names", "url", "uri", "path", "file", "dir", "length", "len", "field", "policy", "expire",
        "expires", "expiry", "expiration", "ttl", "count", "label", "prompt", "hint", "pattern", "regex", "format", "header", "param",
        "arn", "endpoint", "version", "env", "reset", "forgot", "change", "confirm", "confirmation", "min", "max", "strength",
        "validator", "manager", "required", "enabled", "rotation", "ref", "class", "input", "placeholder", "store", "provider",
        "method", "mode", "source", "message", "description", "text", "usage", "limit", "location", "kind", "value", "csrf", "xsrf",
        "cursor", "marker", "hash", "salt", "expired", "valid", "invalid", "error", "errors", "request", "response", "timeout", "size",
        "line", "lines", "bytes", "index", "offset", "start", "end", "kind", "serialize", "deserialize", "parser", "lexer",
        // Published on purpose: public keys, Mapbox's public tokens, Stripe's publishable keys.
        "public", "publishable",
    ]
    /// Names that contain a keyword by accident or name a service, not a value.
    static let excludedNames = [
        "keyid", "tokenizer", "passenger", "passage", "bypass", "compass", "passthrough", "secretsmanager", "secretstring", "nexttoken",
        "pagetoken", "continuation", "passport", "jsonwebtoken",
    ]

    /// The parts of a name: split at _ - . and where lower case turns upper (passwordMinLength).
    static func segments(_ name: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var previousLower = false
        for ch in name {
            if ch == "_" || ch == "-" || ch == "." {
                if !current.isEmpty { parts.append(current) }
                current = ""
                previousLower = false
                continue
            }
            if ch.isUppercase, previousLower {
                parts.append(current)
                current = ""
            }
            current.append(ch)
            previousLower = ch.isLowercase || ch.isNumber
        }
        if !current.isEmpty { parts.append(current) }
        return parts.map { $0.lowercased() }
    }

    /// CamelCase API and accessor names (GetSecretValue, setPassword, isTokenValid).
    static let excludedPrefixes = ["get", "put", "set", "list", "describe", "create", "delete", "update", "rotate", "batch", "is", "has",
                                   "validate", "generate", "fetch", "load", "read", "write", "check", "verify", "parse", "make", "new"]

    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate]) {
        // The whole name the keyword sits in.
        // Bounded both ways: inside a long base64 or hex run every hit would otherwise walk it all.
        var keyStart = start
        while keyStart > 0, start - keyStart <= 64, Self.isNameByte(text[keyStart - 1]) { keyStart -= 1 }
        var keyEnd = end
        while keyEnd < text.count, keyEnd - end <= 64, Self.isNameByte(text[keyEnd]) { keyEnd += 1 }
        guard keyEnd - keyStart <= 64 else { return }
        // Inside an ARN or a namespaced id (arn:aws:secretsmanager:...:secret:name), not an assignment.
        if text.before(keyStart) == UInt8(ascii: ":") { return }
        // Only the last keyword hit in a name is examined, so a name is judged once. Cheap byte
        // checks come first: most keyword hits in code are not assignments at all.
        let nameBytes = text.slice(keyStart..<keyEnd).map { ByteClass.isUpper($0) ? $0 | 0x20 : $0 }
        guard Self.lastKeywordEnd(in: nameBytes) == end - keyStart else { return }
        // The comma form only for a call's first argument: define('DB_PASSWORD', ...), put("token", ...).
        let firstArgument = keyStart >= 2 && text.before(keyStart - 1) == UInt8(ascii: "(")
        guard let value = Self.value(after: keyEnd, in: text, opensElement: text.before(keyStart) == UInt8(ascii: "<"),
                                     commaAssigns: firstArgument) else { return }
        let bytes = text.slice(value.range)
        guard bytes.count >= 6, bytes.count <= 256 else { return }
        if value.colon, !value.quoted, Self.annotatesType(text, before: keyStart) { return }
        if !value.quoted, Self.looksLikeCode(bytes) { return }
        let original = text.string(keyStart..<keyEnd)
        let name = String(decoding: nameBytes, as: UTF8.self)
        // spring.datasource.password: the last part names the value.
        guard let rule = Self.rule(forName: String(original.split(separator: ".").last ?? Substring(original))) else { return }
        guard Self.judge(bytes, rule: rule, quoted: value.quoted) else { return }
        found.append(Candidate(rule: rule, secret: value.range, note: String(name.prefix(48))))
    }

    static let keywordBytes: [[UInt8]] = AssignmentDetector().keywords.map { Array($0.utf8) }

    /// Where the last keyword occurrence in a (lower-cased) name ends.
    static func lastKeywordEnd(in name: [UInt8]) -> Int {
        var last = 0
        for keyword in keywordBytes where keyword.count <= name.count {
            var i = name.count - keyword.count
            while i >= 0 {
                if name[i] == keyword[0], name[i..<(i + keyword.count)].elementsEqual(keyword) {
                    last = max(last, i + keyword.count)
                    break
                }
                i -= 1
            }
        }
        return last
    }

    /// An unquoted value that is code, not a literal: a name (relative_token_line, sessionToken),
    /// an attribute or call, a C comment's close (/*name=*/value), or another key (description=...).
    static func looksLikeCode(_ value: [UInt8]) -> Bool {
        if value.allSatisfy({ ByteClass.isWord($0) || $0 == UInt8(ascii: ".") }), !value.contains(where: ByteClass.isDigit) { return true }
        if value.starts(with: Array("*/".utf8)) { return true }
        // snake_case or camelCase identifiers.
        if let first = value.first, ByteClass.isLower(first), value.allSatisfy(ByteClass.isWord) {
            if value.contains(UInt8(ascii: "_")), !value.contains(where: ByteClass.isUpper) { return true }
            if isCamelCaseWords(value) { return true }
        }
        // name= or name: at the start: the value is another assignment.
        if let first = value.first, ByteClass.isLower(first) || ByteClass.isUpper(first) {
            let head = value.prefix { ByteClass.isWord($0) }
            let wordLike = head.allSatisfy { ByteClass.isLower($0) || $0 == UInt8(ascii: "_") } || isCamelCaseWords(Array(head))
            if head.count < value.count, [UInt8(ascii: "="), UInt8(ascii: ":")].contains(value[head.count]), head.count >= 3,
                !head.contains(where: ByteClass.isDigit), wordLike
            {
                return true
            }
        }
        return false
    }

    /// sessionToken, relativeTokenLine: words that each start with a capital and hold a vowel, no
    /// two capitals together, few digits. A random string rarely reads so.
    static func isCamelCaseWords(_ value: [UInt8]) -> Bool {
        guard !value.contains(UInt8(ascii: "_")), value.filter(ByteClass.isDigit).count <= 2 else { return false }
        var words: [[UInt8]] = [[]]
        for (index, b) in value.enumerated() {
            if ByteClass.isUpper(b) {
                if index > 0, ByteClass.isUpper(value[index - 1]) { return false }
                words.append([])
            }
            words[words.count - 1].append(b | 0x20)
        }
        let vowels: Set<UInt8> = Set("aeiouy".utf8)
        return words.count >= 2 && words.allSatisfy { $0.count >= 2 && $0.contains(where: vowels.contains) }
    }

    static func isNameByte(_ b: UInt8) -> Bool { ByteClass.isWord(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") }

    static func rule(forName original: String) -> Rule? {
        let name = original.lowercased()
        if name.contains("coffer_root_key") || name.contains("coffer_root_secret") { return cofferRoot }
        if name.contains("coffer_root") { return nil }
        let parts = segments(original)
        if parts.contains(where: excludedSegments.contains) { return nil }
        for prefix in excludedPrefixes where name.hasPrefix(prefix) && name.count > prefix.count {
            let next = name[name.index(name.startIndex, offsetBy: prefix.count)]
            if next == "_" || next == "-" || next.isLetter { return nil }
        }
        for excluded in excludedNames where name.contains(excluded) { return nil }
        if name.contains("aws_secret") || name.contains("secret_access_key") || name.contains("secretaccesskey") { return awsSecret }
        if passwordNames.contains(where: { name.hasSuffix($0) || name.hasPrefix($0) }) || parts.contains(where: passwordNames.contains) {
            return password
        }
        if name.contains("secret") || name.contains("token") || name.contains("apikey") || name.contains("api_key") || name.contains("api-key")
            || name.contains("access_key") || name.contains("accesskey") || name.contains("access-key") || name.contains("auth_key")
            || name.contains("private_key") || name.contains("privatekey") || name.contains("private-key") || name.contains("credential")
            || name.contains("creds")
        {
            return secret
        }
        return nil
    }

    struct Value {
        let range: Range<Int>
        let quoted: Bool
        /// After a plain `:`, which in a declaration (`var privateKey: ASN1OctetString`) names a type.
        var colon = false
    }

    /// The value assigned after a name: through a closing quote of the name, an operator
    /// (= : := => or an XML element's >), and an optional opening quote, on the same line.
    static func value(after keyEnd: Int, in text: ByteText, opensElement: Bool, commaAssigns: Bool = false) -> Value? {
        var i = keyEnd
        // The name may be quoted ("password": ...) or escaped inside a notebook's JSON (\"password\").
        if text.at(i) == 0x5C { i += 1 }
        var quotedName = false
        if text.at(i) == UInt8(ascii: "\"") || text.at(i) == UInt8(ascii: "'") {
            quotedName = true
            i += 1
        }
        i += text.run(from: i, limit: 16, ByteClass.isSpace)
        var op = text.at(i)
        // define('DB_PASSWORD', '...'), props.put("password", "..."), setdefault("API_KEY", "..."):
        // a quoted name, a comma, and a quoted value.
        if op == UInt8(ascii: ","), quotedName, commaAssigns {
            var j = i + 1
            j += text.run(from: j, limit: 16, ByteClass.isSpace)
            guard text.at(j) == UInt8(ascii: "\"") || text.at(j) == UInt8(ascii: "'") else { return nil }
            op = UInt8(ascii: "=")
            i = j - 1
        }
        // A declared type between the name and "=": var apiToken string = "..." (Go), let apiToken: String =
        // "..." (Swift, Kotlin, TypeScript, Scala), password: str = "..." (Python).
        if let equals = typedDeclaration(at: i, in: text) {
            i = equals
            op = UInt8(ascii: "=")
        }
        var xml = false
        var block = false
        var plainColon = false
        switch op {
        case UInt8(ascii: "=") where text.at(i) != UInt8(ascii: "="):
            i += 1  // the comma form, positioned before the value's quote
        case UInt8(ascii: "="):
            if text.at(i + 1) == UInt8(ascii: "=") || text.before(i) == UInt8(ascii: "!") { return nil }
            i += text.at(i + 1) == UInt8(ascii: ">") ? 2 : 1
        case UInt8(ascii: ".") where text.at(i + 1) == UInt8(ascii: "="),  // PHP's .=
             UInt8(ascii: "?") where text.at(i + 1) == UInt8(ascii: "="),  // make's ?=
             UInt8(ascii: "+") where text.at(i + 1) == UInt8(ascii: "="):  // make's +=
            i += 2
        case UInt8(ascii: ":"):
            // : and make's :=, ::= and :::=; a :: not followed by = is a C++ or Ruby scope.
            var colons = 1
            while colons < 3, text.at(i + colons) == UInt8(ascii: ":") { colons += 1 }
            if text.at(i + colons) == UInt8(ascii: "=") {
                i += colons + 1
            } else {
                guard colons == 1 else { return nil }
                i += 1
                plainColon = true
                // A YAML block scalar (token: |, token: >-): the value is the indented line below.
                var j = i + text.run(from: i, limit: 16, ByteClass.isSpace)
                if text.at(j) == UInt8(ascii: "|") || text.at(j) == UInt8(ascii: ">") {
                    j += 1
                    if text.at(j) == UInt8(ascii: "-") || text.at(j) == UInt8(ascii: "+") { j += 1 }
                    j += text.run(from: j, limit: 16, ByteClass.isSpace)
                    if text.at(j) == 0x0D { j += 1 }
                    guard text.at(j) == 0x0A, ByteClass.isSpace(text.at(j + 1)) else { return nil }
                    i = j + 1
                    block = true
                }
            }
        case UInt8(ascii: ">"):
            // <password>value</password>, the value on its own line or not
            guard opensElement else { return nil }
            xml = true
            i += 1
            i += text.run(from: i, limit: 64) { ByteClass.isSpace($0) || ByteClass.isNewline($0) }
        default:
            return nil
        }
        i += text.run(from: i, limit: 16, ByteClass.isSpace)
        var quote: UInt8?
        if text.at(i) == 0x5C, text.at(i + 1) == UInt8(ascii: "\"") { quote = UInt8(ascii: "\""); i += 2 }
        else if [UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`")].contains(text.at(i)) { quote = text.at(i); i += 1 }
        let start = i
        if let quote {
            while i < text.count, text[i] != quote, !ByteClass.isNewline(text[i]), i - start <= 512 {
                if text[i] == 0x5C, text.at(i + 1) == quote { break }  // \" closes an escaped JSON string
                i += 1
            }
            guard text.at(i) == quote || text.at(i) == 0x5C, i > start else { return nil }
            // "prefix" + more, "fmt" % args: a piece of a value being built, not a value.
            var after = text.at(i) == 0x5C ? i + 2 : i + 1
            after += text.run(from: after, limit: 8, ByteClass.isSpace)
            if text.at(after) == UInt8(ascii: "+") || text.at(after) == UInt8(ascii: "%") { return nil }
            return Value(range: start..<i, quoted: true)
        }
        let stop: (UInt8) -> Bool = { b in
            ByteClass.isSpace(b) || ByteClass.isNewline(b) || b == UInt8(ascii: ",") || b == UInt8(ascii: ";") || b == UInt8(ascii: ")")
                || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == UInt8(ascii: "<") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")
                || b == 0x5C
        }
        while i < text.count, !stop(text[i]), i - start <= 512 { i += 1 }
        guard i > start else { return nil }
        if xml, text.at(i + text.run(from: i, limit: 64) { ByteClass.isSpace($0) || ByteClass.isNewline($0) }) != UInt8(ascii: "<") {
            return nil
        }
        if block, !ByteClass.isNewline(text.at(i)), i < text.count { return nil }  // the block's first line is more than one value
        return Value(range: start..<i, quoted: xml || block, colon: plainColon && !block)
    }

    /// Words that open a declaration in Swift, Kotlin, Scala, TypeScript and the like: after one, `name: X`
    /// gives a type, not a value.
    static let declarationWords: Set<String> = [
        "var", "let", "val", "const", "struct", "class", "enum", "protocol", "extension", "case", "func", "fun", "def", "interface",
        "type", "private", "fileprivate", "public", "internal", "static", "lazy", "weak", "unowned", "readonly", "final", "open",
        "override", "mutating", "nonisolated", "declare", "export", "inout", "borrowing", "consuming",
    ]

    /// Whether `name:` there is followed by a type: the word before the name (on its line) opens a
    /// declaration, or the name is a parameter (inside parentheses opened on its line:
    /// `init(format: Int, privateKey: ASN1OctetString)`; a YAML flow mapping's `{user: a, password: b}` is not).
    static func annotatesType(_ text: ByteText, before start: Int) -> Bool {
        var depth = 0
        var i = start
        while i > 0, start - i < 256, !ByteClass.isNewline(text[i - 1]) {
            i -= 1
            if text[i] == UInt8(ascii: ")") { depth -= 1 }
            if text[i] == UInt8(ascii: "(") { depth += 1 }
        }
        if depth > 0 { return true }
        var end = start
        while end > 0, ByteClass.isSpace(text[end - 1]) { end -= 1 }
        guard end < start else { return false }
        var begin = end
        while begin > 0, end - begin < 16, ByteClass.isLower(text[begin - 1]) { begin -= 1 }
        guard begin < end, begin == 0 || !ByteClass.isWord(text[begin - 1]) else { return false }
        return declarationWords.contains(text.string(begin..<end))
    }

    /// Where the "=" of a declaration with a type is (`name string =`, `name: Type =`), if `at` starts one.
    static func typedDeclaration(at start: Int, in text: ByteText) -> Int? {
        var i = start
        if text.at(i) == UInt8(ascii: ":") {
            i += 1
            i += text.run(from: i, limit: 8, ByteClass.isSpace)
        } else if !ByteClass.isSpace(text.before(i)) {
            return nil
        }
        guard ByteClass.isUpper(text.at(i)) || ByteClass.isLower(text.at(i)) || text.at(i) == UInt8(ascii: "[") || text.at(i) == UInt8(ascii: "*")
        else { return nil }
        let type = text.run(from: i, limit: 40) { b in
            ByteClass.isWord(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "?") || b == UInt8(ascii: "!") || b == UInt8(ascii: "[")
                || b == UInt8(ascii: "]") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == UInt8(ascii: "*")
        }
        guard type > 0, type < 40 else { return nil }
        i += type
        i += text.run(from: i, limit: 8, ByteClass.isSpace)
        guard text.at(i) == UInt8(ascii: "="), text.at(i + 1) != UInt8(ascii: "="), text.at(i + 1) != UInt8(ascii: ">") else { return nil }
        return i
    }

    /// Whether the value is a credential rather than a reference, a placeholder or code.
    static func judge(_ value: [UInt8], rule: Rule, quoted: Bool) -> Bool {
        guard value.count >= 6, value.count <= 256, !Placeholders.isPlaceholder(value) else { return false }
        let hasUpper = value.contains(where: ByteClass.isUpper), hasLower = value.contains(where: ByteClass.isLower)
        let hasDigit = value.contains(where: ByteClass.isDigit)
        let hasSymbol = value.contains { !ByteClass.isAlnum($0) && $0 != UInt8(ascii: "_") }
        let classes = [hasUpper, hasLower, hasDigit, hasSymbol].filter { $0 }.count
        if value.allSatisfy(ByteClass.isDigit) { return false }
        if let first = value.first, [UInt8(ascii: "/"), UInt8(ascii: "~"), UInt8(ascii: ".")].contains(first) { return false }
        let text = String(decoding: value, as: UTF8.self)
        // A template ({name}, f-strings) or a resource name or path (app/prod/db, team-a/*).
        if text.contains("{") || text.contains("\\(") { return false }  // also Swift's "\(name)" interpolation
        if text.contains("::") { return false }
        if value.contains(UInt8(ascii: "/")), value.allSatisfy({ b in
            ByteClass.isLower(b) || ByteClass.isDigit(b) || b == UInt8(ascii: "/") || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "*")
        }) { return false }
        if text.contains("://") || text.hasSuffix(".json") || text.hasSuffix(".pem") || text.hasSuffix(".key") || text.hasSuffix(".txt") { return false }
        if !quoted {
            // Code: a name, a call, an attribute, an index (password = get_password(), token = self.token,
            // sessionToken: token?.value).
            if value.allSatisfy({ ByteClass.isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "!") }),
                !hasDigit || value.contains(UInt8(ascii: "."))
            {
                return false
            }
            if text.contains("(") || text.contains("[") { return false }
        }
        if value.allSatisfy({ ByteClass.isLower($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: " ") }) {
            // Words (snake_case names, prose): not a credential unless long and random.
            return false
        }
        if text.contains(" ") && Entropy.shannon(value) < 4.0 { return false }  // a sentence
        if value.filter({ $0 == 0x20 }).count >= 2 { return false }  // words, not a credential
        switch rule {
        case awsSecret:
            return value.count == 40 && value.allSatisfy(ByteClass.isBase64) && AWSKeyDetector.isSecretKey(value)
        case password:
            // Letters alone (Message, Sunshine) read as words; a password has a digit or a symbol.
            return classes >= 2 && value.count >= 6 && (hasDigit || hasSymbol || value.count >= 16)
        case cofferRoot:
            return value.count >= 20
        default:
            // Tokens are random: digits and a spread of characters, or a long high-entropy string.
            let entropy = Entropy.shannon(value)
            return value.count >= 12 && classes >= 2 && ((hasDigit && entropy >= 3.0) || entropy >= 4.0)
        }
    }
}

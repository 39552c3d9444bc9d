/// Values that look like credentials but are documentation, templates or references: they are
/// never findings. Shared by every detector that reads a value a person typed.
enum Placeholders {
    /// AWS's documentation keys and other published examples.
    static let knownExamples: Set<String> = [
        "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "ASIAIOSFODNN7EXAMPLE",
    ]

    static let words: [String] = [
        "example", "changeme", "change_me", "change-me", "changeit", "placeholder", "your_", "your-", "yourpassword", "my_password",
        "mypassword", "mysecret", "password123", "xxxx", "****", "....", "<", "redacted", "dummy", "sample", "todo", "fixme",
        "notreal", "not_real", "not-a-real", "fake", "insert", "replace", "secret_here", "here", "enter_", "enter-", "none", "null",
        "undefined", "true", "false", "test123", "foobar", "lorem", "abcdef", "123456", "qwerty", "s3cr3t", "s3cret", "hunter2",
        "password", "passw0rd", "secret", "not-the", "not-a-", "hmac-", "sha256", "sha512", "sha1", "md5", "bcrypt", "argon2",
    ]

    /// Whole values that are conventional stand-ins.
    static let exact: Set<String> = ["pass", "pwd", "user", "admin", "root", "test", "guest", "default", "postgres", "mysql", "token"]

    static let wordBytes: [[UInt8]] = words.map { Array($0.utf8) }
    static let templateMarks: [[UInt8]] = ["${", "{{", "}}", "os.environ", "getenv", "process.env"].map { Array($0.utf8) }
    static let referencePrefixes: [[UInt8]] = ["$", "<", "env(", "env.", "secrets.", "vault:", "arn:", "ssm:", "!ref", "var.", "local.",
                                               "data.", "@"].map { Array($0.utf8) }

    /// Whether `value` is a template, a reference to somewhere else, or an obvious placeholder.
    /// Byte-level throughout: this runs for every candidate value.
    /// `references: false` where a value cannot be a reference: a password decoded from base64 is the
    /// password itself, and one that starts with `@` or `$` is still one.
    static func isPlaceholder(_ value: [UInt8], references: Bool = true) -> Bool {
        guard let text = String(bytes: value, encoding: .utf8) else { return true }
        if knownExamples.contains(text) || value.ends(with: "EXAMPLE") || value.ends(with: "EXAMPLEKEY") { return true }
        let lower = value.map { ByteClass.isUpper($0) ? $0 | 0x20 : $0 }
        // Templates and references: ${VAR}, $VAR, {{ var }}, %(var)s, %VAR%, <var>, env lookups.
        if lower.first == UInt8(ascii: "%"), lower.last == UInt8(ascii: "%") || lower.starts(with: [0x25, 0x28]) || lower.count <= 3 { return true }
        if references, referencePrefixes.contains(where: { lower.starts(with: $0) }) { return true }
        if templateMarks.contains(where: { Bytes.contains(lower, $0) }) { return true }
        if exact.contains(String(decoding: lower, as: UTF8.self)) { return true }
        if wordBytes.contains(where: { Bytes.contains(lower, $0) }) { return true }
        // A run of five identical characters (000000, xxxxx): filler, not randomness.
        var run = 1
        for (a, b) in zip(value, value.dropFirst()) {
            run = a == b ? run + 1 : 1
            if run >= 5 { return true }
        }
        // One character repeated, or a run like abcdefgh / 12345678.
        if Set(value).count <= 2 { return true }
        if isSequential(value) { return true }
        return false
    }

    static func isSequential(_ value: [UInt8]) -> Bool {
        guard value.count >= 6 else { return false }
        var ascending = 0
        for (a, b) in zip(value, value.dropFirst()) where b == a &+ 1 { ascending += 1 }
        return ascending >= value.count - 2
    }
}

enum Bytes {
    /// Whether `needle` occurs in `haystack`.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, needle.count <= haystack.count else { return needle.isEmpty }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var k = 1
                while k < needle.count, haystack[i + k] == needle[k] { k += 1 }
                if k == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount
        guard count >= n else { return false }
        let p = suffix.utf8Start
        for k in 0..<n where self[count - n + k] != p[k] { return false }
        return true
    }
}

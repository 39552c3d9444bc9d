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

    /// Whether `value` is a template, a reference to somewhere else, or an obvious placeholder.
    static func isPlaceholder(_ value: [UInt8]) -> Bool {
        guard let text = String(bytes: value, encoding: .utf8) else { return true }
        if knownExamples.contains(text) || text.hasSuffix("EXAMPLE") || text.hasSuffix("EXAMPLEKEY") { return true }
        let lower = text.lowercased()
        // Templates and references: ${VAR}, $VAR, {{ var }}, %(var)s, %VAR%, <var>, env lookups.
        let percentTemplate = lower.hasPrefix("%") && (lower.hasSuffix("%") || lower.hasPrefix("%(") || lower.count <= 3)
        if lower.hasPrefix("$") || lower.contains("${") || lower.contains("{{") || lower.contains("}}") || percentTemplate
            || lower.hasPrefix("<") || lower.contains("os.environ") || lower.contains("getenv") || lower.contains("process.env")
            || lower.hasPrefix("env(") || lower.hasPrefix("env.") || lower.hasPrefix("secrets.") || lower.hasPrefix("vault:")
            || lower.hasPrefix("arn:") || lower.hasPrefix("ssm:") || lower.hasPrefix("!ref") || lower.hasPrefix("var.")
            || lower.hasPrefix("local.") || lower.hasPrefix("data.") || lower.hasPrefix("@")
        {
            return true
        }
        if exact.contains(lower) { return true }
        for word in words where lower.contains(word) { return true }
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

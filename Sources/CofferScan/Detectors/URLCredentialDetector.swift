/// Connection URLs that carry a password: `postgres://user:pass@host`, MySQL, MongoDB, Redis,
/// AMQP, ClickHouse, MSSQL, JDBC, LDAP, FTP, SMTP, and HTTP(S) basic credentials. A templated,
/// referenced or placeholder password is not a finding.
struct URLCredentialDetector: Detector {
    static let rule = Rule("url-credentials", "Password in a connection URL",
                           help: "Change the password, and build the URL at run time from a secret (Coffer's secret JSON: host, port, username, password).")
    var rules: [Rule] { [Self.rule] }
    let keywords = ["://"]

    static let schemes: Set<String> = [
        "postgres", "postgresql", "mysql", "mariadb", "mongodb", "mongodb+srv", "redis", "rediss", "amqp", "amqps", "clickhouse",
        "mssql", "sqlserver", "oracle", "ldap", "ldaps", "ftp", "sftp", "smtp", "smtps", "http", "https", "postgresql+psycopg2",
        "mysql+pymysql", "postgres+asyncpg", "postgresql+asyncpg", "jdbc:postgresql", "jdbc:mysql", "jdbc:sqlserver", "kafka", "nats",
        "mqtt", "mqtts", "snowflake", "cockroachdb", "neo4j", "bolt", "couchbase", "elasticsearch", "influxdb",
    ]

    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate]) {
        // The scheme, read backwards: letters, digits, + . - and a jdbc: prefix.
        var s = start
        while s > 0, ByteClass.isAlnum(text[s - 1]) || text[s - 1] == UInt8(ascii: "+") || text[s - 1] == UInt8(ascii: ".")
            || text[s - 1] == UInt8(ascii: "-") || text[s - 1] == UInt8(ascii: ":"), start - s < 40
        {
            s -= 1
        }
        let scheme = text.string(s..<start).lowercased()
        guard Self.schemes.contains(scheme) || Self.schemes.contains(String(scheme.drop { $0 != ":" }.dropFirst())) else { return }
        // userinfo = user:password@, with no / before the @.
        let authorityEnd = end + text.run(from: end, limit: 512) { b in
            b != UInt8(ascii: "/") && b != UInt8(ascii: "@") && !ByteClass.isSpace(b) && !ByteClass.isNewline(b) && b != UInt8(ascii: "\"")
                && b != UInt8(ascii: "'") && b != UInt8(ascii: "`")
        }
        guard text.at(authorityEnd) == UInt8(ascii: "@") else { return }
        let userinfo = text.slice(end..<authorityEnd)
        guard let colon = userinfo.firstIndex(of: UInt8(ascii: ":")) else { return }
        let user = Array(userinfo[..<colon])
        let password = Array(userinfo[(colon + 1)...])
        guard !password.isEmpty, !user.isEmpty, password.count >= 4, !Placeholders.isPlaceholder(password) else { return }
        if password.allSatisfy({ $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "x") }) { return }
        // A host must follow the @.
        guard ByteClass.isAlnum(text.at(authorityEnd + 1)) || text.at(authorityEnd + 1) == UInt8(ascii: "[") else { return }
        let passwordStart = end + colon + 1
        found.append(Candidate(rule: Self.rule, secret: passwordStart..<authorityEnd, note: scheme))
    }
}

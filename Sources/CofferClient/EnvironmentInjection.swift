/// How `coffer run` turns secrets and parameters into a child's environment: names, order,
/// conflicts and the names it never sets. Pure, so the rules are tested apart from any process.
public struct EnvironmentInjection: Sendable {
    /// Names a secret must never set: they change what runs or how (the shell's search path, the
    /// dynamic loader, interpreters' start-up hooks).
    public static let refused: Set<String> = [
        "PATH", "HOME", "PS1", "SHELL", "IFS", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES",
        "DYLD_LIBRARY_PATH", "PROMPT_COMMAND", "BASH_ENV", "ENV", "PERL5OPT", "PERL5LIB", "PYTHONSTARTUP", "PYTHONPATH",
        "PYTHONWARNINGS", "NODE_OPTIONS", "RUBYOPT", "JAVA_TOOL_OPTIONS", "GCONV_PATH", "BROWSER", "PHPRC", "COFFER_RUN",
    ]

    public enum Conflict: String, Sendable {
        /// The fetched value replaces the inherited one, with a warning (chamber's and doppler's default).
        case override
        /// The inherited value stays, with a note.
        case preserve
        /// The run stops before the child starts.
        case refuse
    }

    /// One variable to set and where its value came from (a secret's id and field, a parameter's name).
    public struct Entry: Sendable {
        public let name: String
        public let value: String
        public let source: String

        public init(name: String, value: String, source: String) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    public struct Outcome: Sendable {
        public var environment: [String: String]
        /// Lines for standard error: names and sources only, never values.
        public var warnings: [String]
    }

    public var conflict: Conflict = .override
    public var allowAWSNames = false

    public init(conflict: Conflict = .override, allowAWSNames: Bool = false) {
        self.conflict = conflict
        self.allowAWSNames = allowAWSNames
    }

    /// `db-password`, `/app/prod/db.host`, `apiKey` as `DB_PASSWORD`, `DB_HOST`, `APIKEY`.
    public static func variableName(_ key: String, prefix: String = "") -> String {
        let last = key.split(separator: "/").last.map(String.init) ?? key
        var name = (prefix + last).uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" }
        if let first = name.first, first.isNumber { name.insert("_", at: name.startIndex) }
        return String(name)
    }

    /// The child's environment: `inherited` with `entries` applied in order, later
    /// entries replacing earlier ones; throws naming the variable when a rule refuses it.
    public func apply(_ entries: [Entry], to inherited: [String: String]) throws(AWSClientError) -> Outcome {
        var environment = inherited
        var warnings: [String] = []
        var setBy: [String: String] = [:]
        for entry in entries {
            let name = entry.name
            guard !name.isEmpty, name.first.map({ $0 == "_" || $0.isLetter }) == true else {
                throw .configuration("\(entry.source) gives the variable name \(name), which is not a valid name")
            }
            if Self.refused.contains(name) { throw .configuration("\(entry.source) would set \(name), which coffer run never sets") }
            if name.hasPrefix("AWS_"), !allowAWSNames {
                throw .configuration("\(entry.source) would set \(name); AWS_ variables decide where the child's own calls go (allow with --allow-aws)")
            }
            if let earlier = setBy[name] {
                warnings.append("\(name) from \(entry.source) replaces the one from \(earlier)")
            } else if inherited[name] != nil {
                switch conflict {
                case .refuse: throw .configuration("\(name) is already set in the environment and \(entry.source) would replace it (--no-override)")
                case .preserve:
                    warnings.append("\(name) is already set in the environment; kept, \(entry.source) not used")
                    continue
                case .override: warnings.append("\(name) was already set in the environment; \(entry.source) replaces it")
                }
            }
            environment[name] = entry.value
            setBy[name] = entry.source
        }
        return Outcome(environment: environment, warnings: warnings)
    }
}

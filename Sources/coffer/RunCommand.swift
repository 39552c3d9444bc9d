import ArgumentParser
import CofferClient
import CofferCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `coffer run -- CMD`: seed 004's credential manager for any language. Every secret and parameter
/// is fetched first; only when all arrived does CMD replace this process (execve, so its PID, its
/// signals and its exit status are the command's own), with the values in its environment and
/// never on its command line, on disk or in a log.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command with secrets and parameters in its environment.",
        discussion: """
            --secret ID puts each field of a JSON secret in a variable named after it (db-password becomes DB_PASSWORD); \
            --secret 'DB_*=ID' prefixes them; --secret VAR=ID puts the whole value in VAR. --path /app/prod puts every parameter \
            under the path (recursively) in a variable named after its last segment. --env-file FILE reads a .env file (Compose \
            syntax). Files apply first, then secrets, then paths; a later source replaces an earlier one. A variable \
            already set is replaced with a warning (--preserve-env keeps it, --no-override refuses to start). PATH, LD_PRELOAD and \
            other names that change what runs are refused, as are AWS_ names unless --allow-aws. Exit status: the command's, or 2 \
            when something could not be fetched (the command is then not started). --watch SECONDS keeps coffer beside the \
            command instead: it reads the values again every SECONDS and restarts the command (--restart-signal, then SIGKILL \
            after --grace seconds) when one changed, forwards the signals it gets, and ends with the command's status.
            """)

    @Option(name: .customLong("secret"), help: "ID, 'PREFIX_*=ID' or VAR=ID (repeatable).") var secrets: [String] = []
    @Option(name: .customLong("path"), help: "A Parameter Store path, read recursively and decrypted (repeatable).") var paths: [String] = []
    @Option(name: .customLong("env-file"), help: "A .env file in Docker Compose's syntax (repeatable); secrets and paths replace its values.")
    var envFiles: [String] = []
    @Flag(name: .customLong("no-override"), help: "Refuse to start if a fetched name is already set in the environment.") var noOverride = false
    @Flag(name: .customLong("preserve-env"), help: "Keep variables already set instead of replacing them.") var preserveEnv = false
    @Flag(help: "Start the command with only the fetched variables (and PATH, HOME, USER, LANG, TERM).") var pristine = false
    @Flag(name: .customLong("allow-aws"), help: "Allow secrets to set AWS_ variables.") var allowAWS = false
    @Flag(help: "Run even inside another coffer run.") var force = false
    @Option(help: "Keep coffer running beside the command: read the values again every SECONDS and restart the command when one changed.")
    var watch: Double?
    @Option(name: .customLong("restart-signal"), help: "With --watch: the signal that stops the command for a restart (TERM, INT, HUP, QUIT, USR1, USR2).")
    var restartSignal = "TERM"
    @Option(help: "With --watch: seconds to wait after the restart signal before SIGKILL.") var grace: Double = 10
    @OptionGroup var connection: Connection
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, e.g. coffer run --secret app/db -- ./server") }
        if secrets.isEmpty, paths.isEmpty, envFiles.isEmpty { throw ValidationError("give at least one --secret, --path or --env-file") }
        if noOverride, preserveEnv { throw ValidationError("--no-override and --preserve-env exclude each other") }
        if let watch, !(watch >= 1) { throw ValidationError("--watch takes a number of seconds, at least 1") }
        if Self.signals[restartSignal.uppercased().replacingOccurrences(of: "SIG", with: "")] == nil {
            throw ValidationError("--restart-signal takes one of \(Self.signals.keys.sorted().joined(separator: ", "))")
        }
        if !(grace >= 0) { throw ValidationError("--grace takes a number of seconds") }
    }

    static let signals: [String: Int32] = ["TERM": SIGTERM, "INT": SIGINT, "HUP": SIGHUP, "QUIT": SIGQUIT, "USR1": SIGUSR1, "USR2": SIGUSR2]

    func run() async throws {
        try await exitingTwoOnError("run") {
            let inherited = ProcessInfo.processInfo.environment
            if inherited["COFFER_RUN"] != nil, !force {
                throw ValidationError("already inside coffer run (COFFER_RUN is set); use --force to nest")
            }
            let first = try await environment(inherited, warn: true)
            guard let watch else { try Self.exec(command, environment: first) }
            let signal = Self.signals[restartSignal.uppercased().replacingOccurrences(of: "SIG", with: "")] ?? SIGTERM
            let run = self
            try await RunSupervisor(command: command, interval: watch, restartSignal: signal, grace: grace) {
                try await run.environment(inherited, warn: false)
            }.run(first: first)
        }
    }

    /// The command's environment: the fetched values applied to the inherited (or pristine) one.
    func environment(_ inherited: [String: String], warn: Bool) async throws -> [String: String] {
        let entries = try await fetch()
        let rules = EnvironmentInjection(conflict: noOverride ? .refuse : preserveEnv ? .preserve : .override, allowAWSNames: allowAWS)
        let base = pristine ? inherited.filter { ["PATH", "HOME", "USER", "LANG", "TERM"].contains($0.key) } : inherited
        var outcome = try rules.apply(entries, to: base)
        if warn { for warning in outcome.warnings { FileHandle.standardError.write(Data("coffer run: \(warning)\n".utf8)) } }
        outcome.environment["COFFER_RUN"] = (envFiles.map { "file:" + $0 } + secrets.map { "secret:" + Self.parse($0).id } + paths.map { "path:" + $0 })
            .joined(separator: ",")
        return outcome.environment
    }

    /// `ID`, `PREFIX_*=ID` or `VAR=ID`; a name with `=` in it needs the VAR form.
    static func parse(_ spec: String) -> (id: String, variable: String?, prefix: String?) {
        guard let equals = spec.firstIndex(of: "=") else { return (spec, nil, nil) }
        let left = String(spec[..<equals]), id = String(spec[spec.index(after: equals)...])
        let validName = left.first.map { $0 == "_" || $0.isLetter } == true && left.dropLast(left.hasSuffix("*") ? 1 : 0).allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
        guard validName, !id.isEmpty else { return (spec, nil, nil) }
        return left.hasSuffix("*") ? (id, nil, String(left.dropLast())) : (id, left, nil)
    }

    func fetch() async throws -> [EnvironmentInjection.Entry] {
        var entries: [EnvironmentInjection.Entry] = []
        // Files first, so that what the store holds wins over a local copy.
        for file in envFiles {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            for entry in try DotEnv.parse(String(decoding: data, as: UTF8.self), file: file) {
                entries.append(.init(name: entry.key, value: entry.value, source: "\(file):\(entry.line)"))
            }
        }
        if !secrets.isEmpty {
            let client = SecretsManagerClient(caller: try await connection.caller(for: .secretsManager))
            for spec in secrets {
                let (id, variable, prefix) = Self.parse(spec)
                let secret: FetchedSecret
                do { secret = try await client.getSecretValue(id) } catch { throw ValidationError("secret \(id): \(error)") }
                if let variable {
                    guard let text = secret.string?.value else { throw ValidationError("secret \(id) holds binary data, which an environment cannot carry") }
                    entries.append(.init(name: variable, value: text, source: "secret \(id)"))
                    continue
                }
                let fields: [(name: String, value: Redacted<String>)]
                do { fields = try secret.fields() } catch {
                    throw ValidationError("secret \(id) is not a JSON object, so it has no fields to name variables after; give its variable with --secret VAR=\(id)")
                }
                for field in fields {
                    entries.append(.init(name: EnvironmentInjection.variableName(field.name, prefix: prefix ?? ""), value: field.value.value,
                                         source: "secret \(id) field \(field.name)"))
                }
            }
        }
        if !paths.isEmpty {
            let client = ParameterStoreClient(caller: try await connection.caller(for: .ssm))
            for path in paths {
                let parameters: [FetchedParameter]
                do { parameters = try await client.parameters(under: path) } catch { throw ValidationError("path \(path): \(error)") }
                if parameters.isEmpty { throw ValidationError("no parameters under \(path)") }
                for parameter in parameters.sorted(by: { $0.name < $1.name }) {
                    entries.append(.init(name: EnvironmentInjection.variableName(parameter.name), value: parameter.value.value, source: "parameter \(parameter.name)"))
                }
            }
        }
        return entries
    }

    /// `program` found on `path` as a shell would, when it names no directory.
    static func resolve(_ program: String, path: String?) -> String {
        guard !program.contains("/"), let path else { return program }
        for directory in path.split(separator: ":") where access("\(directory)/\(program)", X_OK) == 0 { return "\(directory)/\(program)" }
        return program
    }

    /// Replaces this process with the command, found on the new PATH as a shell would.
    static func exec(_ command: [String], environment: [String: String]) throws -> Never {
        let arguments = command.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let program = resolve(command[0], path: environment["PATH"])
        // Ignored signals and the blocked mask survive execve; the command must get SIGTERM and SIGINT
        // as if it had been started directly.
        for number: Int32 in 1..<32 where number != SIGKILL && number != SIGSTOP { signal(number, SIG_DFL) }
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        execve(program, arguments, variables)
        let reason = String(cString: strerror(errno))
        throw ValidationError("cannot run \(command[0]): \(reason)")
    }
}

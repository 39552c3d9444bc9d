import ArgumentParser
import CofferClient
import CofferCore
import Crypto
import Foundation

/// Where `coffer import` writes and `coffer export` reads: `ssm:/path` (one parameter per key under
/// the path) or `secretsmanager:NAME` (one secret holding the keys as a JSON object).
enum Store {
    case parameters(path: String)
    case secret(id: String)

    init(_ text: String) throws {
        if text.hasPrefix("ssm:/") {
            let path = String(text.dropFirst(4))
            self = .parameters(path: path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path)
        } else if text.hasPrefix("secretsmanager:"), text.count > 15 {
            self = .secret(id: String(text.dropFirst(15)))
        } else {
            throw ValidationError("give ssm:/PATH or secretsmanager:NAME, not \(text)")
        }
    }
}

/// `coffer import FILE --to ssm:/app/prod` or `--to secretsmanager:app/prod`: seed 004's `--from-env`
/// setup. `.env` (Compose syntax), JSON objects of scalars, YAML mappings (nested keys as nested
/// parameter paths); names that look secret become
/// SecureString parameters unless `--type` says otherwise. `--dry-run` lists what would change by
/// name only. Re-running an import changes nothing (a secret's version token comes from the content).
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import a .env or JSON file into Parameter Store or a secret.")

    @Argument(help: "A .env file (Compose syntax), a .json object or a .yaml mapping; - reads a .env from standard input.") var file: String
    @Option(help: "ssm:/PATH or secretsmanager:NAME.") var to: String
    @Option(help: "For ssm: String, SecureString or auto (SecureString for names that look secret; default).") var type = "auto"
    @Flag(name: .customLong("dry-run"), help: "Say what would be created or changed (names only) and change nothing.") var dryRun = false
    @OptionGroup var connection: Connection

    func run() async throws {
        try await exitingTwoOnError("import") {
            guard ["auto", "String", "SecureString"].contains(type) else { throw ValidationError("--type takes String, SecureString or auto") }
            let entries = try read()
            if entries.isEmpty { throw ValidationError("\(file) holds no values") }
            switch try Store(to) {
            case .parameters(let path): try await importParameters(entries, path: path)
            case .secret(let id): try await importSecret(entries, id: id)
            }
        }
    }

    func read() throws -> [(key: String, value: String)] {
        let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try FileManager.default.contents(atPath: file).orThrow(ValidationError("cannot read \(file)"))
        let text = String(decoding: data, as: UTF8.self)
        if file.hasSuffix(".json") {
            let value: JSONValue
            do { value = try JSONParser.parse(text) } catch { throw ValidationError("\(file) is not JSON: \(error.reason) at byte \(error.offset)") }
            guard case .object(let object) = value else { throw ValidationError("\(file) must hold a JSON object of names and values") }
            return try object.members.map { member in
                switch member.value {
                case .string(let s): return (member.key, s)
                case .number, .bool: return (member.key, JSONWriter.string(member.value))
                default: throw ValidationError("\(file): \(member.key) is not a string, number or boolean")
                }
            }
        }
        if file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
            // Nested mappings become nested parameter paths (mysql: {password: ...} → .../mysql/password).
            return try SimpleYAML.leaves(text, file: file).map { ($0.path.joined(separator: "/"), $0.value) }
        }
        return try DotEnv.parse(text, file: file == "-" ? "stdin" : file).map { ($0.key, $0.value) }
    }

    func importParameters(_ entries: [(key: String, value: String)], path: String) async throws {
        let client = ParameterStoreClient(caller: try await connection.caller(for: .ssm))
        var current: [String: String] = [:]
        do {
            for parameter in try await client.parameters(under: path, recursive: false) { current[parameter.name] = parameter.value.value }
        } catch { throw ValidationError("reading \(path): \(error)") }
        for (key, value) in entries {
            let name = (path == "/" ? "" : path) + "/" + key
            let type = self.type == "auto" ? (SecretNames.looksSecret(key) ? "SecureString" : "String") : self.type
            let state = current[name] == nil ? "new" : current[name] == value ? "unchanged" : "changed"
            print("\(state)\t\(name)\t\(type)")
            guard !dryRun, state != "unchanged" else { continue }
            do { try await client.putParameter(name, value: value, type: type, overwrite: state == "changed") } catch { throw ValidationError("\(name): \(error)") }
        }
    }

    func importSecret(_ entries: [(key: String, value: String)], id: String) async throws {
        let client = SecretsManagerClient(caller: try await connection.caller(for: .secretsManager))
        var object = JSONObject()
        for (key, value) in entries { object[key] = .string(value) }
        let text = JSONWriter.string(.object(object))
        // The same content always gives the same token, so a retried or repeated import adds no version.
        let digest = Hex.encode(SHA256.hash(data: Array(text.utf8)))
        let token = "coffer-import-" + String(digest.prefix(50))
        var existing: [String: String]?
        do {
            let secret = try await client.getSecretValue(id)
            existing = (try? secret.fields()).map { Dictionary($0.map { ($0.name, $0.value.value) }, uniquingKeysWith: { _, b in b }) } ?? [:]
        } catch {
            guard error.code == "ResourceNotFoundException" else { throw ValidationError("reading \(id): \(error)") }
            existing = nil
        }
        for (key, value) in entries {
            print("\(existing == nil || existing?[key] == nil ? "new" : existing?[key] == value ? "unchanged" : "changed")\t\(id)#\(key)")
        }
        guard !dryRun else { return }
        if existing == nil {
            try await client.createSecret(id, string: text, clientRequestToken: token)
        } else if existing != Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b }) {
            try await client.putSecretValue(id, string: text, clientRequestToken: token)
        }
    }
}

/// `coffer export ssm:/app/prod --output .env`: seed 003's local-development file. The file holds
/// secrets: it is created with mode 0600, never over an existing file unless --force, and the
/// command says so on standard error.
struct ExportValues: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write parameters under a path, or a secret's fields, to a .env or JSON file.")

    @Argument(help: "ssm:/PATH (recursive) or secretsmanager:NAME.") var from: String
    @Option(help: "env or json.") var format = "env"
    @Option(help: "The file to write (mode 0600); - for standard output.") var output: String
    @Flag(help: "Replace an existing file.") var force = false
    @OptionGroup var connection: Connection

    func run() async throws {
        try await exitingTwoOnError("export") {
            guard ["env", "json"].contains(format) else { throw ValidationError("--format takes env or json") }
            var entries: [(key: String, value: String)] = []
            switch try Store(from) {
            case .parameters(let path):
                let client = ParameterStoreClient(caller: try await connection.caller(for: .ssm))
                let parameters = try await client.parameters(under: path)
                if parameters.isEmpty { throw ValidationError("no parameters under \(path)") }
                entries = parameters.sorted { $0.name < $1.name }.map { (EnvironmentInjection.variableName($0.name), $0.value.value) }
            case .secret(let id):
                let client = SecretsManagerClient(caller: try await connection.caller(for: .secretsManager))
                entries = try await client.getSecretValue(id).fields().map { ($0.name, $0.value.value) }
            }
            let body: String
            if format == "json" {
                var object = JSONObject()
                for entry in entries { object[entry.key] = .string(entry.value) }
                body = JSONWriter.pretty(.object(object)) + "\n"
            } else {
                body = DotEnv.render(entries)
            }
            if output == "-" {
                FileHandle.standardOutput.write(Data(body.utf8))
                return
            }
            let flags = O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL)
            let descriptor = open(output, flags, 0o600)
            guard descriptor >= 0 else {
                throw ValidationError(errno == EEXIST ? "\(output) exists; use --force to replace it" : "cannot write \(output): \(String(cString: strerror(errno)))")
            }
            defer { close(descriptor) }
            fchmod(descriptor, 0o600)
            let bytes = Array(body.utf8)
            guard write(descriptor, bytes, bytes.count) == bytes.count else { throw ValidationError("cannot write \(output)") }
            FileHandle.standardError.write(Data("coffer export: \(output) holds \(entries.count) secret values in plain text (mode 0600); keep it out of version control\n".utf8))
        }
    }
}

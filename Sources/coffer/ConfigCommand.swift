import ArgumentParser
import CofferClient
import CofferCore
import Foundation

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Resolve an application's configuration as seed 003's hierarchy does.",
                                                    subcommands: [Resolve.self])
}

/// `coffer config resolve`: Parameter Store (when USE_PARAMETER_STORE=true and LOCAL_DEV_MODE is
/// not true) over the process environment over `.env.<env>` over `.env` over `config/config.yaml`
/// over `config/config.json`, for any program.
struct Resolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Print the resolved configuration, secrets masked, with --explain saying where each value came from.",
        discussion: "Exit status: 0, 1 when a --require'd key is missing, 2 when a file or the endpoint cannot be read.")

    @Option(help: "The Parameter Store prefix (default: PARAMETER_STORE_PREFIX from the environment or .env files).") var prefix: String?
    @Option(help: "The environment, e.g. STAGING (default: ENV from the environment or .env).") var env: String?
    @Option(help: "Where .env files are (default: .).") var dir = "."
    @Option(help: "A YAML file (default: DIR/config/config.yaml when it exists).") var yaml: String?
    @Option(help: "A JSON file (default: DIR/config/config.json when it exists).") var json: String?
    @Option(help: "text, env or json.") var format = "text"
    @Flag(name: .customLong("show-secrets"), help: "Print secret values instead of masking them.") var showSecrets = false
    @Flag(help: "Say where each value came from and what it overrode.") var explain = false
    @Option(name: .customLong("require"), help: "A key that must be set (repeatable).") var required: [String] = []
    @OptionGroup var connection: Connection

    static let controls = ["USE_PARAMETER_STORE", "LOCAL_DEV_MODE", "PARAMETER_STORE_PREFIX", "ENV", "AWS_REGION"]

    func run() async throws {
        try await exitingTwoOnError("config resolve") {
            guard ["text", "env", "json"].contains(format) else { throw ValidationError("--format takes text, env or json") }
            let base = URL(fileURLWithPath: dir)
            let process = ProcessInfo.processInfo.environment
            let dotEnv = try Self.dotEnvLayer(base.appendingPathComponent(".env").path)
            let environmentName = env ?? process["ENV"] ?? dotEnv.values["ENV"]?.value
            let envFile = try environmentName.map { try Self.dotEnvLayer(base.appendingPathComponent(".env.\($0.lowercased())").path) }
            let yamlPath = yaml ?? base.appendingPathComponent("config/config.yaml").path
            let jsonPath = json ?? base.appendingPathComponent("config/config.json").path
            let yamlLayer = try Self.yamlLayer(yamlPath, required: yaml != nil)
            let jsonLayer = try Self.jsonLayer(jsonPath, required: json != nil)
            let files = [envFile, dotEnv, yamlLayer, jsonLayer].compactMap { $0 }
            // The process environment counts for keys the files know and for the switches, not for all of PATH and HOME.
            var known = Set(Self.controls)
            for layer in files { known.formUnion(layer.values.keys) }
            var environment = ConfigurationHierarchy.Layer(name: "environment")
            for key in known { if let value = process[key] { environment.values[key] = (value, "environment", false) } }
            var layers = [environment] + files
            let settings = ConfigurationHierarchy(layers: layers).resolve()
            func setting(_ key: String) -> String? { settings.first { $0.key == key }?.value }
            let useStore = setting("USE_PARAMETER_STORE")?.lowercased() == "true"
            let localDev = setting("LOCAL_DEV_MODE")?.lowercased() == "true"
            if useStore, !localDev {
                guard let prefix = prefix ?? setting("PARAMETER_STORE_PREFIX") else {
                    throw ValidationError("USE_PARAMETER_STORE=true but no prefix: give --prefix or set PARAMETER_STORE_PREFIX")
                }
                guard let name = environmentName else { throw ValidationError("USE_PARAMETER_STORE=true but no environment: give --env or set ENV") }
                layers.insert(try await parameterLayer(prefix: prefix, environment: name), at: 0)
            }
            let resolved = ConfigurationHierarchy(layers: layers).resolve()
            print(render(resolved, parameterStore: useStore && !localDev), terminator: "")
            let missing = required.filter { key in !resolved.contains { $0.key == key } }
            if !missing.isEmpty {
                let looked = layers.map(\.name).joined(separator: ", ")
                FileHandle.standardError.write(Data("coffer config resolve: \(missing.joined(separator: ", ")) not set; looked in \(looked)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    func parameterLayer(prefix: String, environment: String) async throws -> ConfigurationHierarchy.Layer {
        let root = (prefix.hasPrefix("/") ? prefix : "/" + prefix) + "/" + environment
        let client = ParameterStoreClient(caller: try await connection.caller(for: .ssm))
        let parameters: [FetchedParameter]
        do { parameters = try await client.parameters(under: root) } catch { throw ValidationError("Parameter Store \(root): \(error)") }
        var layer = ConfigurationHierarchy.Layer(name: "Parameter Store \(root)")
        for parameter in parameters {
            let rest = parameter.name.dropFirst(root.count).split(separator: "/").map(String.init)
            layer.values[ConfigurationHierarchy.key(rest)] = (parameter.value.value, "ssm:\(parameter.name) (\(parameter.type))", parameter.isSecure)
        }
        return layer
    }

    static func dotEnvLayer(_ path: String) throws -> ConfigurationHierarchy.Layer {
        var layer = ConfigurationHierarchy.Layer(name: path)
        guard let data = FileManager.default.contents(atPath: path) else { return layer }
        for entry in try DotEnv.parse(String(decoding: data, as: UTF8.self), file: path) {
            layer.values[entry.key] = (entry.value, "\(path):\(entry.line)", false)
        }
        return layer
    }

    static func yamlLayer(_ path: String, required: Bool) throws -> ConfigurationHierarchy.Layer? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if required { throw ValidationError("cannot read \(path)") }
            return nil
        }
        var layer = ConfigurationHierarchy.Layer(name: path)
        for leaf in try SimpleYAML.leaves(String(decoding: data, as: UTF8.self), file: path) {
            layer.values[ConfigurationHierarchy.key(leaf.path)] = (leaf.value, "\(path):\(leaf.line)", false)
        }
        return layer
    }

    static func jsonLayer(_ path: String, required: Bool) throws -> ConfigurationHierarchy.Layer? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if required { throw ValidationError("cannot read \(path)") }
            return nil
        }
        let value: JSONValue
        do { value = try JSONParser.parse(Array(data)) } catch { throw ValidationError("\(path) is not JSON: \(error.reason) at byte \(error.offset)") }
        guard case .object = value else { throw ValidationError("\(path) must hold a JSON object") }
        var layer = ConfigurationHierarchy.Layer(name: path)
        let pathName = path
        func walk(_ value: JSONValue, _ path: [String]) {
            switch value {
            case .object(let object): for member in object.members { walk(member.value, path + [member.key]) }
            case .string(let s): layer.values[ConfigurationHierarchy.key(path)] = (s, "\(pathName):\(path.joined(separator: "."))", false)
            case .null: break
            default: layer.values[ConfigurationHierarchy.key(path)] = (JSONWriter.string(value), "\(pathName):\(path.joined(separator: "."))", false)
            }
        }
        walk(value, [])
        return layer
    }

    func render(_ resolved: [ConfigurationHierarchy.Resolved], parameterStore: Bool) -> String {
        func shown(_ item: ConfigurationHierarchy.Resolved) -> String { item.secret && !showSecrets ? "****" : item.value }
        switch format {
        case "env": return DotEnv.render(resolved.map { ($0.key, shown($0)) })
        case "json":
            var object = JSONObject()
            for item in resolved {
                object[item.key] = explain
                    ? .object(["value": .string(shown(item)), "from": .string(item.origin), "secret": .bool(item.secret),
                               "overrides": .array(item.shadowed.map(JSONValue.string))])
                    : .string(shown(item))
            }
            return JSONWriter.pretty(.object(object)) + "\n"
        default:
            var out = parameterStore ? "" : "# Parameter Store not used (USE_PARAMETER_STORE is not true, or LOCAL_DEV_MODE is true)\n"
            for item in resolved {
                out += "\(item.key)=\(shown(item))"
                if explain { out += "    # from \(item.origin)" + (item.shadowed.isEmpty ? "" : "; overrides \(item.shadowed.joined(separator: ", "))") }
                out += "\n"
            }
            return out
        }
    }
}

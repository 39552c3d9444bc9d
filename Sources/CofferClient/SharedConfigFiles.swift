public import Foundation

/// `~/.aws/credentials` and `~/.aws/config` as the AWS SDKs read them: INI sections, `[profile NAME]`
/// in the config file and `[NAME]` in the credentials file, `[services NAME]` sections whose keys hold
/// indented sub-keys (`secrets_manager =` then `  endpoint_url = ...`).
public struct SharedConfigFiles: Sendable {
    /// Profile name to its settings; where both files name a profile, the credentials file's keys win.
    public private(set) var profiles: [String: [String: String]] = [:]
    /// `[services NAME]` sections: service key (`secrets_manager`) to its sub-keys.
    public private(set) var services: [String: [String: [String: String]]] = [:]
    public let credentialsPath: String
    public let configPath: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        configPath = environment["AWS_CONFIG_FILE"] ?? home + "/.aws/config"
        if let text = try? String(contentsOfFile: configPath, encoding: .utf8) {
            for (name, section) in Self.sections(text) {
                if name == "default" {
                    profiles["default", default: [:]].merge(section.flat) { old, _ in old }
                } else if name.hasPrefix("profile ") {
                    profiles[String(name.dropFirst(8)).trimmingCharacters(in: .whitespaces), default: [:]].merge(section.flat) { old, _ in old }
                } else if name.hasPrefix("services ") {
                    services[String(name.dropFirst(9)).trimmingCharacters(in: .whitespaces)] = section.nested
                }
            }
        }
        if let text = try? String(contentsOfFile: credentialsPath, encoding: .utf8) {
            for (name, section) in Self.sections(text) { profiles[name, default: [:]].merge(section.flat) { _, new in new } }
        }
    }

    struct Section {
        var flat: [String: String] = [:]
        var nested: [String: [String: String]] = [:]
    }

    /// INI sections with `key = value` lines; an indented line belongs to the last unindented key.
    static func sections(_ text: String) -> [(String, Section)] {
        var out: [(String, Section)] = []
        var current: (String, Section)?
        var parent: String?
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let indented = raw.first == " " || raw.first == "\t"
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                if let current { out.append(current) }
                current = (line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces), Section())
                parent = nil
                continue
            }
            guard current != nil, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if indented, let parent {
                current?.1.nested[parent, default: [:]][key] = value
            } else {
                current?.1.flat[key] = value
                parent = value.isEmpty ? key : nil
            }
        }
        if let current { out.append(current) }
        return out
    }
}

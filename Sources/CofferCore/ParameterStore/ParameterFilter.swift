/// DescribeParameters' and GetParametersByPath's ParameterFilters (and the older Filters), checked
/// and matched as Parameter Store does.
public struct ParameterFilter: Sendable, Equatable {
    public var key: String
    public var option: String
    public var values: [String]

    public init(key: String, option: String?, values: [String]) {
        self.key = key
        self.option = option ?? (key == "Path" ? "OneLevel" : "Equals")
        self.values = values
    }

    /// Checks a list of filters; `byPath` is GetParametersByPath, which allows fewer keys.
    public static func validate(_ filters: [ParameterFilter], byPath: Bool) throws(CofferError) {
        var seen = Set<String>()
        for filter in filters {
            let key = filter.key
            let allowedKeys = byPath ? ["Type", "KeyId", "Label", "DataType"] : ["Path", "Name", "Type", "KeyId", "Tier", "DataType"]
            if !key.hasPrefix("tag:"), !allowedKeys.contains(key) {
                // AWS's message lists the keys its API reference first named, not every key it accepts.
                let listed = byPath ? "Type, KeyId" : "Path, Name, Type, KeyId, Tier"
                throw CofferError(.invalidFilterKey, "The following filter key is not valid: \(key). Valid filter keys include: [\(listed)].")
            }
            guard seen.insert(key).inserted else {
                throw CofferError(.invalidFilterKey, "The following filter is duplicated in the request: \(key). A request can contain only one occurrence of a specific filter.")
            }
            if !key.hasPrefix("tag:"), filter.values.isEmpty {
                throw CofferError(.invalidFilterValue, "The following filter values are missing : null for filter key \(key).")
            }
            switch key {
            case "Path":
                guard ["Recursive", "OneLevel"].contains(filter.option) else {
                    throw CofferError(.invalidFilterOption, "The following filter option is not valid: \(filter.option). Valid options include: [Recursive, OneLevel].")
                }
                for value in filter.values {
                    let first = value.drop(while: { $0 == "/" }).prefix(3).lowercased()
                    if first == "aws" || first == "ssm" {
                        throw CofferError.validation("Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).")
                    }
                }
                for value in filter.values where !value.hasPrefix("/") || value.contains("//") || !value.utf8.allSatisfy(ParameterRules.isNameByte) {
                    throw CofferError.validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.")
                }
            case "Tier":
                for value in filter.values where !ParameterRules.tiers.contains(value) {
                    throw CofferError(.invalidFilterValue, "The following filter value is not valid: \(value). Valid values include: [Standard, Advanced, Intelligent-Tiering].")
                }
            case "Type":
                for value in filter.values where ParameterType(rawValue: value) == nil {
                    throw CofferError(.invalidFilterValue, "The following filter value is not valid: \(value). Valid values include: [String, StringList, SecureString].")
                }
            default: break
            }
            if key != "Path" {
                let options = key == "Name" ? ["Equals", "BeginsWith", "Contains"] : key == "Label" ? ["Equals"] : ["Equals", "BeginsWith"]
                guard options.contains(filter.option) else {
                    // AWS's message for Name names the two options it first had.
                    let listed = key == "Name" ? "BeginsWith, Equals" : options.joined(separator: ", ")
                    throw CofferError(.invalidFilterOption, "The following filter option is not valid: \(filter.option). Valid options include: [\(listed)].")
                }
            }
        }
    }

    public func matches(name: String, version: ParameterVersion, tags: [Tag]) -> Bool {
        let subjects: [String]
        switch key {
        case "Name": subjects = [name]
        case "Type": subjects = [version.type.rawValue]
        case "KeyId": subjects = version.keyID.map { [$0] } ?? []
        case "Tier": subjects = [version.tier]
        case "DataType": subjects = [version.dataType]
        case "Label": subjects = version.labels
        case "Path": return matchesPath(name)
        default:
            let tagKey = String(key.dropFirst(4))
            subjects = tags.filter { $0.key == tagKey }.map(\.value)
            if values.isEmpty { return !subjects.isEmpty }
        }
        return subjects.contains { subject in
            values.contains { value in
                let (s, v) = key == "Name" ? (Self.rooted(subject), option == "Contains" ? value : Self.rooted(value)) : (subject, value)
                switch option {
                case "BeginsWith": return s.hasPrefix(v)
                case "Contains": return s.contains(v)
                default: return s == v
                }
            }
        }
    }

    static func rooted(_ name: String) -> String { name.hasPrefix("/") ? name : "/" + name }

    /// What the names under a path begin with once rooted: the path with one trailing slash (`/` for the root).
    public static func directory(of path: String) -> String {
        path == "/" ? "/" : (path.hasSuffix("/") ? String(path.dropLast()) : path) + "/"
    }

    public func matchesPath(_ name: String) -> Bool {
        let full = Self.rooted(name)
        return values.contains { value in
            let path = Self.directory(of: value)
            guard full.hasPrefix(path) else { return false }
            // Names and path values are ASCII (validated), so the byte offset is the character offset;
            // String's contains("/") was Foundation's string search, for every parameter a page reads.
            return option == "Recursive" || !full.utf8.dropFirst(path.utf8.count).contains(UInt8(ascii: "/"))
        }
    }
}

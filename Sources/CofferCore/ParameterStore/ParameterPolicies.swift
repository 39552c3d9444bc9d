public import struct Foundation.Date

/// Parameter Store's parameter policies (advanced parameters only): Expiration deletes the
/// parameter at a time; ExpirationNotification and NoChangeNotification ask for an event before it,
/// or when the parameter has not changed for a while.
public struct ParameterPolicy: Sendable, Equatable {
    public enum Kind: String, Sendable { case expiration = "Expiration", expirationNotification = "ExpirationNotification",
                                          noChangeNotification = "NoChangeNotification" }
    public var kind: Kind
    /// The policy as the caller wrote it (DescribeParameters answers it back).
    public var text: String
    /// Expiration: when the parameter is deleted.
    public var timestamp: Date?
    /// The notifications' interval, in seconds (Before for ExpirationNotification, After for NoChangeNotification).
    public var interval: Double?

    /// When the policy acts, given the parameter's last change and its expiration.
    public func due(lastModified: Date, expiration: Date?) -> Date? {
        switch kind {
        case .expiration: timestamp
        case .expirationNotification: expiration.flatMap { e in interval.map { e.addingTimeInterval(-$0) } }
        case .noChangeNotification: interval.map { lastModified.addingTimeInterval($0) }
        }
    }
}

public enum ParameterPolicies {
    public static let maximum = 10

    /// Parses `Policies` (a JSON list) with Parameter Store's errors.
    public static func parse(_ text: String, now: Date) throws(CofferError) -> [ParameterPolicy] {
        guard case .array(let items)? = try? JSONParser.parse(text) else {
            throw CofferError(.invalidPolicyType, "Invalid policy format: policies must be a JSON list of policy objects.")
        }
        if items.count > maximum { throw CofferError(.policiesLimitExceeded, "You can assign a maximum of \(maximum) policies to a parameter.") }
        var policies: [ParameterPolicy] = []
        for item in items {
            guard case .object(let object) = item, case .string(let type)? = object["Type"], let kind = ParameterPolicy.Kind(rawValue: type) else {
                throw CofferError(.invalidPolicyType, "The policy type is not supported. Parameter Store supports the following policy types: Expiration, ExpirationNotification, and NoChangeNotification.")
            }
            if case .string(let version)? = object["Version"], version != "1.0" {
                throw CofferError(.invalidPolicyAttribute, "A policy version isn't supported: \(version). The supported version is 1.0.")
            }
            guard case .object(let attributes)? = object["Attributes"] else {
                throw CofferError(.invalidPolicyAttribute, "The \(type) policy requires Attributes.")
            }
            var policy = ParameterPolicy(kind: kind, text: JSONWriter.string(item))
            switch kind {
            case .expiration:
                guard case .string(let stamp)? = attributes["Timestamp"], let date = SigV4Timestamp.parseISO8601(stamp) else {
                    throw CofferError(.invalidPolicyAttribute, "The Expiration policy requires a Timestamp attribute in ISO 8601 format, e.g. 2030-12-02T21:34:33.000Z.")
                }
                guard date > now else { throw CofferError(.invalidPolicyAttribute, "The Expiration policy's Timestamp must be in the future.") }
                policy.timestamp = date
            case .expirationNotification, .noChangeNotification:
                let member = kind == .expirationNotification ? "Before" : "After"
                guard case .string(let count)? = attributes[member], let number = Int(count), number > 0,
                    case .string(let unit)? = attributes["Unit"], let seconds = ["Days": 86_400.0, "Hours": 3600.0][unit]
                else {
                    throw CofferError(.invalidPolicyAttribute, "The \(type) policy requires a positive whole number \(member) attribute and a Unit of Days or Hours.")
                }
                policy.interval = Double(number) * seconds
            }
            if policies.contains(where: { $0.kind == kind }) {
                throw CofferError(.invalidPolicyType, "A parameter can have only one policy of each type: \(type) appears twice.")
            }
            policies.append(policy)
        }
        if policies.contains(where: { $0.kind == .expirationNotification }), !policies.contains(where: { $0.kind == .expiration }) {
            throw CofferError(.incompatiblePolicy, "An ExpirationNotification policy requires an Expiration policy.")
        }
        return policies
    }
}

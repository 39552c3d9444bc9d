/// Checks a Secrets Manager resource policy's grammar and whether it grants public access.
///
/// The access-control issue brings full evaluation; this is the grammar and the public-access
/// rule that PutResourcePolicy and ValidateResourcePolicy need now.
public enum ResourcePolicyCheck {
    public static let maximumSize = 20_480

    public struct Finding: Sendable, Equatable {
        public let checkName: String
        public let message: String
        public init(checkName: String, message: String) {
            self.checkName = checkName
            self.message = message
        }
    }

    /// Throws MalformedPolicyDocument for a document that is not a policy.
    public static func parse(_ text: String) throws(CofferError) -> JSONObject {
        let document: JSONValue
        do { document = try JSONParser.parse(text) } catch {
            throw CofferError(.malformedPolicyDocument, "This resource policy contains a syntax error.")
        }
        guard let object = document.objectValue else {
            throw CofferError(.malformedPolicyDocument, "This resource policy contains a syntax error.")
        }
        for key in object.keys where !["Version", "Id", "Statement"].contains(key) {
            throw CofferError(.malformedPolicyDocument, "This resource policy contains an unsupported element: \(key).")
        }
        if let version = object["Version"] {
            guard let v = version.stringValue, v == "2012-10-17" || v == "2008-10-17" else {
                throw CofferError(.malformedPolicyDocument, "This resource policy contains an invalid Version.")
            }
        }
        let statements: [JSONValue]
        switch object["Statement"] {
        case .array(let list)?: statements = list
        case .object(let single)?: statements = [.object(single)]
        default: throw CofferError(.malformedPolicyDocument, "This resource policy is missing the Statement element.")
        }
        guard !statements.isEmpty else {
            throw CofferError(.malformedPolicyDocument, "This resource policy is missing the Statement element.")
        }
        for statement in statements { try checkStatement(statement) }
        return object
    }

    private static let statementKeys = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]

    private static func checkStatement(_ value: JSONValue) throws(CofferError) {
        guard let statement = value.objectValue else {
            throw CofferError(.malformedPolicyDocument, "This resource policy contains a syntax error.")
        }
        for key in statement.keys where !statementKeys.contains(key) {
            throw CofferError(.malformedPolicyDocument, "This resource policy contains an unsupported element: \(key).")
        }
        guard let effect = statement["Effect"]?.stringValue, effect == "Allow" || effect == "Deny" else {
            throw CofferError(.malformedPolicyDocument, "This resource policy contains an invalid Effect.")
        }
        guard (statement["Principal"] == nil) != (statement["NotPrincipal"] == nil) else {
            throw CofferError(.malformedPolicyDocument, "This resource policy contains an unsupported principal.")
        }
        guard (statement["Action"] == nil) != (statement["NotAction"] == nil) else {
            throw CofferError(.malformedPolicyDocument, "This resource policy must contain exactly one of Action or NotAction.")
        }
        for key in ["Action", "NotAction", "Resource", "NotResource"] {
            if let member = statement[key], !isStringOrStringList(member) {
                throw CofferError(.malformedPolicyDocument, "This resource policy contains a syntax error.")
            }
        }
        if let principal = statement["Principal"] ?? statement["NotPrincipal"] {
            switch principal {
            case .string("*"): break
            case .object(let map):
                for (key, value) in map.members {
                    guard ["AWS", "Service", "Federated", "CanonicalUser"].contains(key), isStringOrStringList(value) else {
                        throw CofferError(.malformedPolicyDocument, "This resource policy contains an unsupported principal.")
                    }
                }
            default: throw CofferError(.malformedPolicyDocument, "This resource policy contains an unsupported principal.")
            }
        }
        if let condition = statement["Condition"], condition.objectValue == nil {
            throw CofferError(.malformedPolicyDocument, "This resource policy contains a syntax error.")
        }
    }

    static func isStringOrStringList(_ value: JSONValue) -> Bool {
        switch value {
        case .string: true
        case .array(let items): !items.isEmpty && items.allSatisfy { $0.stringValue != nil }
        default: false
        }
    }

    /// Whether an Allow statement lets anyone, in any account, in without a condition that narrows it.
    public static func grantsPublicAccess(_ policy: JSONObject) -> Bool {
        let statements: [JSONValue] = policy["Statement"]?.arrayValue ?? (policy["Statement"].map { [$0] } ?? [])
        return statements.contains { value in
            guard let statement = value.objectValue, statement["Effect"]?.stringValue == "Allow",
                statement["Condition"] == nil
            else { return false }
            if statement["NotPrincipal"] != nil { return true }
            switch statement["Principal"] {
            case .string("*")?: return true
            case .object(let map)?:
                let aws = map["AWS"]
                return aws == .string("*") || (aws?.arrayValue?.contains(.string("*")) ?? false)
            default: return false
            }
        }
    }
}

/// The checks IAM runs on a policy it stores (CreatePolicy, Put*Policy, boundaries, session
/// policies), in IAM's order, each failure with IAM's message: the structure first ("Syntax errors
/// in policy."), then the version, then what IAM calls legacy parsing (exact Effect, dates in Date
/// conditions, resources' colons), then unique Sids, actions present, the first resource format
/// error, action vendors, resources present. The order and the messages follow the invalid
/// documents moto's IAM tests record from AWS; ``PolicyDocument/parse(_:kind:)`` runs this first
/// for identity policies and then builds the statements.
enum IdentityPolicyGrammar {
    static let topElements: Set<String> = ["Version", "Id", "Statement", "Conditions"]
    static let statementElements: Set<String> = ["Sid", "Action", "NotAction", "Resource", "NotResource", "Effect", "Principal", "NotPrincipal", "Condition"]
    static let partitions: Set<String> = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"]
    static let iamPaths = ["user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/", "policy/",
                           "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"]

    static func check(_ document: JSONValue) throws(CofferError) {
        guard let statements = syntax(document) else { throw PolicyDocument.malformed("Syntax errors in policy.") }
        guard document.objectValue?["Version"]?.stringValue == "2012-10-17" else {
            throw PolicyDocument.malformed("Policy document must be version 2012-10-17 or greater.")
        }
        var resourceError: String?
        for statement in statements {
            guard legacyStatement(statement) else { throw PolicyDocument.malformed("The policy failed legacy parsing") }
        }
        // Every resource is looked at, in IAM's order (each element, each statement, resources in
        // descending order); the last one found wrong is the one reported. Until one is, resources
        // also go through legacy parsing.
        for element in ["Resource", "NotResource"] {
            for statement in statements {
                guard let value = statement[element] else { continue }
                let resources = strings(value)
                for resource in resources.sorted(by: >) {
                    if let error = resourceFormatError(resource) { resourceError = error }
                }
                if resourceError == nil, !resources.allSatisfy(legacyResource) {
                    throw PolicyDocument.malformed("The policy failed legacy parsing")
                }
            }
        }
        var sids = Set<String>()
        for statement in statements {
            if let sid = statement["Sid"]?.stringValue, !sid.isEmpty, !sids.insert(sid).inserted {
                throw PolicyDocument.malformed("Statement IDs (SID) in a single policy must be unique.")
            }
        }
        for statement in statements where !present(statement, "Action", "NotAction") {
            throw PolicyDocument.malformed("Policy statement must contain actions.")
        }
        if let resourceError { throw PolicyDocument.malformed(resourceError) }
        for element in ["Action", "NotAction"] {
            for statement in statements {
                for action in strings(statement[element] ?? .null) { try checkVendor(action) }
            }
        }
        for statement in statements where !present(statement, "Resource", "NotResource") {
            throw PolicyDocument.malformed("Policy statement must contain resources.")
        }
    }

    /// The statements, when the document has IAM's structure; nil when it does not.
    private static func syntax(_ document: JSONValue) -> [JSONObject]? {
        guard let object = document.objectValue, object.keys.allSatisfy(topElements.contains) else { return nil }
        if let version = object["Version"], !["2008-10-17", "2012-10-17"].contains(version.stringValue ?? "") { return nil }
        if let id = object["Id"], id.stringValue == nil { return nil }
        let statements: [JSONValue]
        switch object["Statement"] {
        case .object(let one)?: statements = [.object(one)]
        case .array(let list)? where !list.isEmpty: statements = list
        default: return nil
        }
        var out: [JSONObject] = []
        for value in statements {
            guard let statement = value.objectValue, statement.keys.allSatisfy(statementElements.contains),
                statement["Resource"] == nil || statement["NotResource"] == nil,
                statement["Action"] == nil || statement["NotAction"] == nil,
                let effect = statement["Effect"]?.stringValue, ["allow", "deny"].contains(effect.lowercased()),
                ["Action", "NotAction", "Resource", "NotResource"].allSatisfy({ statement[$0].map(isStringOrList) ?? true }),
                statement["Sid"].map({ $0.stringValue != nil }) ?? true,
                conditionSyntax(statement["Condition"])
            else { return nil }
            out.append(statement)
        }
        return out
    }

    private static func isStringOrList(_ value: JSONValue) -> Bool {
        switch value {
        case .string: true
        case .array(let items): items.allSatisfy { $0 == .null || $0.stringValue != nil }
        default: false
        }
    }

    /// A Condition is an object of objects whose values are strings, booleans or lists; an operator
    /// IAM does not know passes only with nothing under it.
    private static func conditionSyntax(_ condition: JSONValue?) -> Bool {
        guard let condition else { return true }
        guard let block = condition.objectValue else { return false }
        for (name, body) in block.members {
            guard let keys = body.objectValue else { return false }
            for (_, value) in keys.members {
                switch value {
                case .string, .bool, .array: continue
                default: return false
                }
            }
            if !ConditionClause.operators.contains(ConditionClause.splitOperator(name).base), !keys.isEmpty { return false }
        }
        return true
    }

    private static func strings(_ value: JSONValue) -> [String] {
        switch value {
        case .string(let s): [s]
        case .array(let items): items.compactMap(\.stringValue)
        default: []
        }
    }

    private static func present(_ statement: JSONObject, _ element: String, _ negated: String) -> Bool {
        guard let value = statement[element] ?? statement[negated] else { return false }
        if case .array(let items) = value { return !items.isEmpty }
        return true
    }

    /// Effect exactly as AWS spells it, and every date in a Date condition one IAM can read.
    private static func legacyStatement(_ statement: JSONObject) -> Bool {
        guard let effect = statement["Effect"]?.stringValue, effect == "Allow" || effect == "Deny" else { return false }
        for (name, body) in statement["Condition"]?.objectValue?.members ?? [] where ConditionClause.splitOperator(name).base.hasPrefix("Date") {
            for (_, value) in body.objectValue?.members ?? [] {
                let dates: [JSONValue] = value.arrayValue ?? [value]
                guard dates.allSatisfy({ $0.stringValue.map(legacyDate) ?? true }) else { return false }
            }
        }
        return true
    }

    /// An epoch number, or an ISO 8601 date-time within the ranges IAM accepts.
    static func legacyDate(_ text: String) -> Bool {
        let lowered = text.lowercased()
        guard lowered.contains("t") || lowered.contains("-") else {
            guard let number = UInt64(lowered) else { return false }
            return number <= UInt64(Int64.max)
        }
        let (datePart, timePart) = split(lowered, at: "t")
        let negative = datePart.hasPrefix("-")
        let fields = (negative ? String(datePart.dropFirst()) : datePart).split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let year = Int((negative ? "-" : "") + fields[0]), (-292_275_054...292_278_993).contains(year), fields.count < 4 else { return false }
        if fields.count > 1 { guard let month = Int(fields[1]), (1...12).contains(month) else { return false } }
        if fields.count > 2 { guard let day = Int(fields[2]), (1...31).contains(day) else { return false } }
        let times = timePart.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if !times[0].isEmpty { guard let hours = Int(times[0]), (0...23).contains(hours) else { return false } }
        if times.count > 1 { guard let minutes = Int(times[1]), (0...59).contains(minutes) else { return false } }
        guard times.count > 2 else { return true }
        // Seconds, with an optional fraction and zone; a zone's minutes (after another colon) are not read.
        let rest = times[2]
        var seconds = rest
        if rest.contains("z") {
            let (before, after) = split(rest, at: "z")
            guard after.isEmpty else { return false }
            seconds = before
        } else if rest.contains("+") {
            let (before, zone) = split(rest, at: "+")
            seconds = before
            let (hours, minutes) = split(zone, at: ":")
            guard hours.count == 2, let h = Int(hours), (0...23).contains(h) else { return false }
            if zone.contains(":") { guard minutes.count == 2, let m = Int(minutes), (0...59).contains(m) else { return false } }
        }
        let (whole, fraction) = split(seconds, at: ".")
        guard let s = Int(whole), (0...59).contains(s) else { return false }
        if seconds.contains(".") { guard let f = Int(fraction), (0...999_999_999).contains(f) else { return false } }
        return true
    }

    private static func split(_ text: String, at separator: Character) -> (String, String) {
        guard let index = text.firstIndex(of: separator) else { return (text, "") }
        return (String(text[..<index]), String(text[text.index(after: index)...]))
    }

    /// An ARN with "::" in it needs all six fields, and its third field (the service) may not be empty.
    private static func legacyResource(_ resource: String) -> Bool {
        guard resource != "*" else { return true }
        let fields = resource.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count >= 6 || !resource.contains("::") else { return false }
        return fields.count < 3 || !fields[2].isEmpty
    }

    /// IAM's reason a resource is not an ARN it accepts, or nil.
    static func resourceFormatError(_ resource: String) -> String? {
        guard resource != "*" else { return nil }
        guard let first = resource.firstIndex(of: ":") else { return "Resource \(resource) must be in ARN format or \"*\"." }
        let afterScheme = resource[resource.index(after: first)...]
        let (partition, rest) = split(String(afterScheme), at: ":")
        if partition != "*", !partitions.contains(partition) {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let service = parts[0].isEmpty && parts.count == 1 ? "*" : parts[0]
            let region = parts.count > 1 ? parts[1] : "*"
            let account = parts.count > 2 ? parts[2] : "*"
            let tail = parts.count > 3 ? parts[3...].joined(separator: ":") : "*"
            return "Partition \"\(partition)\" is not valid for resource \"arn:\(partition):\(service):\(region):\(account):\(tail)\"."
        }
        guard afterScheme.contains(":") else { return "Resource vendor must be fully qualified and cannot contain regexes." }
        let (service, afterService) = split(rest, at: ":")
        let (_, afterRegion) = split(afterService, at: ":")
        let (_, resourceID) = split(afterRegion, at: ":")
        let hasRegion = !afterService.hasPrefix(":")
        if service == "iam", hasRegion { return "IAM resource \(resource) cannot contain region information." }
        if service == "s3", hasRegion, !resourceID.hasPrefix("accesspoint/") {
            return "Resource \(resource) can not contain region information."
        }
        if service == "iam", !iamPaths.contains(where: resourceID.hasPrefix) {
            return "IAM resource path must either be \"*\" or start with \(iamPaths.joined(separator: ", "))."
        }
        return nil
    }

    private static let vendorBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.".utf8)

    private static func checkVendor(_ action: String) throws(CofferError) {
        let parts = action.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 1, action != "*" {
            throw PolicyDocument.malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
        }
        if parts.count > 2 { throw PolicyDocument.malformed("Actions/Condition can contain only one colon.") }
        let vendor = parts[0]
        if vendor != "*", !vendor.utf8.allSatisfy(vendorBytes.contains) {
            throw PolicyDocument.malformed("Vendor \(vendor) is not valid")
        }
    }
}

public import CofferClient
import CofferCore
public import Foundation

/// A refusal or failure from the endpoint, kept for the report's "could not run" list.
public struct ReadFailure: Error, CustomStringConvertible {
    public let description: String
}

/// Reads an account through Secrets Manager, IAM, KMS, SSM, STS and CloudTrail's public APIs, each
/// at its own endpoint (one Coffer serves them all; AWS has one per service).
public struct AccountReader: Sendable {
    public let callers: [AWSService: SignedCaller]
    /// Called with a short line as each area starts and as lists grow (for long scans).
    public var progress: (@Sendable (String) -> Void)?

    public init(callers: [AWSService: SignedCaller], progress: (@Sendable (String) -> Void)? = nil) {
        self.callers = callers
        self.progress = progress
    }

    /// One caller for every service, as for a single Coffer.
    public init(caller: SignedCaller, progress: (@Sendable (String) -> Void)? = nil) {
        self.init(callers: Dictionary(uniqueKeysWithValues: AWSService.allCases.map { ($0, caller) }), progress: progress)
    }

    // MARK: Calls

    /// The calls the reader itself makes.
    static let readerOperations: Set<String> = [
        "GetCallerIdentity", "ListSecrets", "GetResourcePolicy", "ListUsers", "ListAccessKeys", "GetAccessKeyLastUsed",
        "ListAttachedUserPolicies", "ListUserPolicies", "GetUserPolicy", "ListRoles", "ListAttachedRolePolicies", "ListRolePolicies",
        "GetRolePolicy", "ListGroups", "ListAttachedGroupPolicies", "ListGroupPolicies", "GetGroupPolicy", "ListPolicies", "GetPolicyVersion",
        "GetAccountPasswordPolicy", "GetAccountSummary", "ListKeys", "DescribeKey", "GetKeyRotationStatus", "GetKeyPolicy",
        "DescribeParameters", "GetParameters", "LookupEvents", "GetLoginProfile", "ListMFADevices",
    ]

    /// How many calls are in flight at once when reading per-resource details.
    static let concurrency = 8

    /// Runs `body` over `items` with a few calls in flight, keeping the items' order.
    func concurrently<Item: Sendable, Result: Sendable>(_ items: [Item], _ body: @escaping @Sendable (Item) async throws -> Result) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: items.count)
            var next = 0
            func start() {
                guard next < items.count else { return }
                let index = next, item = items[index]
                group.addTask { (index, try await body(item)) }
                next += 1
            }
            for _ in 0..<Self.concurrency { start() }
            while let (index, result) = try await group.next() {
                results[index] = result
                start()
                if index > 0, index % 1000 == 0 { progress?("\(index) of \(items.count)") }
            }
            return results.map { $0! }
        }
    }

    func caller(_ service: AWSService) -> SignedCaller { callers[service] ?? callers.values.first! }

    /// An IAM call (retried while throttled, as the SDKs do); failures name the action.
    func iam(_ action: String, _ parameters: [(String, String)] = []) async throws -> String {
        do { return try await caller(.iam).call(.iam, action: action, version: "2010-05-08", parameters) } catch {
            throw ReadFailure(description: Self.describe(error, action))
        }
    }

    func json(_ service: AWSService, _ target: String, _ body: JSONObject) async throws -> JSONObject {
        do { return try await caller(service).call(service, target: target, body) } catch {
            throw ReadFailure(description: Self.describe(error, String(target.split(separator: ".").last ?? "")))
        }
    }

    static func describe(_ error: AWSClientError, _ operation: String) -> String {
        if case .unreachable = error { return error.description }
        return "\(operation): \(error)"
    }

    /// Every page of an IAM list.
    func iamList(_ action: String, _ container: String, _ parameters: [(String, String)] = []) async throws -> [Substring] {
        var out: [Substring] = [], marker: String?
        repeat {
            var params = parameters + [("MaxItems", "1000")]
            if let marker { params.append(("Marker", marker)) }
            let xml = try await iam(action, params)
            out += QueryXML.members(of: container, in: xml)
            marker = QueryXML.value("IsTruncated", in: xml) == "true" ? QueryXML.value("Marker", in: xml) : nil
        } while marker != nil
        return out
    }

    /// Every page of a JSON list that pages with `tokenIn`/`tokenOut`.
    func jsonList(_ service: AWSService, _ target: String, _ body: JSONObject, items: String, tokenIn: String = "NextToken",
                  tokenOut: String = "NextToken") async throws -> [JSONObject] {
        var out: [JSONObject] = [], token: String?
        repeat {
            var request = body
            if let token { request[tokenIn] = .string(token) }
            let page = try await json(service, target, request)
            out += (page[items]?.arrayValue ?? []).compactMap(\.objectValue)
            token = page[tokenOut]?.stringValue
            if out.count % 1000 < 100, out.count >= 1000 { progress?("\(target.split(separator: ".").last ?? ""): \(out.count)") }
        } while token != nil
        return out
    }

    static func date(_ value: JSONValue?) -> Date? {
        switch value {
        case .number(let n)?: Date(timeIntervalSince1970: n)
        case .string(let s)?: date(s)
        default: nil
        }
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        if let date = SigV4Timestamp.parse(text) { return date }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// IAM returns policy documents URL-encoded.
    static func document(_ encoded: String?) -> String? { encoded.map { $0.removingPercentEncoding ?? $0 } }

    // MARK: Areas

    public func snapshot(days: Int = 90) async -> AccountSnapshot {
        var snapshot = AccountSnapshot()
        // The reader's own calls, made as whoever runs it, are not the account's use of root
        // (CloudTrail's times have whole seconds).
        let started = Date().addingTimeInterval(-2)
        if let xml = try? await stsIdentity() { snapshot.callerARN = xml }
        await area("secrets", &snapshot) { try await readSecrets(&$0) }
        await area("iam", &snapshot) { try await readIAM(&$0) }
        await area("password policy", &snapshot) { try await readPasswordPolicy(&$0) }
        await area("credential report", &snapshot) { try await readCredentialReport(&$0) }
        await area("account summary", &snapshot) { try await readAccountSummary(&$0) }
        await area("kms", &snapshot) { try await readKeys(&$0) }
        await area("parameters", &snapshot) { try await readParameters(&$0) }
        await area("audit trail", &snapshot) { try await readRootEvents(&$0, days: days, before: started) }
        return snapshot
    }

    func area(_ name: String, _ snapshot: inout AccountSnapshot, _ body: (inout AccountSnapshot) async throws -> Void) async {
        progress?("reading \(name)")
        do { try await body(&snapshot) } catch { snapshot.unavailable[name] = "\(error)" }
    }

    func stsIdentity() async throws -> String? {
        try await STSClient(caller: caller(.sts)).callerIdentity().arn
    }

    func readSecrets(_ snapshot: inout AccountSnapshot) async throws {
        let entries = try await jsonList(.secretsManager, "secretsmanager.ListSecrets", ["MaxResults": .number(100)], items: "SecretList")
        let reader = self
        snapshot.secrets += try await concurrently(entries) { entry in try await reader.secret(entry) }.compactMap { $0 }
    }

    func secret(_ entry: JSONObject) async throws -> AccountSnapshot.Secret? {
        guard let name = entry["Name"]?.stringValue, let arn = entry["ARN"]?.stringValue else { return nil }
        var secret = AccountSnapshot.Secret(name: name, arn: arn)
        secret.rotationEnabled = entry["RotationEnabled"]?.boolValue ?? false
        secret.lastRotatedDate = Self.date(entry["LastRotatedDate"])
        secret.lastAccessedDate = Self.date(entry["LastAccessedDate"])
        secret.nextRotationDate = Self.date(entry["NextRotationDate"])
        secret.createdDate = Self.date(entry["CreatedDate"])
        secret.deletedDate = Self.date(entry["DeletedDate"])
        if case .object(let stages)? = entry["SecretVersionsToStages"] {
            secret.pendingRotation = stages.members.contains { member in
                let labels = (member.value.arrayValue ?? []).compactMap(\.stringValue)
                return labels.contains("AWSPENDING") && !labels.contains("AWSCURRENT")
            }
        }
        for case .object(let tag) in entry["Tags"]?.arrayValue ?? [] {
            if let key = tag["Key"]?.stringValue { secret.tags[key] = tag["Value"]?.stringValue ?? "" }
        }
        if let policy = try? await json(.secretsManager, "secretsmanager.GetResourcePolicy", ["SecretId": .string(arn)]) {
            secret.policy = policy["ResourcePolicy"]?.stringValue
        }
        return secret
    }

    func readIAM(_ snapshot: inout AccountSnapshot) async throws {
        let reader = self
        let users = try await iamList("ListUsers", "Users").map(String.init)
        snapshot.principals += try await concurrently(users) { member in try await reader.user(Substring(member)) }.compactMap { $0 }
        try await readRolesGroupsAndPolicies(&snapshot)
    }

    func user(_ member: Substring) async throws -> AccountSnapshot.Principal? {
        guard let name = QueryXML.value("UserName", in: member), let arn = QueryXML.value("Arn", in: member) else { return nil }
        var user = AccountSnapshot.Principal(kind: .user, name: name, arn: arn)
        user.created = Self.date(QueryXML.value("CreateDate", in: member))
        user.passwordLastUsed = Self.date(QueryXML.value("PasswordLastUsed", in: member))
        for key in try await iamList("ListAccessKeys", "AccessKeyMetadata", [("UserName", name)]) {
            guard let id = QueryXML.value("AccessKeyId", in: key) else { continue }
            var access = AccountSnapshot.AccessKey(id: id, active: QueryXML.value("Status", in: key) == "Active",
                                                   created: Self.date(QueryXML.value("CreateDate", in: key)))
            if let used = try? await iam("GetAccessKeyLastUsed", [("AccessKeyId", id)]) {
                access.lastUsed = Self.date(QueryXML.value("LastUsedDate", in: used))
            }
            user.accessKeys.append(access)
        }
        // No login profile answers NoSuchEntity: the user has no console password.
        if let profile = try? await iam("GetLoginProfile", [("UserName", name)]) {
            user.hasConsolePassword = true
            user.passwordCreated = Self.date(QueryXML.value("CreateDate", in: profile))
        }
        user.mfaDevices = try await iamList("ListMFADevices", "MFADevices", [("UserName", name)]).count
        try await readPolicies(of: &user, list: "ListAttachedUserPolicies", inline: "ListUserPolicies", get: "GetUserPolicy", nameParameter: "UserName")
        return user
    }

    func readRolesGroupsAndPolicies(_ snapshot: inout AccountSnapshot) async throws {
        for member in try await iamList("ListRoles", "Roles") {
            guard let name = QueryXML.value("RoleName", in: member), let arn = QueryXML.value("Arn", in: member) else { continue }
            var role = AccountSnapshot.Principal(kind: .role, name: name, arn: arn)
            role.created = Self.date(QueryXML.value("CreateDate", in: member))
            role.trustPolicy = Self.document(QueryXML.value("AssumeRolePolicyDocument", in: member))
            try await readPolicies(of: &role, list: "ListAttachedRolePolicies", inline: "ListRolePolicies", get: "GetRolePolicy", nameParameter: "RoleName")
            snapshot.principals.append(role)
        }
        for member in try await iamList("ListGroups", "Groups") {
            guard let name = QueryXML.value("GroupName", in: member), let arn = QueryXML.value("Arn", in: member) else { continue }
            var group = AccountSnapshot.Principal(kind: .group, name: name, arn: arn)
            try await readPolicies(of: &group, list: "ListAttachedGroupPolicies", inline: "ListGroupPolicies", get: "GetGroupPolicy", nameParameter: "GroupName")
            snapshot.principals.append(group)
        }
        for member in try await iamList("ListPolicies", "Policies", [("Scope", "Local")]) {
            guard let name = QueryXML.value("PolicyName", in: member), let arn = QueryXML.value("Arn", in: member),
                  let version = QueryXML.value("DefaultVersionId", in: member) else { continue }
            let xml = try await iam("GetPolicyVersion", [("PolicyArn", arn), ("VersionId", version)])
            guard let document = Self.document(QueryXML.value("Document", in: xml)) else { continue }
            snapshot.managedPolicies.append(AccountSnapshot.ManagedPolicy(
                name: name, arn: arn, document: document, attachments: Int(QueryXML.value("AttachmentCount", in: member) ?? "0") ?? 0))
        }
    }

    func readPolicies(of principal: inout AccountSnapshot.Principal, list: String, inline: String, get: String, nameParameter: String) async throws {
        principal.attachedPolicies = try await iamList(list, "AttachedPolicies", [(nameParameter, principal.name)]).compactMap { QueryXML.value("PolicyArn", in: $0) }
        let names = QueryXML.members(of: "PolicyNames", in: try await iam(inline, [(nameParameter, principal.name)])).map(String.init)
        for policy in names {
            let xml = try await iam(get, [(nameParameter, principal.name), ("PolicyName", policy)])
            if let document = Self.document(QueryXML.value("PolicyDocument", in: xml)) { principal.inlinePolicies.append((policy, document)) }
        }
    }

    func readPasswordPolicy(_ snapshot: inout AccountSnapshot) async throws {
        do {
            let xml = try await iam("GetAccountPasswordPolicy")
            var policy = AccountSnapshot.PasswordPolicy()
            policy.minimumLength = Int(QueryXML.value("MinimumPasswordLength", in: xml) ?? "6") ?? 6
            policy.requireUppercase = QueryXML.value("RequireUppercaseCharacters", in: xml) == "true"
            policy.requireLowercase = QueryXML.value("RequireLowercaseCharacters", in: xml) == "true"
            policy.requireNumbers = QueryXML.value("RequireNumbers", in: xml) == "true"
            policy.requireSymbols = QueryXML.value("RequireSymbols", in: xml) == "true"
            policy.maxAge = QueryXML.value("MaxPasswordAge", in: xml).flatMap { Int($0) }
            policy.reusePrevention = QueryXML.value("PasswordReusePrevention", in: xml).flatMap { Int($0) }
            snapshot.passwordPolicy = policy
        } catch let failure as ReadFailure where failure.description.contains("NoSuchEntity") {
            snapshot.passwordPolicy = nil
        }
        snapshot.passwordPolicyRead = true
    }

    /// When each user's console password was last set: only the credential report says (GetLoginProfile's
    /// CreateDate stays when the password changes). A report under four hours old is reused, as IAM does.
    func readCredentialReport(_ snapshot: inout AccountSnapshot) async throws {
        for attempt in 0... {
            let state = QueryXML.value("State", in: try await iam("GenerateCredentialReport"))
            if state == "COMPLETE" { break }
            guard attempt < 40 else { throw ReadFailure(description: "GenerateCredentialReport: still \(state ?? "not ready") after 10 seconds") }
            try await Task.sleep(for: .milliseconds(250))
        }
        let xml = try await iam("GetCredentialReport")
        guard let content = QueryXML.value("Content", in: xml), let csv = Data(base64Encoded: content) else {
            throw ReadFailure(description: "GetCredentialReport: the report's content is not base64")
        }
        let changed = Self.passwordLastChanged(csv: String(decoding: csv, as: UTF8.self))
        for index in snapshot.principals.indices where snapshot.principals[index].kind == .user {
            snapshot.principals[index].passwordLastChanged = changed[snapshot.principals[index].name]
        }
    }

    /// The report's `password_last_changed` by user: a date, or `N/A` (no password) and
    /// `not_supported` (the root user), which are left out.
    static func passwordLastChanged(csv: String) -> [String: Date] {
        let rows = csv.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = rows.first, let user = header.firstIndex(of: "user"),
              let changed = header.firstIndex(of: "password_last_changed") else { return [:] }
        var out: [String: Date] = [:]
        for row in rows.dropFirst() where row.count > max(user, changed) {
            if let date = date(row[changed]) { out[row[user]] = date }
        }
        return out
    }

    func readAccountSummary(_ snapshot: inout AccountSnapshot) async throws {
        let xml = try await iam("GetAccountSummary")
        for entry in QueryXML.members(of: "SummaryMap", in: xml.replacingOccurrences(of: "<entry>", with: "<member>").replacingOccurrences(of: "</entry>", with: "</member>"))
        where QueryXML.value("key", in: entry) == "AccountAccessKeysPresent" {
            snapshot.rootAccessKeysPresent = QueryXML.value("value", in: entry) != "0"
        }
    }

    func readKeys(_ snapshot: inout AccountSnapshot) async throws {
        let entries = try await jsonList(.kms, "TrentService.ListKeys", ["Limit": .number(1000)], items: "Keys", tokenIn: "Marker", tokenOut: "NextMarker")
        let reader = self
        snapshot.keys += try await concurrently(entries) { entry in try await reader.key(entry) }.compactMap { $0 }
    }

    func key(_ entry: JSONObject) async throws -> AccountSnapshot.Key? {
        guard let id = entry["KeyId"]?.stringValue else { return nil }
        let described = try await json(.kms, "TrentService.DescribeKey", ["KeyId": .string(id)])
        guard let metadata = described["KeyMetadata"]?.objectValue else { return nil }
        var key = AccountSnapshot.Key(id: id, arn: metadata["Arn"]?.stringValue ?? id, state: metadata["KeyState"]?.stringValue ?? "Unknown",
                                      customerManaged: metadata["KeyManager"]?.stringValue != "AWS",
                                      symmetric: (metadata["KeySpec"]?.stringValue ?? "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT")
        key.deletionDate = Self.date(metadata["DeletionDate"])
        // Imported material cannot rotate automatically (AWS's KMS.4 control leaves such keys out).
        if key.customerManaged, key.symmetric, key.state == "Enabled", metadata["Origin"]?.stringValue != "EXTERNAL" {
            key.rotationEnabled = try? await json(.kms, "TrentService.GetKeyRotationStatus", ["KeyId": .string(id)])["KeyRotationEnabled"]?.boolValue
        }
        key.policy = try? await json(.kms, "TrentService.GetKeyPolicy", ["KeyId": .string(id), "PolicyName": .string("default")])["Policy"]?.stringValue
        return key
    }

    func readParameters(_ snapshot: inout AccountSnapshot) async throws {
        var plain: [Int] = []
        for entry in try await jsonList(.ssm, "AmazonSSM.DescribeParameters", ["MaxResults": .number(50)], items: "Parameters") {
            guard let name = entry["Name"]?.stringValue else { continue }
            let type = entry["Type"]?.stringValue ?? "String"
            if type != "SecureString" { plain.append(snapshot.parameters.count) }
            snapshot.parameters.append(AccountSnapshot.Parameter(name: name, arn: entry["ARN"]?.stringValue ?? name, type: type))
        }
        // Values of plain parameters, ten names a call, to judge whether they hold secrets.
        for start in stride(from: 0, to: plain.count, by: 10) {
            let batch = plain[start..<min(start + 10, plain.count)]
            let answer = try await json(.ssm, "AmazonSSM.GetParameters", ["Names": .array(batch.map { .string(snapshot.parameters[$0].name) })])
            var values: [String: String] = [:]
            for case .object(let p) in answer["Parameters"]?.arrayValue ?? [] {
                if let name = p["Name"]?.stringValue { values[name] = p["Value"]?.stringValue }
            }
            for index in batch { snapshot.parameters[index].value = values[snapshot.parameters[index].name] }
        }
    }

    func readRootEvents(_ snapshot: inout AccountSnapshot, days: Int, before: Date) async throws {
        var events: [AccountSnapshot.RootEvent] = []
        for (event, record) in try await lookup(attribute: "Username", value: "root", days: days) {
            guard let time = Self.date(event["EventTime"]), let name = event["EventName"]?.stringValue,
                  time < before || !Self.readerOperations.contains(name) else { continue }
            // CIS's filter: the root user itself, not a service acting for it, and not a service event.
            let identity = record?["userIdentity"]?.objectValue
            guard identity?["type"]?.stringValue == "Root", identity?["invokedBy"] == nil,
                  record?["eventType"]?.stringValue != "AwsServiceEvent" else { continue }
            events.append(AccountSnapshot.RootEvent(name: name, time: time))
        }
        snapshot.rootEvents = events
        // Secrets Manager records each failed rotation as a RotationFailed service event, as AWS does.
        for (event, record) in try await lookup(attribute: "EventName", value: "RotationFailed", days: days) {
            guard let time = Self.date(event["EventTime"]), let arn = record?["additionalEventData"]?.objectValue?["SecretId"]?.stringValue else { continue }
            if let known = snapshot.rotationFailures[arn], known.time >= time { continue }
            snapshot.rotationFailures[arn] = (time, record?["errorMessage"]?.stringValue ?? "")
        }
    }

    /// LookupEvents for one attribute over the last `days`, each event with its parsed record (at most 20 pages).
    func lookup(attribute: String, value: String, days: Int) async throws -> [(JSONObject, JSONObject?)] {
        let start = Date().addingTimeInterval(-Double(days) * 86_400)
        var out: [(JSONObject, JSONObject?)] = []
        var token: String?
        var pages = 0
        repeat {
            var body: JSONObject = ["LookupAttributes": .array([.object(["AttributeKey": .string(attribute), "AttributeValue": .string(value)])]),
                                    "StartTime": .number(start.timeIntervalSince1970), "MaxResults": .number(50)]
            if let token { body["NextToken"] = .string(token) }
            let page = try await json(.cloudTrail, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", body)
            for case .object(let event) in page["Events"]?.arrayValue ?? [] {
                let record = event["CloudTrailEvent"]?.stringValue.flatMap { try? JSONParser.parse($0) }?.objectValue
                out.append((event, record))
            }
            token = page["NextToken"]?.stringValue
            pages += 1
        } while token != nil && pages < 20
        return out
    }
}

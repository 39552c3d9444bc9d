public import Foundation

/// Who made a call, as CloudTrail's `userIdentity` names it.
public struct AuditIdentity: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case root = "Root", iamUser = "IAMUser", assumedRole = "AssumedRole", federatedUser = "FederatedUser", awsService = "AWSService"
        case webIdentityUser = "WebIdentityUser" }
    /// For assumed roles: the role the session came from and when it began.
    public struct Session: Sendable, Equatable {
        public let issuerType: String
        public let issuerPrincipalID: String
        public let issuerARN: String
        public let issuerUserName: String
        public let creationDate: Date
        public init(issuerType: String = "Role", issuerPrincipalID: String, issuerARN: String, issuerUserName: String, creationDate: Date) {
            self.issuerType = issuerType
            self.issuerPrincipalID = issuerPrincipalID
            self.issuerARN = issuerARN
            self.issuerUserName = issuerUserName
            self.creationDate = creationDate
        }
    }

    public let kind: Kind
    public let principalID: String
    public let arn: String?
    public let accountID: String?
    public let accessKeyID: String?
    public let userName: String?
    public let session: Session?
    /// For service events: the service that acted, e.g. `secretsmanager.amazonaws.com`.
    public let invokedBy: String?

    public init(kind: Kind, principalID: String, arn: String?, accountID: String?, accessKeyID: String?, userName: String?,
                session: Session? = nil, invokedBy: String? = nil) {
        self.kind = kind
        self.principalID = principalID
        self.arn = arn
        self.accountID = accountID
        self.accessKeyID = accessKeyID
        self.userName = userName
        self.session = session
        self.invokedBy = invokedBy
    }

    /// The name LookupEvents' `Username` attribute matches: the user, the role session, or `root`.
    public var lookupName: String? {
        switch kind {
        case .root: return "root"
        case .iamUser: return userName
        case .webIdentityUser: return nil
        case .assumedRole, .federatedUser: return arn.map { String($0.last(after: UInt8(ascii: "/"))) }
        case .awsService: return invokedBy
        }
    }

    /// Writes `userIdentity` as CloudTrail does.
    func write(into out: inout [UInt8]) {
        var members = JSONMembers()
        members.add("type", kind.rawValue, &out)
        members.add("principalId", principalID, &out)
        if let arn { members.add("arn", arn, &out) }
        if let accountID { members.add("accountId", accountID, &out) }
        if let accessKeyID { members.add("accessKeyId", accessKeyID, &out) }
        if let userName { members.add("userName", userName, &out) }
        if let invokedBy { members.add("invokedBy", invokedBy, &out) }
        if let session {
            members.key("sessionContext", &out)
            var context = JSONMembers()
            context.key("sessionIssuer", &out)
            var issuer = JSONMembers()
            issuer.add("type", session.issuerType, &out)
            issuer.add("principalId", session.issuerPrincipalID, &out)
            issuer.add("arn", session.issuerARN, &out)
            issuer.add("accountId", accountID ?? "", &out)
            issuer.add("userName", session.issuerUserName, &out)
            issuer.close(&out)
            context.key("attributes", &out)
            var attributes = JSONMembers()
            attributes.add("creationDate", CloudTrailEvent.timestamp(session.creationDate), &out)
            attributes.add("mfaAuthenticated", "false", &out)
            attributes.close(&out)
            context.close(&out)
        }
        members.close(&out)
    }
}

/// A resource a call touched, as LookupEvents' `Resources` lists it.
public struct AuditResource: Sendable, Equatable {
    public let type: String
    public let name: String
    public init(type: String, name: String) {
        self.type = type
        self.name = name
    }
}

/// One audit record in CloudTrail's record format (eventVersion 1.08). Request parameters and
/// response elements must already have passed through `AuditRedaction`.
public struct CloudTrailEvent: Sendable, Equatable {
    public enum EventType: String, Sendable { case apiCall = "AwsApiCall", serviceEvent = "AwsServiceEvent" }

    public let eventID: String
    public let eventTime: Date
    /// The service's host name, e.g. `secretsmanager.amazonaws.com`.
    public let eventSource: String
    public let eventName: String
    public let region: String
    public let sourceIP: String
    public let userAgent: String
    public let identity: AuditIdentity
    public let requestParameters: JSONValue
    public let responseElements: JSONValue
    public let errorCode: String?
    public let errorMessage: String?
    public let requestID: String
    public let resources: [AuditResource]
    public let eventType: EventType
    public let recipientAccountID: String
    /// Service events name what they acted on here (Secrets Manager's rotation events: `SecretId`).
    public var additionalEventData: JSONValue?

    public init(eventID: String, eventTime: Date, eventSource: String, eventName: String, region: String, sourceIP: String,
                userAgent: String, identity: AuditIdentity, requestParameters: JSONValue, responseElements: JSONValue,
                errorCode: String?, errorMessage: String?, requestID: String, resources: [AuditResource],
                eventType: EventType = .apiCall, recipientAccountID: String) {
        self.eventID = eventID
        self.eventTime = eventTime
        self.eventSource = eventSource
        self.eventName = eventName
        self.region = region
        self.sourceIP = sourceIP
        self.userAgent = userAgent
        self.identity = identity
        self.requestParameters = requestParameters
        self.responseElements = responseElements
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.requestID = requestID
        self.resources = resources
        self.eventType = eventType
        self.recipientAccountID = recipientAccountID
    }

    public var readOnly: Bool { Self.isReadOnly(eventName) }

    /// CloudTrail's timestamps: UTC, whole seconds, `Z`.
    public static func timestamp(_ date: Date) -> String { SigV4Timestamp.iso8601(date) }

    /// CloudTrail marks reads, and KMS's cryptographic calls, read-only; everything else changes state.
    /// Over the name's bytes: every call's record asks, and a set of strings hashed the name each time.
    public static func isReadOnly(_ eventName: String) -> Bool {
        var name = eventName
        return name.withUTF8 { bytes in
            readPrefixes.contains { bytes.starts(with: $0) } || cryptoReads.contains { bytes.sameBytes(as: $0) }
        }
    }

    private static let readPrefixes: [StaticString] = ["Get", "List", "Describe", "Lookup", "BatchGet", "Validate", "Simulate", "Verify"]
    private static let cryptoReads: [StaticString] = [
        "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext", "GenerateRandom", "GenerateMac", "Sign", "DeriveSharedSecret",
    ]

    /// The record as CloudTrail writes it, members in CloudTrail's order.
    public var json: JSONValue { (try? JSONParser.parse(record)) ?? .null }

    /// The record's bytes, written directly rather than through a ``JSONValue`` tree: every call
    /// makes one, so this is on the request path.
    public var record: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(1024)
        var members = JSONMembers()
        members.add("eventVersion", "1.08", &out)
        members.key("userIdentity", &out)
        identity.write(into: &out)
        members.add("eventTime", Self.timestamp(eventTime), &out)
        members.add("eventSource", eventSource, &out)
        members.add("eventName", eventName, &out)
        members.add("awsRegion", region, &out)
        members.add("sourceIPAddress", sourceIP, &out)
        members.add("userAgent", userAgent, &out)
        if let errorCode { members.add("errorCode", errorCode, &out) }
        if let errorMessage { members.add("errorMessage", errorMessage, &out) }
        members.key("requestParameters", &out)
        JSONWriter.write(requestParameters, into: &out)
        members.key("responseElements", &out)
        JSONWriter.write(responseElements, into: &out)
        if let additionalEventData {
            members.key("additionalEventData", &out)
            JSONWriter.write(additionalEventData, into: &out)
        }
        members.add("requestID", requestID, &out)
        members.add("eventID", eventID, &out)
        members.key("readOnly", &out)
        JSONWriter.write(.bool(readOnly), into: &out)
        if !resources.isEmpty {
            members.key("resources", &out)
            out.append(UInt8(ascii: "["))
            for (index, resource) in resources.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                var item = JSONMembers()
                item.add("ARN", resource.name, &out)
                item.add("accountId", recipientAccountID, &out)
                item.add("type", resource.type, &out)
                item.close(&out)
            }
            out.append(UInt8(ascii: "]"))
        }
        members.add("eventType", eventType.rawValue, &out)
        members.key("managementEvent", &out)
        JSONWriter.write(.bool(true), into: &out)
        members.add("recipientAccountId", recipientAccountID, &out)
        members.add("eventCategory", "Management", &out)
        members.close(&out)
        return out
    }
}

/// The members of one JSON object as they are written into a buffer: `{` before the first, `,`
/// between, `}` at ``close(_:)``.
struct JSONMembers {
    private var first = true

    /// Names are literals of CloudTrail's format (letters only), so they are copied without the
    /// escape scan every value needs: a record has some thirty of them.
    /// `,"name":` is put together on the stack and appended once: five appends, each checking the
    /// array's uniqueness and capacity, cost three times the bytes' copying.
    mutating func key(_ name: StaticString, _ out: inout [UInt8]) {
        let separator = UInt8(ascii: first ? "{" : ",")
        first = false
        name.withUTF8Buffer { name in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: name.count + 4) { field in
                field[0] = separator
                field[1] = UInt8(ascii: "\"")
                _ = UnsafeMutableBufferPointer(rebasing: field[2...]).initialize(from: name)
                field[name.count + 2] = UInt8(ascii: "\"")
                field[name.count + 3] = UInt8(ascii: ":")
                out.append(contentsOf: UnsafeBufferPointer(field))
            }
        }
    }

    mutating func add(_ name: StaticString, _ value: String, _ out: inout [UInt8]) {
        key(name, &out)
        JSONWriter.writeString(value, into: &out)
    }

    func close(_ out: inout [UInt8]) {
        if first { out.append(UInt8(ascii: "{")) }
        out.append(UInt8(ascii: "}"))
    }
}

public import Foundation

/// Who made a call, as CloudTrail's `userIdentity` names it.
public struct AuditIdentity: Sendable, Equatable {
    public enum Kind: String, Sendable { case root = "Root", iamUser = "IAMUser", assumedRole = "AssumedRole", awsService = "AWSService" }
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
        case .assumedRole: return arn.flatMap { $0.split(separator: "/").last.map(String.init) }
        case .awsService: return invokedBy
        }
    }

    public var json: JSONValue {
        var out: JSONObject = ["type": .string(kind.rawValue), "principalId": .string(principalID)]
        if let arn { out.append("arn", .string(arn)) }
        if let accountID { out.append("accountId", .string(accountID)) }
        if let accessKeyID { out.append("accessKeyId", .string(accessKeyID)) }
        if let userName { out.append("userName", .string(userName)) }
        if let invokedBy { out.append("invokedBy", .string(invokedBy)) }
        if let session {
            out.append("sessionContext", [
                "sessionIssuer": ["type": .string(session.issuerType), "principalId": .string(session.issuerPrincipalID),
                                  "arn": .string(session.issuerARN), "accountId": .string(accountID ?? ""),
                                  "userName": .string(session.issuerUserName)],
                "attributes": ["creationDate": .string(CloudTrailEvent.timestamp(session.creationDate)), "mfaAuthenticated": "false"],
            ])
        }
        return .object(out)
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
    public static func isReadOnly(_ eventName: String) -> Bool {
        let readPrefixes = ["Get", "List", "Describe", "Lookup", "BatchGet", "Validate", "Simulate", "Verify"]
        let cryptoReads: Set<String> = ["Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                                        "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateRandom",
                                        "GenerateMac", "Sign", "DeriveSharedSecret"]
        return cryptoReads.contains(eventName) || readPrefixes.contains { eventName.hasPrefix($0) }
    }

    /// The record as CloudTrail writes it, members in CloudTrail's order.
    public var json: JSONValue {
        var out = JSONObject()
        out.append("eventVersion", "1.08")
        out.append("userIdentity", identity.json)
        out.append("eventTime", .string(Self.timestamp(eventTime)))
        out.append("eventSource", .string(eventSource))
        out.append("eventName", .string(eventName))
        out.append("awsRegion", .string(region))
        out.append("sourceIPAddress", .string(sourceIP))
        out.append("userAgent", .string(userAgent))
        if let errorCode { out.append("errorCode", .string(errorCode)) }
        if let errorMessage { out.append("errorMessage", .string(errorMessage)) }
        out.append("requestParameters", requestParameters)
        out.append("responseElements", responseElements)
        out.append("requestID", .string(requestID))
        out.append("eventID", .string(eventID))
        out.append("readOnly", .bool(readOnly))
        if !resources.isEmpty {
            out.append("resources", .array(resources.map { ["ARN": .string($0.name), "accountId": .string(recipientAccountID), "type": .string($0.type)] }))
        }
        out.append("eventType", .string(eventType.rawValue))
        out.append("managementEvent", true)
        out.append("recipientAccountId", .string(recipientAccountID))
        out.append("eventCategory", "Management")
        return .object(out)
    }
}

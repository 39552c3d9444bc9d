import Foundation

extension AuditResource {
    /// CloudTrail's resource types by service and ARN resource kind. A list compared by bytes, not a
    /// dictionary of strings: every audited call names its resource, and hashing the service and kind
    /// strings (and parsing an ``ARN`` to get them) cost about 2% of a read's instructions.
    static let types: [(service: StaticString, kinds: [(kind: StaticString, type: String)])] = [
        ("secretsmanager", [("secret", "AWS::SecretsManager::Secret")]),
        ("kms", [("key", "AWS::KMS::Key"), ("alias", "AWS::KMS::Alias")]),
        ("ssm", [("parameter", "AWS::SSM::Parameter")]),
        ("iam", [("user", "AWS::IAM::User"), ("role", "AWS::IAM::Role"), ("group", "AWS::IAM::Group"), ("policy", "AWS::IAM::Policy"),
                 ("root", "AWS::IAM::Account")]),
        ("sts", [("assumed-role", "AWS::STS::AssumedRole"), ("federated-user", "AWS::STS::FederatedUser")]),
        ("cloudtrail", [("trail", "AWS::CloudTrail::Trail")]),
    ]

    /// The resource an ARN names, with CloudTrail's type (`AWS::SecretsManager::Secret`); nil for
    /// `*` and for what is not an ARN (as ``ARN/init(_:)`` reads one: `arn`, a partition, a service,
    /// a region, an account, a resource).
    public init?(arn: String) {
        var text = arn
        let type = text.withUTF8 { bytes -> String? in
            guard bytes.last != UInt8(ascii: "*"), let colons = ARN.colons(bytes),
                  UnsafeBufferPointer(rebasing: bytes[..<colons.0]).sameBytes(as: "arn"),
                  colons.1 > colons.0 + 1, colons.2 > colons.1 + 1 else { return nil }
            let service = UnsafeBufferPointer(rebasing: bytes[(colons.1 + 1)..<colons.2])
            let resource = UnsafeBufferPointer(rebasing: bytes[(colons.4 + 1)...])
            let kind = UnsafeBufferPointer(rebasing: resource[Self.kindRange(of: resource)])
            for entry in Self.types where service.sameBytes(as: entry.service) {
                return entry.kinds.first { kind.sameBytes(as: $0.kind) }?.type
            }
            return nil
        }
        guard let type else { return nil }
        self.init(type: type, name: arn)
    }

    /// The resource's kind: its first non-empty `/` field, and of that the first non-empty `:` field
    /// (`parameter/a/b` and `secret:name-AbCdEf` alike).
    static func kindRange(of bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        func firstField(_ range: Range<Int>, _ separator: UInt8) -> Range<Int> {
            var start = range.lowerBound
            while start < range.upperBound, bytes[start] == separator { start += 1 }
            var end = start
            while end < range.upperBound, bytes[end] != separator { end += 1 }
            return start == end ? range : start..<end
        }
        return firstField(firstField(0..<bytes.count, UInt8(ascii: "/")), UInt8(ascii: ":"))
    }
}

extension CloudTrailEvent {
    /// Reads back a record as ``json`` wrote it; nil for anything else.
    public init?(json value: JSONValue) {
        guard let object = value.objectValue, let identity = object["userIdentity"].flatMap(AuditIdentity.init(json:)),
            let eventID = object["eventID"]?.stringValue, let time = object["eventTime"]?.stringValue.flatMap(Self.parseTimestamp),
            let source = object["eventSource"]?.stringValue, let name = object["eventName"]?.stringValue
        else { return nil }
        let resources = (object["resources"]?.arrayValue ?? []).compactMap { item -> AuditResource? in
            guard let type = item.objectValue?["type"]?.stringValue, let arn = item.objectValue?["ARN"]?.stringValue else { return nil }
            return AuditResource(type: type, name: arn)
        }
        self.init(eventID: eventID, eventTime: time, eventSource: source, eventName: name,
                  region: object["awsRegion"]?.stringValue ?? "", sourceIP: object["sourceIPAddress"]?.stringValue ?? "",
                  userAgent: object["userAgent"]?.stringValue ?? "", identity: identity,
                  requestParameters: object["requestParameters"] ?? .null, responseElements: object["responseElements"] ?? .null,
                  errorCode: object["errorCode"]?.stringValue, errorMessage: object["errorMessage"]?.stringValue,
                  requestID: object["requestID"]?.stringValue ?? "", resources: resources,
                  eventType: EventType(rawValue: object["eventType"]?.stringValue ?? "") ?? .apiCall,
                  recipientAccountID: object["recipientAccountId"]?.stringValue ?? "")
        additionalEventData = object["additionalEventData"]
    }

    /// `2026-11-22T17:05:08Z`.
    static func parseTimestamp(_ text: String) -> Date? {
        SigV4Timestamp.parse(String(text.filter { $0 != "-" && $0 != ":" }))
    }
}

extension AuditIdentity {
    init?(json value: JSONValue) {
        guard let object = value.objectValue, let kind = object["type"]?.stringValue.flatMap(Kind.init(rawValue:)) else { return nil }
        var session: Session?
        if let context = object["sessionContext"]?.objectValue, let issuer = context["sessionIssuer"]?.objectValue {
            session = Session(issuerType: issuer["type"]?.stringValue ?? "Role", issuerPrincipalID: issuer["principalId"]?.stringValue ?? "",
                              issuerARN: issuer["arn"]?.stringValue ?? "", issuerUserName: issuer["userName"]?.stringValue ?? "",
                              creationDate: context["attributes"]?.objectValue?["creationDate"]?.stringValue
                                  .flatMap(CloudTrailEvent.parseTimestamp) ?? Date(timeIntervalSince1970: 0))
        }
        self.init(kind: kind, principalID: object["principalId"]?.stringValue ?? "", arn: object["arn"]?.stringValue,
                  accountID: object["accountId"]?.stringValue, accessKeyID: object["accessKeyId"]?.stringValue,
                  userName: object["userName"]?.stringValue, session: session, invokedBy: object["invokedBy"]?.stringValue)
    }
}

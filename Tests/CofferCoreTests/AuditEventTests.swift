import CofferCore
import Crypto
import Foundation
import Testing

@Suite struct AuditEventTests {
    let redaction = AuditRedaction(key: SymmetricKey(size: .bits256))
    let alice = AuditIdentity(kind: .iamUser, principalID: "AIDAEXAMPLE", arn: "arn:aws:iam::123456789012:user/alice",
                              accountID: "123456789012", accessKeyID: "AKIAALICE", userName: "alice")

    func event(_ name: String, at seconds: Double, identity: AuditIdentity? = nil, resource: String? = nil,
               error: String? = nil) -> CloudTrailEvent {
        CloudTrailEvent(eventID: UUID().uuidString, eventTime: Date(timeIntervalSince1970: seconds), eventSource: "secretsmanager.amazonaws.com",
                        eventName: name, region: "us-east-1", sourceIP: "127.0.0.1", userAgent: "aws-cli/2", identity: identity ?? alice,
                        requestParameters: .null, responseElements: .null, errorCode: error, errorMessage: nil, requestID: "r",
                        resources: resource.map { [AuditResource(type: "AWS::SecretsManager::Secret", name: $0)] } ?? [],
                        recipientAccountID: "123456789012")
    }

    @Test func secretsNeverSurviveRedaction() {
        let request: JSONValue = ["SecretId": "db", "SecretString": "canary-value", "Tags": [["Key": "k", "Value": "canary-tag"]],
                                  "SecretAccessKey": "canary-key"]
        let text = JSONWriter.string(redaction.apply(request))
        #expect(!text.contains("canary"))
        #expect(text.contains(#""secretId":"db""#))
        #expect(text.contains(#""secretAccessKey":"HIDDEN_DUE_TO_SECURITY_REASONS""#))
    }

    @Test func presignedQueryCredentialsNeverReachTheRecord() {
        let query = ["Action": "GetCallerIdentity", "Version": "2011-06-15", "UserName": "alice", "X-Amz-Signature": "canary-signature",
                     "X-Amz-Security-Token": "canary-token", "X-Amz-Credential": "AKIA/canary", "NewPassword": "canary-password"]
        let text = JSONWriter.string(redaction.apply(query: query))
        #expect(!text.contains("canary") && !text.contains("Action") && !text.contains("Version"))
        #expect(text.hasPrefix(#"{"newPassword":"hmac-sha256:"#) && text.hasSuffix(#","userName":"alice"}"#))
        #expect(redaction.apply(query: ["Action": "GetCallerIdentity"]) == .null)
    }

    @Test func equalValuesHashAlikeAndOnlyUnderOneKey() {
        #expect(redaction.hmac("v") == redaction.hmac("v"))
        #expect(redaction.hmac("v") != redaction.hmac("w"))
        #expect(AuditRedaction(key: SymmetricKey(size: .bits256)).hmac("v") != redaction.hmac("v"))
        #expect(redaction.hmac("v").hasPrefix("hmac-sha256:"))
    }

    @Test func recordsCarryCloudTrailsMembers() throws {
        let json = event("GetSecretValue", at: 1_700_000_000, resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf").json
        let object = try #require(json.objectValue)
        #expect(object["eventVersion"] == "1.08")
        #expect(object["eventTime"] == "2023-11-14T22:13:20Z")
        #expect(object["readOnly"] == true)
        #expect(object["eventType"] == "AwsApiCall")
        #expect(object["userIdentity"]?.objectValue?["userName"] == "alice")
        #expect(object["errorCode"] == nil)
        #expect(object["resources"]?.arrayValue?.count == 1)
    }

    @Test func readOnlyFollowsCloudTrail() {
        #expect(CloudTrailEvent.isReadOnly("DescribeSecret"))
        #expect(CloudTrailEvent.isReadOnly("Decrypt"))
        #expect(!CloudTrailEvent.isReadOnly("PutSecretValue"))
        #expect(!CloudTrailEvent.isReadOnly("CreateKey"))
        // Whole names for the cryptographic reads, prefixes for the rest.
        #expect(CloudTrailEvent.isReadOnly("GenerateDataKeyPairWithoutPlaintext") && CloudTrailEvent.isReadOnly("Get"))
        #expect(!CloudTrailEvent.isReadOnly("EncryptX") && !CloudTrailEvent.isReadOnly("Ge") && !CloudTrailEvent.isReadOnly("getSecretValue"))
        #expect(!CloudTrailEvent.isReadOnly("") && !CloudTrailEvent.isReadOnly("SignUp") && CloudTrailEvent.isReadOnly("VerifyMac"))
    }

    @Test func lookupMatchesOneAttributeAndPagesNewestFirst() {
        let root = AuditIdentity(kind: .root, principalID: "123456789012", arn: "arn:aws:iam::123456789012:root",
                                 accountID: "123456789012", accessKeyID: "AKIAROOT", userName: nil)
        var events: [(sequence: Int, event: CloudTrailEvent)] = []
        for n in (1...7).reversed() {
            let name = n % 2 == 0 ? "GetSecretValue" : "PutSecretValue"
            events.append((sequence: n, event: event(name, at: Double(1_700_000_000 + n), identity: n == 7 ? root : alice)))
        }
        let gets = EventLookup(attribute: (.eventName, "GetSecretValue"), start: nil, end: nil)
        let first = gets.page(events, after: nil, limit: 2)
        #expect(first.events.map { $0.eventTime.timeIntervalSince1970 } == [1_700_000_006, 1_700_000_004])
        let second = gets.page(events, after: first.next, limit: 2)
        #expect(second.events.count == 1 && second.next == nil)
        #expect(EventLookup(attribute: (.username, "root"), start: nil, end: nil).page(events, after: nil, limit: 50).events.count == 1)
        #expect(EventLookup(attribute: (.accessKeyID, "AKIAALICE"), start: nil, end: nil).page(events, after: nil, limit: 50).events.count == 6)
        let window = EventLookup(attribute: nil, start: Date(timeIntervalSince1970: 1_700_000_002),
                                 end: Date(timeIntervalSince1970: 1_700_000_004))
        #expect(window.page(events, after: nil, limit: 50).events.count == 3)
        #expect(EventLookup(attribute: (.readOnly, "false"), start: nil, end: nil).page(events, after: nil, limit: 50).events.count == 4)
    }

    /// The byte pre-filter never passes over a record the lookup would match, for every attribute,
    /// values with characters JSON escapes among them.
    @Test func preFilterKeepsEveryMatch() {
        let role = AuditIdentity(kind: .assumedRole, principalID: "AROAEXAMPLE:ci \"nightly\"",
                                 arn: "arn:aws:sts::123456789012:assumed-role/deploy/ci \"nightly\"", accountID: "123456789012",
                                 accessKeyID: "ASIAROLE", userName: nil)
        let service = AuditIdentity(kind: .awsService, principalID: "", arn: nil, accountID: nil, accessKeyID: nil, userName: nil,
                                    invokedBy: "secretsmanager.amazonaws.com")
        let events = [
            event("GetSecretValue", at: 1, resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a\\b-AbCdEf"),
            event("PutSecretValue", at: 2, identity: role),
            event("DeleteKey", at: 3, identity: service),
            event("ListSecrets", at: 4, identity: AuditIdentity(kind: .root, principalID: "123456789012", arn: "arn:aws:iam::123456789012:root",
                                                                accountID: "123456789012", accessKeyID: "AKIAROOT", userName: nil)),
        ]
        for candidate in events {
            let queries: [(EventLookup.Attribute, String)] = [
                (.eventID, candidate.eventID), (.eventName, candidate.eventName), (.readOnly, String(candidate.readOnly)),
                (.username, candidate.identity.lookupName ?? "-"), (.eventSource, candidate.eventSource),
                (.accessKeyID, candidate.identity.accessKeyID ?? "-"),
                (.resourceType, candidate.resources.first?.type ?? "-"), (.resourceName, candidate.resources.first?.name ?? "-"),
            ]
            for (key, value) in queries {
                let lookup = EventLookup(attribute: (key, value), start: nil, end: nil)
                for other in events where lookup.matches(other) {
                    #expect(lookup.mayMatch(other.record, requiring: lookup.requiredBytes), "\(key) \(value)")
                    #expect(lookup.mayMatch(other.storedRecord, requiring: lookup.requiredBytes), "compact: \(key) \(value)")
                }
            }
        }
        let rare = EventLookup(attribute: (.eventName, "RotateSecret"), start: nil, end: nil)
        #expect(events.allSatisfy { !rare.mayMatch($0.record, requiring: rare.requiredBytes) })
        #expect(events.allSatisfy { !rare.mayMatch($0.storedRecord, requiring: rare.requiredBytes) })
        #expect(EventLookup(attribute: (.eventName, "Ünïcode"), start: nil, end: nil).requiredBytes == nil)
        #expect(EventLookup(attribute: nil, start: nil, end: nil).requiredBytes == nil)
    }

    /// Every member survives the compact form, and it writes out as the same CloudTrail JSON;
    /// records stored as JSON before it read back as before.
    @Test func compactRecordsReadBackAsTheEventsTheyStore() throws {
        let role = AuditIdentity(kind: .assumedRole, principalID: "AROAEXAMPLE:ci \"nightly\"",
                                 arn: "arn:aws:sts::123456789012:assumed-role/deploy/ci", accountID: "123456789012", accessKeyID: "ASIAROLE",
                                 userName: nil, session: AuditIdentity.Session(issuerPrincipalID: "AROAEXAMPLE",
                                                                               issuerARN: "arn:aws:iam::123456789012:role/deploy",
                                                                               issuerUserName: "deploy", creationDate: Date(timeIntervalSince1970: 1_700_000_000)))
        let service = AuditIdentity(kind: .awsService, principalID: "", arn: nil, accountID: nil, accessKeyID: nil, userName: nil,
                                    invokedBy: "secretsmanager.amazonaws.com")
        var rotation = CloudTrailEvent(eventID: "e-1", eventTime: Date(timeIntervalSince1970: 1_764_806_400), eventSource: "secretsmanager.amazonaws.com",
                                       eventName: "RotationSucceeded", region: "eu-west-1", sourceIP: "secretsmanager.amazonaws.com",
                                       userAgent: "secretsmanager.amazonaws.com", identity: service, requestParameters: .null,
                                       responseElements: .null, errorCode: nil, errorMessage: nil, requestID: "r-1",
                                       resources: [], eventType: .serviceEvent, recipientAccountID: "123456789012")
        rotation.additionalEventData = ["SecretId": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"]
        let failed = CloudTrailEvent(eventID: "e-2", eventTime: Date(timeIntervalSince1970: 1_764_806_401), eventSource: "kms.amazonaws.com",
                                     eventName: "Decrypt", region: "us-east-1", sourceIP: "10.0.0.1", userAgent: "Boto3/1.35 \u{1F511} ünï",
                                     identity: role, requestParameters: ["keyId": "alias/app", "grantTokens": [], "n": 3, "b": true],
                                     responseElements: ["keyId": "k"], errorCode: "AccessDenied", errorMessage: "User: \"x\" is not authorized\n",
                                     requestID: "r-2", resources: [AuditResource(type: "AWS::KMS::Key", name: "arn:aws:kms:us-east-1:123456789012:key/k"),
                                                                   AuditResource(type: "AWS::KMS::Alias", name: "arn:aws:kms:us-east-1:123456789012:alias/app")],
                                     recipientAccountID: "123456789012")
        let plain = event("GetSecretValue", at: 1_764_806_402.75, resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf")
        for original in [rotation, failed, plain] {
            let stored = original.storedRecord
            #expect(CloudTrailEvent.isCompact(stored) && stored.count < original.record.count / 2 + 64)
            let read = try #require(CloudTrailEvent(stored: stored))
            #expect(read.record == original.record)
            #expect(CloudTrailEvent.cloudTrailJSON(stored: stored) == original.record)
            // The JSON form, as records were stored before, reads back as the same event.
            let fromJSON = try #require(CloudTrailEvent(stored: original.record))
            #expect(fromJSON == read)
            #expect(CloudTrailEvent.cloudTrailJSON(stored: original.record) == original.record)
        }
        #expect(try #require(CloudTrailEvent(stored: plain.storedRecord)).eventTime == Date(timeIntervalSince1970: 1_764_806_402))
        // Every kind of identity has its stored place and reads back as itself.
        for kind in AuditIdentity.Kind.allCases {
            let identity = AuditIdentity(kind: kind, principalID: "p", arn: nil, accountID: nil, accessKeyID: nil, userName: nil)
            #expect(try #require(CloudTrailEvent(stored: event("ListSecrets", at: 5, identity: identity).storedRecord)).identity.kind == kind)
        }
    }

    /// A record edited in the database (cut short, lengthened, a byte changed) reads as nothing or
    /// as some event, never as a crash.
    @Test func damagedCompactRecordsAreRefusedWithoutFault() {
        let stored = event("GetSecretValue", at: 1, resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf").storedRecord
        for end in 0..<stored.count { #expect(CloudTrailEvent(stored: Array(stored[..<end])) == nil) }
        #expect(CloudTrailEvent(stored: stored + [0]) == nil)
        for index in 1..<stored.count {
            for value: UInt8 in [0x00, 0x7F, 0x80, 0xFF] {
                var edited = stored
                edited[index] = value
                _ = CloudTrailEvent(stored: edited)
            }
        }
        #expect(CloudTrailEvent(stored: [0x02, 0, 0]) == nil && CloudTrailEvent(stored: []) == nil)
    }

    @Test func responseElementDatesAreWrittenAsCloudTrailWritesThem() {
        let day = 1_764_806_400.0  // Dec 4, 2025, midnight UTC
        #expect(CloudTrailDate.text(Date(timeIntervalSince1970: 0)) == "Jan 1, 1970, 12:00:00 AM")
        #expect(CloudTrailDate.text(Date(timeIntervalSince1970: day + 13 * 3600 + 5 * 60 + 6.9)) == "Dec 4, 2025, 1:05:06 PM")
        #expect(CloudTrailDate.text(Date(timeIntervalSince1970: day + 12 * 3600 + 59)) == "Dec 4, 2025, 12:00:59 PM")
        #expect(CloudTrailDate.text(Date(timeIntervalSince1970: day - 1)) == "Dec 3, 2025, 11:59:59 PM")
    }
}

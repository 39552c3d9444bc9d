import CofferCore
import CofferServices
import CofferStorage
import Foundation
import Testing

/// A trail whose older records were stored as JSON and newer ones in the compact form, as a data
/// directory upgraded in place holds it: it verifies, and exports CloudTrail's JSON for both.
@Suite struct AuditTrailFormsTests {
    func event(_ name: String, at seconds: Double) -> CloudTrailEvent {
        CloudTrailEvent(eventID: "id-\(name)", eventTime: Date(timeIntervalSince1970: seconds), eventSource: "secretsmanager.amazonaws.com",
                        eventName: name, region: "us-east-1", sourceIP: "127.0.0.1", userAgent: "aws-cli/2",
                        identity: AuditIdentity(kind: .root, principalID: "123456789012", arn: "arn:aws:iam::123456789012:root",
                                                accountID: "123456789012", accessKeyID: "AKIAROOT", userName: nil),
                        requestParameters: ["secretId": "db"], responseElements: .null, errorCode: nil, errorMessage: nil, requestID: "r",
                        resources: [AuditResource(type: "AWS::SecretsManager::Secret", name: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf")],
                        recipientAccountID: "123456789012")
    }

    @Test func aTrailOfBothFormsVerifiesAndExportsJSON() async throws {
        let root = RootKey.generate(random: SystemRandomSource())
        let store = MemoryStore(chainKey: AuditTrail.chainKey(root))
        let trail = AuditTrail(store: store, root: root)
        let old = event("DescribeSecret", at: 1_700_000_000), new = event("GetSecretValue", at: 1_700_000_060)
        try await store.appendAudit([AuditAppend(time: old.eventTime, record: old.record)])
        try await trail.writeDigest(at: Date(timeIntervalSince1970: 1_700_000_030))
        try await store.appendAudit([AuditAppend(time: new.eventTime, record: new.storedRecord)])
        try await trail.writeDigest(at: Date(timeIntervalSince1970: 1_700_000_090))
        #expect(try await trail.verify().report.isIntact)
        var exported: [[UInt8]] = []
        try await trail.records(from: nil, to: nil) { exported.append($0) }
        #expect(exported == [old.record, new.record])
        let stored = try await store.auditEntries(after: 0, limit: 10).map(\.record)
        #expect(stored.map(CloudTrailEvent.isCompact) == [false, true])
        #expect(stored.compactMap { CloudTrailEvent(stored: $0)?.eventName } == ["DescribeSecret", "GetSecretValue"])
    }
}

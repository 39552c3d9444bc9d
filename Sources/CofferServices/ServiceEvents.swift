public import CofferCore
public import CofferStorage
public import Foundation

/// Audit records for what a service does on its own (`AwsServiceEvent`): deletions at the end of a
/// waiting period, key rotation, the AWS-managed keys it makes on first use, secret rotation.
public enum ServiceEvents {
    /// A scope recording one service event per change, named by `name` (nil: not recorded),
    /// committed with the change like any other record.
    public static func scope(source: String, invokedBy: String? = nil, random: any RandomSource, time: @escaping @Sendable () -> Date,
                             name: @escaping @Sendable (AuditChange) -> String?) -> AuditScope {
        AuditScope(.perChange { change in
            guard let eventName = name(change) else { return nil }
            return event(eventName, source: source, invokedBy: invokedBy, arn: change.arn, random: random, time: time())
        })
    }

    /// One service event about the resource `arn`.
    public static func event(_ name: String, source: String, invokedBy: String? = nil, arn: String, errorMessage: String? = nil,
                             requestID: String? = nil, additionalEventData: JSONValue? = nil, random: any RandomSource,
                             time: Date) -> AuditAppend? {
        guard let parsed = ARN(arn) else { return nil }
        let actor = invokedBy ?? source
        let identity = AuditIdentity(kind: .awsService, principalID: actor, arn: nil, accountID: parsed.account, accessKeyID: nil,
                                     userName: nil, invokedBy: actor)
        var event = CloudTrailEvent(
            eventID: random.uuidString(), eventTime: time, eventSource: source, eventName: name, region: parsed.region,
            sourceIP: actor, userAgent: actor, identity: identity, requestParameters: .null, responseElements: .null, errorCode: nil,
            errorMessage: errorMessage, requestID: requestID ?? random.uuidString(), resources: AuditResource(arn: arn).map { [$0] } ?? [],
            eventType: .serviceEvent, recipientAccountID: parsed.account)
        event.additionalEventData = additionalEventData
        return AuditAppend(time: event.eventTime, record: event.storedRecord)
    }
}

/// Secrets Manager's rotation events (RotationStarted, RotationSucceeded, RotationFailed,
/// RotationAbandoned and the TestRotation ones), as AWS writes them.
struct RotationEvents: Sendable {
    let random: any RandomSource
    let clock: any WallClock

    static let source = "secretsmanager.amazonaws.com"

    func record(_ name: String, secret: Secret, job: RotationJob, errorMessage: String? = nil) -> AuditAppend? {
        ServiceEvents.event(name, source: Self.source, arn: secret.arn, errorMessage: errorMessage,
                            requestID: "Rotation-\(secret.arn)-\(job.token)", additionalEventData: .object(["SecretId": .string(secret.arn)]),
                            random: random, time: clock.now())
    }

}

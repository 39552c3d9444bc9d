public import CofferCore
public import CofferStorage
public import Foundation

/// Audit records for what a service does on its own (`AwsServiceEvent`): deletions at the end of a
/// waiting period, key rotation, the AWS-managed keys it makes on first use.
public enum ServiceEvents {
    /// A scope recording one service event per change, named by `name` (nil: not recorded),
    /// committed with the change like any other record.
    public static func scope(source: String, invokedBy: String? = nil, random: any RandomSource, time: @escaping @Sendable () -> Date,
                             name: @escaping @Sendable (AuditChange) -> String?) -> AuditScope {
        AuditScope(.perChange { change in
            guard let eventName = name(change), let arn = ARN(change.arn) else { return nil }
            let actor = invokedBy ?? source
            let identity = AuditIdentity(kind: .awsService, principalID: actor, arn: nil, accountID: arn.account, accessKeyID: nil,
                                         userName: nil, invokedBy: actor)
            let event = CloudTrailEvent(
                eventID: random.uuidString(), eventTime: time(), eventSource: source, eventName: eventName, region: arn.region,
                sourceIP: actor, userAgent: actor, identity: identity, requestParameters: .null, responseElements: .null, errorCode: nil,
                errorMessage: nil, requestID: random.uuidString(), resources: AuditResource(arn: change.arn).map { [$0] } ?? [],
                eventType: .serviceEvent, recipientAccountID: arn.account)
            return AuditAppend(time: event.eventTime, record: event.record)
        })
    }
}

import CofferCore
import CofferServices
import CofferStorage
import Foundation

/// The request side of one call's audit record, known before the operation runs.
struct AuditDraft: Sendable {
    let time: Date
    /// The service's host name, e.g. `secretsmanager.amazonaws.com`.
    let source: String
    let name: String
    let region: String
    let sourceIP: String
    let userAgent: String
    let identity: AuditIdentity
    var requestParameters: JSONValue = .null
    let requestID: String
    let account: String
}

/// Builds CloudTrail records for calls and makes them durable before the call is answered: a
/// change's record commits with the change (through ``AuditScope``); reads and failures append
/// theirs to the store's staging (durable against a crash of the process, chained within
/// milliseconds), so a read costs a system call rather than a transaction.
struct AuditRecorder: Sendable {
    let redaction: AuditRedaction
    let store: any AuditStore
    let random: any RandomSource
    let alerts: AlertMonitor?

    func draft(service: String, operation: String, context: CallerContext, entry: CredentialDirectory.Entry?, requestID: String) -> AuditDraft {
        AuditDraft(time: context.requestTime, source: "\(service).amazonaws.com", name: operation, region: context.scope.region,
                   sourceIP: context.sourceIP ?? "127.0.0.1", userAgent: context.userAgent ?? "", identity: identity(context, entry),
                   requestID: requestID, account: context.scope.account)
    }

    /// CloudTrail's `userIdentity` for the caller.
    func identity(_ context: CallerContext, _ entry: CredentialDirectory.Entry?) -> AuditIdentity {
        let account = context.scope.account
        let arn = context.principalARN
        let lastName: String? = arn.isEmpty ? nil : String(arn.last(after: UInt8(ascii: "/")))
        if arn.isEmpty {
            return AuditIdentity(kind: .webIdentityUser, principalID: "", arn: nil, accountID: nil, accessKeyID: nil, userName: nil)
        }
        if context.isRoot {
            return AuditIdentity(kind: .root, principalID: account, arn: arn, accountID: account, accessKeyID: context.accessKeyID, userName: nil)
        }
        if ARN.resource(of: arn, startsWith: "assumed-role/"), let entry, let roleARN = entry.roleARN {
            let principalID = entry.userID ?? ""
            let session = AuditIdentity.Session(
                issuerPrincipalID: String(principalID.split(separator: ":").first ?? ""), issuerARN: roleARN,
                issuerUserName: String(roleARN.last(after: UInt8(ascii: "/"))), creationDate: entry.issued ?? context.requestTime)
            return AuditIdentity(kind: .assumedRole, principalID: principalID, arn: arn, accountID: account, accessKeyID: context.accessKeyID,
                                 userName: nil, session: session)
        }
        if ARN.resource(of: arn, startsWith: "federated-user/") {
            return AuditIdentity(kind: .federatedUser, principalID: entry?.userID ?? "", arn: arn, accountID: account,
                                 accessKeyID: context.accessKeyID, userName: nil)
        }
        return AuditIdentity(kind: .iamUser, principalID: entry?.userID ?? "", arn: arn, accountID: account,
                             accessKeyID: context.accessKeyID, userName: lastName)
    }

    /// A JSON request body as `requestParameters`.
    func parameters(_ body: JSONObject) -> JSONValue { body.isEmpty ? .null : redaction.apply(.object(body)) }

    /// Query parameters (IAM, STS) as `requestParameters`.
    func parameters(query: [String: String]) -> JSONValue { redaction.apply(query: query) }

    func event(_ draft: AuditDraft, resources: [AuditResource], responseElements: JSONValue = .null,
               error: (code: String, message: String)?) -> CloudTrailEvent {
        CloudTrailEvent(eventID: random.uuidString(), eventTime: draft.time, eventSource: draft.source, eventName: draft.name,
                        region: draft.region, sourceIP: draft.sourceIP, userAgent: draft.userAgent, identity: draft.identity,
                        requestParameters: draft.requestParameters, responseElements: responseElements, errorCode: error?.code,
                        errorMessage: error?.message, requestID: draft.requestID, resources: resources, recipientAccountID: draft.account)
    }

    static func append(_ event: CloudTrailEvent) -> AuditAppend {
        AuditAppend(time: event.eventTime, record: event.storedRecord)
    }

    /// The scope a call runs in: its first committed change carries its record.
    func scope(for draft: AuditDraft) -> AuditScope {
        AuditScope(.request { resources, change in
            let elements = AuditResponseElements.elements(operation: draft.name, written: change.written, account: draft.account)
            return Self.append(event(draft, resources: resources, responseElements: elements == .null ? .null : redaction.apply(elements), error: nil))
        })
    }

    /// Makes the call's record durable unless a change already carried it; a failure after a
    /// committed change gets a record of its own.
    func finish(_ draft: AuditDraft, scope: AuditScope?, error: (code: String, message: String)?) async throws {
        alerts?.observe(identity: draft.identity, errorCode: error?.code, eventName: draft.name, time: draft.time)
        if error == nil, scope?.committed == true { return }
        try await store.stageAudit(Self.append(event(draft, resources: scope?.resources ?? [], error: error)))
    }
}

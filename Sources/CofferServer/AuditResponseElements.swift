import CofferCore
import CofferStorage
import Foundation

/// CloudTrail's `responseElements` for the calls where CloudTrail fills them: those that create a
/// KMS key, an IAM user, role, group, managed policy or access key, or temporary credentials, that
/// schedule or cancel a key's deletion, or that store a parameter version. Everything else keeps
/// `null`, as CloudTrail logs it: reads, cryptographic operations (their answers are data), Secrets
/// Manager's calls, failures. Made from what the call's change writes, when its audit record is
/// claimed in the same transaction, so the trail says what was committed. Secrets, credentials and
/// session tokens go through the same redaction as request parameters (`HIDDEN_DUE_TO_SECURITY_REASONS`).
enum AuditResponseElements {
    static func elements(operation: String, written: (any Sendable)?, account: String) -> JSONValue {
        guard let written else { return .null }
        switch (operation, written) {
        case ("CreateKey", let key as KMSKey):
            var metadata = KMSHandler.metadata(key, ResourceScope(account: account, region: ARN(key.arn)?.region ?? ""))
            if case .object(var object) = metadata {
                object["CreationDate"] = date(key.creationDate)
                metadata = .object(object)
            }
            return ["KeyMetadata": metadata]
        case ("ScheduleKeyDeletion", let key as KMSKey):
            var out: JSONObject = ["KeyId": .string(key.arn), "KeyState": .string(key.state.rawValue)]
            if let deletion = key.deletionDate { out["DeletionDate"] = date(deletion) }
            if let days = key.pendingWindowDays { out["PendingWindowInDays"] = .number(Double(days)) }
            return .object(out)
        case ("CancelKeyDeletion", let key as KMSKey):
            return ["KeyId": .string(key.arn)]
        case ("CreateUser", let user as IAMUser):
            return ["User": ["Path": .string(user.path), "UserName": .string(user.userName), "UserId": .string(user.userID),
                             "Arn": .string(user.arn), "CreateDate": date(user.createDate)]]
        case ("CreateRole", let role as IAMRole):
            return ["Role": ["Path": .string(role.path), "RoleName": .string(role.roleName), "RoleId": .string(role.roleID),
                             "Arn": .string(role.arn), "CreateDate": date(role.createDate),
                             "AssumeRolePolicyDocument": .string(role.assumeRolePolicy)]]
        case ("CreateGroup", let group as IAMGroup):
            return ["Group": ["Path": .string(group.path), "GroupName": .string(group.groupName), "GroupId": .string(group.groupID),
                              "Arn": .string(group.arn), "CreateDate": date(group.createDate)]]
        case ("CreatePolicy", let policy as ManagedPolicy):
            return ["Policy": ["PolicyName": .string(policy.policyName), "PolicyId": .string(policy.policyID), "Arn": .string(policy.arn),
                               "Path": .string(policy.path), "DefaultVersionId": .string(policy.defaultVersionID),
                               "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
                               "CreateDate": date(policy.createDate), "UpdateDate": date(policy.updateDate)]]
        case ("CreateAccessKey", let key as StoredAccessKey):
            return ["AccessKey": ["UserName": .string(String(key.principalARN.split(separator: "/").last ?? "")),
                                  "AccessKeyId": .string(key.accessKeyID), "Status": .string(key.status),
                                  "CreateDate": date(key.createdDate)]]
        case ("AssumeRole", let session as STSSession), ("AssumeRoleWithWebIdentity", let session as STSSession),
             ("AssumeRoleWithSAML", let session as STSSession):
            return ["Credentials": credentials(session),
                    "AssumedRoleUser": ["AssumedRoleId": .string(session.principalID), "Arn": .string(session.principalARN)]]
        case ("GetFederationToken", let session as STSSession):
            return ["Credentials": credentials(session),
                    "FederatedUser": ["FederatedUserId": .string(session.principalID), "Arn": .string(session.principalARN)]]
        case ("GetSessionToken", let session as STSSession):
            return ["Credentials": credentials(session)]
        case ("PutParameter", let parameter as Parameter):
            guard let latest = parameter.latest else { return .null }
            return ["Version": .number(Double(latest.version)), "Tier": .string(latest.tier)]
        default:
            return .null
        }
    }

    /// The session token is named so that redaction hides it; its value never reaches the trail.
    private static func credentials(_ session: STSSession) -> JSONValue {
        ["AccessKeyId": .string(session.name), "SessionToken": .string(AuditRedaction.hidden), "Expiration": date(session.expiration)]
    }

    private static func date(_ date: Date) -> JSONValue { .string(CloudTrailDate.text(date)) }
}

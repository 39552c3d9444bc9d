import CofferClient
import CofferCore
import CofferServices
import Foundation

/// An IAM user's access key pair held in a secret, rotated as AWS's IAM guide has it: create the
/// second key, store it, prove it with STS GetCallerIdentity, then retire the old key (Inactive) at
/// finishSecret. A user holds at most two keys, so the key retired by the rotation before (the
/// AWSPREVIOUS one, if it is inactive) is deleted when the next rotation makes its key.
///
/// The secret's JSON names the pair as `accessKeyId`/`secretAccessKey` (or `AccessKeyId`/
/// `SecretAccessKey`, `aws_access_key_id`/`aws_secret_access_key`), optionally with `userName`;
/// the new value keeps the names it found.
struct IAMAccessKeyTarget: RotationTarget {
    let iam: IAMService
    let secrets: SecretsManagerService
    let endpoint: @Sendable () -> String

    var hasTarget: Bool { true }

    static let idNames = ["accessKeyId", "AccessKeyId", "aws_access_key_id", "AccessKey"]
    static let secretNames = ["secretAccessKey", "SecretAccessKey", "aws_secret_access_key", "SecretKey"]
    /// Who looks the key's owner up: the rotation acts as Secrets Manager.
    static let caller = "secretsmanager.amazonaws.com"

    struct Pair {
        var object: JSONObject
        var idName: String
        var secretName: String
        var keyID: String
        var secret: Redacted<String>
    }

    static func pair(_ value: SecretValue) throws -> Pair {
        guard let object = SecretJSON.object(value) else { throw RotationFailure("the secret is not a JSON object") }
        guard let idName = idNames.first(where: { SecretJSON.string(object, $0) != nil }),
            let secretName = secretNames.first(where: { SecretJSON.string(object, $0) != nil })
        else { throw RotationFailure("the secret JSON holds no access key pair (accessKeyId and secretAccessKey)") }
        return Pair(object: object, idName: idName, secretName: secretName, keyID: SecretJSON.string(object, idName)!,
                    secret: Redacted(SecretJSON.string(object, secretName)!))
    }

    func newValue(from current: SecretValue, password: String, secretARN: String) async throws -> SecretValue {
        var pair = try Self.pair(current)
        guard let account = ARN(secretARN)?.account else { throw RotationFailure("SecretId is not an ARN") }
        let owner: String
        do {
            guard let name = try await iam.accessKeyLastUsed(pair.keyID, account: account, callerARN: Self.caller).userName else {
                throw RotationFailure("the access key \(pair.keyID) does not belong to an IAM user")
            }
            owner = name
        } catch let failure as RotationFailure {
            throw failure
        } catch {
            throw RotationFailure("the access key \(pair.keyID) cannot be found")
        }
        // Room for the new key: the key the last rotation retired goes now.
        let keys = try await iam.accessKeys(userName: owner, account: account).keys
        if keys.count >= 2, let previous = try? await previousKeyID(secretARN: secretARN),
            let retired = keys.first(where: { $0.accessKeyID == previous && $0.status == "Inactive" })
        {
            try await iam.deleteAccessKey(retired.accessKeyID, userName: owner, account: account)
        }
        let created: IAMService.NewAccessKey
        do {
            created = try await iam.createAccessKey(userName: owner, account: account)
        } catch let error as CofferError {
            throw RotationFailure("a new access key for \(owner) could not be made: \(error.message)")
        }
        pair.object[pair.idName] = .string(created.key.accessKeyID)
        pair.object[pair.secretName] = .string(created.secret.value)
        return .string(String(decoding: JSONWriter.bytes(.object(pair.object)), as: UTF8.self))
    }

    private func previousKeyID(secretARN: String) async throws -> String? {
        guard let scope = ARN(secretARN).map({ ResourceScope(account: $0.account, region: $0.region) }) else { return nil }
        let previous = try await secrets.getSecretValue(secretID: secretARN, versionID: nil, versionStage: StagingLabel.previous, in: scope,
                                                        recordingAccess: false)
        return try Self.pair(previous.value).keyID
    }

    func apply(pending: SecretValue, current: SecretValue, previous: SecretValue?) async throws {}

    /// A real signed STS GetCallerIdentity with the new key, against this Coffer.
    func test(pending: SecretValue) async throws {
        let pair = try Self.pair(pending)
        guard let url = URL(string: endpoint()) else { throw RotationFailure("no endpoint to test the key against") }
        let caller = SignedCaller(endpoint: url, region: "us-east-1", credentials: AWSCredentials(accessKeyID: pair.keyID, secretAccessKey: pair.secret))
        let answer = try await caller.query(service: "sts", "Action=GetCallerIdentity&Version=2011-06-15")
        guard answer.status == 200, QueryXML.value("Arn", in: answer.text) != nil else {
            throw RotationFailure("STS GetCallerIdentity with the new access key \(pair.keyID) failed")
        }
    }

    /// The old key stops working when the new one is AWSCURRENT (Inactive, not deleted, so it can be
    /// switched back on if something still needs it).
    func retire(_ old: SecretValue, new: SecretValue, secretARN: String) async throws {
        let oldPair = try Self.pair(old)
        let newPair = try Self.pair(new)
        guard oldPair.keyID != newPair.keyID, let account = ARN(secretARN)?.account,
            let (_, owner) = try? await iam.accessKeyLastUsed(oldPair.keyID, account: account, callerARN: Self.caller), let owner
        else { return }
        try await iam.updateAccessKey(oldPair.keyID, status: "Inactive", userName: owner, account: account)
    }
}

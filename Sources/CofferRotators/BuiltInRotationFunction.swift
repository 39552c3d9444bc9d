import CofferCore
import CofferServices
import CofferStorage
import struct Foundation.Date

/// What a built-in rotation changes besides the secret: a database user's password, an access
/// key. The driver below does the Secrets Manager side exactly as AWS's templates do.
protocol RotationTarget: Sendable {
    /// False when setSecret and testSecret have nothing to do (the random password).
    var hasTarget: Bool { get }
    /// The new value to store as AWSPENDING, made from AWSCURRENT's.
    func newValue(from current: SecretValue, password: String, secretARN: String) async throws -> SecretValue
    /// Makes the target accept the pending value (setSecret).
    func apply(pending: SecretValue, current: SecretValue, previous: SecretValue?) async throws
    /// Proves the pending value works (testSecret).
    func test(pending: SecretValue) async throws
    /// After AWSCURRENT moved at finishSecret: retires what the old value held.
    func retire(_ old: SecretValue, new: SecretValue, secretARN: String) async throws
}

extension RotationTarget {
    func retire(_ old: SecretValue, new: SecretValue, secretARN: String) async throws {}
}

/// Runs the four steps in process, calling Secrets Manager's service as a rotation Lambda calls
/// the API (AWS's template: DescribeSecret checks first, PutSecretValue into the AWSPENDING
/// version, UpdateSecretVersionStage at the end), so built-ins and external functions leave the
/// same traces. Each step is idempotent, so a retried or resumed rotation is safe.
struct BuiltInRotationFunction: RotationFunction {
    let spec: RotationFunctionSpec
    let secrets: SecretsManagerService
    let target: any RotationTarget
    let random: any RandomSource

    /// Nothing outside the secret changes (the random password): the service moves AWSCURRENT as
    /// it completes the rotation.
    var leavesFinishToTheService: Bool { !target.hasTarget }

    func invoke(_ invocation: RotationInvocation) async throws {
        guard let scope = invocation.scope else { throw RotationFailure("SecretId is not an ARN") }
        let arn = invocation.secretARN
        let token = invocation.clientRequestToken
        let secret = try await secrets.describeSecret(secretID: arn, in: scope)
        guard let version = secret.version(id: token) else {
            throw RotationFailure("Secret version \(token) has no stage for rotation of secret \(arn).")
        }
        if version.stages.contains(StagingLabel.current), invocation.step != .testSecret { return }
        guard version.stages.contains(StagingLabel.pending) else {
            throw RotationFailure("Secret version \(token) not set as AWSPENDING for rotation of secret \(arn).")
        }
        switch invocation.step {
        case .createSecret:
            if version.isPendingStub != true { return }
            let current = try await value(arn, stage: StagingLabel.current, scope)
            var options = PasswordOptions()
            options.length = spec.passwordLength
            options.excludePunctuation = spec.excludePunctuation
            options.excludeCharacters = spec.excludeCharacters ?? ":/@\"'\\"
            let password = try PasswordGenerator.generate(options, random: random)
            let pending = try await target.newValue(from: current, password: password, secretARN: arn)
            _ = try await audited("PutSecretValue") {
                try await secrets.putSecretValue(
                    PutSecretValueInput(secretID: arn, clientRequestToken: token, value: pending, versionStages: [StagingLabel.pending]), in: scope)
            }
        case .setSecret:
            guard target.hasTarget else { return }
            let pending = try await value(arn, versionID: token, scope)
            let current = try await value(arn, stage: StagingLabel.current, scope)
            let previous = try? await value(arn, stage: StagingLabel.previous, scope)
            try await target.apply(pending: pending, current: current, previous: previous)
        case .testSecret:
            guard target.hasTarget else { return }
            try await target.test(pending: try await value(arn, versionID: token, scope))
        case .finishSecret:
            if leavesFinishToTheService { return }
            let current = secret.version(stage: StagingLabel.current)?.versionID
            if current == token { return }
            let old = current == nil || !target.hasTarget ? nil : try await value(arn, stage: StagingLabel.current, scope)
            _ = try await audited("UpdateSecretVersionStage") {
                try await secrets.updateSecretVersionStage(secretID: arn, stage: StagingLabel.current, moveTo: token, removeFrom: current, in: scope)
            }
            if let old {
                try await target.retire(old, new: try await value(arn, versionID: token, stage: StagingLabel.current, scope), secretARN: arn)
            }
        }
    }

    /// A built-in runs inside Coffer, not under a role session: its changes are recorded as
    /// Secrets Manager's own, named by the operation, and committed with the change.
    private func audited<T: Sendable>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let scope = ServiceEvents.scope(source: "secretsmanager.amazonaws.com", random: random, time: { Date() }) { change in
            change.kind == Secret.kind ? operation : nil
        }
        return try await AuditScope.$current.withValue(scope) { try await body() }
    }

    private func value(_ arn: String, stage: String, _ scope: ResourceScope) async throws -> SecretValue {
        try await secrets.getSecretValue(secretID: arn, versionID: nil, versionStage: stage, in: scope, recordingAccess: false).value
    }

    private func value(_ arn: String, versionID: String, stage: String = StagingLabel.pending, _ scope: ResourceScope) async throws -> SecretValue {
        try await secrets.getSecretValue(secretID: arn, versionID: versionID, versionStage: stage, in: scope, recordingAccess: false).value
    }
}

/// The secret's JSON `password` member, or the whole string when it is not a JSON object,
/// replaced by a new random password. Nothing outside the secret changes.
struct RandomPasswordTarget: RotationTarget {
    var hasTarget: Bool { false }
    func newValue(from current: SecretValue, password: String, secretARN: String) async throws -> SecretValue {
        try SecretJSON.replacingPassword(in: current, with: password)
    }
    func apply(pending: SecretValue, current: SecretValue, previous: SecretValue?) async throws {}
    func test(pending: SecretValue) async throws {}
}

/// Reading and changing a secret's JSON members without ever putting the value in an error.
enum SecretJSON {
    static func object(_ value: SecretValue) -> JSONObject? {
        guard case .string(let text) = value, case .object(let object)? = try? JSONParser.parse(Array(text.utf8)) else { return nil }
        return object
    }

    static func replacingPassword(in current: SecretValue, with password: String) throws -> SecretValue {
        guard case .string(let text) = current else { throw RotationFailure("a binary secret cannot be rotated to a new password") }
        guard var object = object(current) else {
            // Not JSON: the whole string is the password.
            _ = text
            return .string(password)
        }
        object["password"] = .string(password)
        return .string(String(decoding: JSONWriter.bytes(.object(object)), as: UTF8.self))
    }

    static func string(_ object: JSONObject, _ key: String) -> String? {
        switch object[key] {
        case .string(let s)?: s
        case .number(let n)?: n == n.rounded() ? String(Int(n)) : String(n)
        default: nil
        }
    }
}

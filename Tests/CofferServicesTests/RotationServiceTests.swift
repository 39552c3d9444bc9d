import CofferCore
import CofferServices
import CofferStorage
import Foundation
import Synchronization
import Testing

/// A rotation function in process: the generic template's createSecret and finishSecret, failing
/// at a chosen step, counting its invocations.
final class TemplateFunction: RotationFunction, RotationFunctionDirectory {
    let secrets: SecretsManagerService
    let scope: ResourceScope
    let failAt = Mutex<RotationStep?>(nil)
    let calls = Mutex<[RotationStep]>([])

    init(secrets: SecretsManagerService, scope: ResourceScope) {
        self.secrets = secrets
        self.scope = scope
    }

    func function(arn: String) -> (any RotationFunction)? { LambdaARN.functionName(arn) == "template" ? self : nil }

    func invoke(_ invocation: RotationInvocation) async throws {
        calls.withLock { $0.append(invocation.step) }
        if failAt.withLock({ $0 }) == invocation.step { throw RotationFailure("injected") }
        let token = invocation.clientRequestToken
        switch invocation.step {
        case .createSecret:
            _ = try await secrets.putSecretValue(PutSecretValueInput(secretID: invocation.secretARN, clientRequestToken: token,
                                                                     value: .string("new-\(token)"), versionStages: ["AWSPENDING"]), in: scope)
        case .finishSecret:
            let secret = try await secrets.describeSecret(secretID: invocation.secretARN, in: scope)
            let current = secret.version(stage: "AWSCURRENT")?.versionID
            _ = try await secrets.updateSecretVersionStage(secretID: invocation.secretARN, stage: "AWSCURRENT", moveTo: token,
                                                           removeFrom: current, in: scope)
        default:
            break
        }
    }
}

@Suite struct RotationServiceTests {
    let scope = ResourceScope(account: "123456789012", region: "us-east-1")
    let clock = ManualClock()
    let store = MemoryStore()
    let root = RootKey.generate(random: SystemRandomSource())
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:template"

    func make() -> (SecretsManagerService, RotationService, TemplateFunction) {
        let kms = KMSService(store: store, root: root, clock: clock, random: SystemRandomSource())
        let secrets = SecretsManagerService(store: store, keyring: KMSKeyring(kms: kms, root: root), clock: clock, random: SystemRandomSource())
        let function = TemplateFunction(secrets: secrets, scope: scope)
        return (secrets, RotationService(secrets: secrets, store: store, functions: function, clock: clock, random: SystemRandomSource()), function)
    }

    func token() -> String { UUID().uuidString.lowercased() }

    @Test func scheduledRotationRunsOnceHoweverManyWindowsWereMissed() async throws {
        let (secrets, rotation, function) = make()
        _ = try await secrets.createSecret(CreateSecretInput(name: "s", value: .string("v0")), in: scope)
        let test = try await rotation.rotateSecret(RotateSecretInput(secretID: "s", clientRequestToken: token(), lambdaARN: arn,
                                                                     rules: RotationRules(automaticallyAfterDays: 1), rotateImmediately: false), in: scope)
        #expect(await rotation.runAccepted(test))
        #expect(function.calls.withLock { $0 } == [.testSecret])
        #expect(try await rotation.runDue() == 0)
        clock.advance(days: 10)
        #expect(try await rotation.runDue() == 1)
        #expect(try await rotation.runDue() == 0)
        let secret = try await secrets.describeSecret(secretID: "s", in: scope)
        #expect(secret.lastRotatedDate == clock.now())
        #expect(secret.rotation?.nextRotationDate == CivilDate(clock.now()).adding(days: 2).start.addingTimeInterval(-1))
        #expect(function.calls.withLock { $0 } == [.testSecret, .createSecret, .setSecret, .testSecret, .finishSecret])
        #expect(try await secrets.getSecretValue(secretID: "s", versionID: nil, versionStage: nil, in: scope).value != .string("v0"))
    }

    @Test func aManualChangeRestartsTheCount() async throws {
        let (secrets, rotation, _) = make()
        _ = try await secrets.createSecret(CreateSecretInput(name: "s", value: .string("v0")), in: scope)
        let accepted = try await rotation.rotateSecret(RotateSecretInput(secretID: "s", clientRequestToken: token(), lambdaARN: arn,
                                                                         rules: RotationRules(automaticallyAfterDays: 30)), in: scope)
        #expect(try await rotation.runDue() == 0)  // claimed by the call that accepted it
        #expect(await rotation.runAccepted(accepted))
        clock.advance(days: 10)
        _ = try await secrets.putSecretValue(PutSecretValueInput(secretID: "s", value: .string("by hand")), in: scope)
        let secret = try await secrets.describeSecret(secretID: "s", in: scope)
        #expect(secret.rotation?.nextRotationDate == CivilDate(clock.now()).adding(days: 31).start.addingTimeInterval(-1))
        #expect(secret.lastRotatedDate == clock.now().addingTimeInterval(-10 * 86_400))
    }

    @Test func aFailedStepIsRetriedAfterItsBackoff() async throws {
        let (secrets, rotation, function) = make()
        _ = try await secrets.createSecret(CreateSecretInput(name: "s", value: .string("v0")), in: scope)
        function.failAt.withLock { $0 = .setSecret }
        let started = try await rotation.rotateSecret(RotateSecretInput(secretID: "s", clientRequestToken: token(), lambdaARN: arn), in: scope)
        #expect(await rotation.runAccepted(started))
        var secret = try await secrets.describeSecret(secretID: "s", in: scope)
        #expect(secret.rotationJob?.attempts == 1 && secret.rotationJob?.failedStep == .setSecret)
        #expect(secret.rotationJob?.nextAttempt == clock.now().addingTimeInterval(60))
        #expect(secret.version(stage: "AWSCURRENT")?.versionID != started.versionID)
        #expect(try await rotation.runDue() == 0)  // not due before the backoff
        function.failAt.withLock { $0 = nil }
        clock.advance(days: 61.0 / 86_400)
        #expect(try await rotation.runDue() == 1)
        secret = try await secrets.describeSecret(secretID: "s", in: scope)
        #expect(secret.version(stage: "AWSCURRENT")?.versionID == started.versionID)
        #expect(secret.rotationJob == nil && secret.version(stage: "AWSPENDING") == nil)
    }

    @Test func cancelStopsTheRunnerAndKeepsTheLabels() async throws {
        let (secrets, rotation, function) = make()
        _ = try await secrets.createSecret(CreateSecretInput(name: "s", value: .string("v0")), in: scope)
        let started = try await rotation.rotateSecret(RotateSecretInput(secretID: "s", clientRequestToken: token(), lambdaARN: arn), in: scope)
        let cancelled = try await rotation.cancelRotateSecret(secretID: "s", in: scope)
        #expect(cancelled.versionID == started.versionID)
        #expect(try await rotation.runDue() == 0)
        #expect(function.calls.withLock { $0 }.isEmpty)
        let secret = try await secrets.describeSecret(secretID: "s", in: scope)
        #expect(secret.version(id: started.versionID)?.stages == ["AWSPENDING"])
        #expect(secret.rotation?.enabled == false && secret.rotation?.nextRotationDate == nil)
    }
}

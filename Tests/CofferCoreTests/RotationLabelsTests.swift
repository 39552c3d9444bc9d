import CofferCore
import Foundation
import Testing

@Suite struct RotationLabelsTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func secret() -> Secret {
        var secret = Secret(arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf", name: "s", createdDate: now)
        secret = VersionStages.addVersion(SecretVersion(versionID: "p", stages: ["AWSCURRENT"], createdDate: now, isString: true, valueDigest: "1"), to: secret)
        secret = VersionStages.addVersion(SecretVersion(versionID: "c", stages: ["AWSCURRENT"], createdDate: now, isString: true, valueDigest: "2"), to: secret)
        var rotation = RotationConfiguration(enabled: true, lambdaARN: "arn:aws:lambda:us-east-1:123456789012:function:f",
                                             rules: RotationRules(automaticallyAfterDays: 30), anchor: now)
        rotation.reschedule(from: now, key: secret.arn)
        secret.rotation = rotation
        return secret
    }

    func started(_ base: Secret) -> Secret {
        var s = RotationLabels.addPendingStub(token: "n", to: base, now: now)
        s.rotationJob = RotationJob(token: "n", rotationToken: "t", lambdaARN: base.rotation!.lambdaARN, testOnly: false, now: now)
        return s
    }

    @Test func startAddsAnEmptyPendingVersionAndBlocksAnother() {
        let s = started(secret())
        #expect(s.version(id: "n")?.stages == ["AWSPENDING"])
        #expect(s.version(id: "n")?.isPendingStub == true)
        #expect(s.version(stage: "AWSCURRENT")?.versionID == "c")
        #expect(RotationLabels.hasUnfinishedRotation(s))
        #expect(RotationLabels.dueDate(s) == now)
    }

    @Test func pendingOnTheCurrentVersionIsNotUnfinished() throws {
        var s = secret()
        s = try VersionStages.update(s, label: "AWSPENDING", moveTo: "c", removeFrom: nil)
        #expect(!RotationLabels.hasUnfinishedRotation(s))
    }

    @Test func successMovesCurrentThenCleansPendingAndReschedules() throws {
        var s = started(secret())
        #expect(!RotationLabels.finished(s, token: "n"))
        s = try VersionStages.update(s, label: "AWSCURRENT", moveTo: "n", removeFrom: "c")
        #expect(RotationLabels.finished(s, token: "n"))
        let later = now.addingTimeInterval(86_400 * 3)
        let done = RotationLabels.complete(s, now: later)
        #expect(done.version(id: "n")?.stages == ["AWSCURRENT"])
        #expect(done.version(id: "c")?.stages == ["AWSPREVIOUS"])
        #expect(done.version(id: "p")?.stages == [])
        #expect(done.rotationJob == nil)
        #expect(done.lastRotatedDate == later)
        #expect(done.rotation?.nextRotationDate == CivilDate(later).adding(days: 31).start.addingTimeInterval(-1))
        #expect(RotationLabels.dueDate(done) == done.rotation?.scheduledStart)
    }

    @Test func failureKeepsTheLabelsAndBacksOff() {
        let s = started(secret())
        // A failure changes only the job (the service records it); labels stay as they were.
        #expect(s.version(stage: "AWSCURRENT")?.versionID == "c")
        #expect(s.version(stage: "AWSPENDING")?.versionID == "n")
        #expect(RotationJob.retryDelay(afterAttempts: 1) == 60)
        #expect(RotationJob.retryDelay(afterAttempts: 3) == 240)
        #expect(RotationJob.retryDelay(afterAttempts: 40) == 3600)
        // Filling the stub at createSecret keeps AWSPENDING where it is.
        let filled = VersionStages.addVersion(
            SecretVersion(versionID: "n2", stages: ["AWSPENDING"], createdDate: now, isString: true, valueDigest: "3"), to: s)
        #expect(filled.version(stage: "AWSCURRENT")?.versionID == "c")
    }

    @Test func abandonRemovesPendingAndTheEmptyStub() {
        let s = RotationLabels.abandon(started(secret()))
        #expect(s.version(id: "n") == nil)
        #expect(s.version(stage: "AWSPENDING") == nil)
        #expect(s.rotationJob == nil)
        #expect(s.version(stage: "AWSCURRENT")?.versionID == "c")
    }

    @Test func aTestRotationRemovesItsCopy() {
        var s = secret()
        s = VersionStages.addVersion(SecretVersion(versionID: "t", stages: ["AWSPENDING"], createdDate: now, isString: true, valueDigest: "2"), to: s)
        s = RotationLabels.endTest(s, token: "t")
        #expect(s.version(id: "t") == nil)
        #expect(s.version(stage: "AWSCURRENT")?.versionID == "c")
    }

    @Test func deletionAndDisabledRotationAreNeverDue() {
        var s = secret()
        #expect(RotationLabels.dueDate(s) != nil)
        s.rotation?.enabled = false
        #expect(RotationLabels.dueDate(s) == nil)
        var deleted = started(secret())
        deleted.deletedDate = now
        #expect(RotationLabels.dueDate(deleted) == nil)
    }

    @Test func stepsRunInTheContractsOrder() {
        #expect(RotationJob.retryDelay(afterAttempts: 0) == 60)
        #expect(RotationStep.createSecret.next == .setSecret && RotationStep.setSecret.next == .testSecret)
        #expect(RotationStep.testSecret.next == .finishSecret && RotationStep.finishSecret.next == nil)
    }
}

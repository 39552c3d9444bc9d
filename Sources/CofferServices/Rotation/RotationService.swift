public import CofferCore
public import CofferStorage
import Foundation

/// RotateSecret's request, in domain terms.
public struct RotateSecretInput: Sendable {
    public var secretID: String
    public var clientRequestToken: String?
    public var lambdaARN: String?
    public var rules: RotationRules?
    public var rotateImmediately: Bool
    public init(secretID: String, clientRequestToken: String?, lambdaARN: String? = nil, rules: RotationRules? = nil, rotateImmediately: Bool = true) {
        self.secretID = secretID
        self.clientRequestToken = clientRequestToken
        self.lambdaARN = lambdaARN
        self.rules = rules
        self.rotateImmediately = rotateImmediately
    }
}

/// Secrets Manager's rotation: RotateSecret and CancelRotateSecret, and the runner that takes due
/// rotations through the four steps. Every piece of state lives in the secret's record, so a
/// rotation commits with its label moves and resumes after a restart, and a runner claims a
/// rotation by a conditional write (safe with several runners on one database).
public struct RotationService: Sendable {
    let secrets: SecretsManagerService
    let store: any CofferStore
    let functions: any RotationFunctionDirectory
    let clock: any WallClock
    let random: any RandomSource
    let events: RotationEvents
    /// How long a runner holds a claimed rotation before another may take it over.
    let leaseSeconds: Double
    let onFailure: @Sendable (_ secretARN: String, _ step: RotationStep, _ message: String) -> Void
    /// Told of each rotation that finished (for the metrics).
    let onSuccess: @Sendable (_ secretARN: String) -> Void

    public init(secrets: SecretsManagerService, store: any CofferStore, functions: any RotationFunctionDirectory, clock: any WallClock,
                random: any RandomSource, leaseSeconds: Double = 600,
                onSuccess: @escaping @Sendable (_ secretARN: String) -> Void = { _ in },
                onFailure: @escaping @Sendable (_ secretARN: String, _ step: RotationStep, _ message: String) -> Void = { _, _, _ in }) {
        self.secrets = secrets
        self.store = store
        self.functions = functions
        self.clock = clock
        self.random = random
        self.events = RotationEvents(random: random, clock: clock)
        self.leaseSeconds = leaseSeconds
        self.onFailure = onFailure
        self.onSuccess = onSuccess
    }

    static let cannotInvoke = CofferError(.accessDenied, "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.")

    // MARK: API

    /// What RotateSecret accepted: the answer, and the job this node claimed to run at once
    /// (``runAccepted(_:)``); nil when the call only replayed a rotation already under way.
    public struct Accepted: Sendable {
        public let secret: Secret
        public let versionID: String
        public let job: RotationJob?
    }

    /// Validates in AWS's order, then in one write: the configuration, the empty AWSPENDING
    /// version whose id is the token, and the job, claimed by this node, with RotationStarted. The
    /// steps run in the background (``runAccepted(_:)``); if this node dies first, the claim runs
    /// out and another run takes the job.
    public func rotateSecret(_ input: RotateSecretInput, in scope: ResourceScope) async throws -> Accepted {
        guard let token = input.clientRequestToken else {
            throw CofferError.invalidParameter("You must provide a ClientRequestToken value. We recommend a UUID-type value.")
        }
        if let rules = input.rules { _ = try RotationSchedule(rules) }
        return try await secrets.mutate {
            let secret = try await secrets.requireWritable(input.secretID, in: scope)
            if let job = secret.rotationJob, job.token == token, !job.testOnly { return Accepted(secret: secret, versionID: token, job: nil) }
            guard let lambdaARN = input.lambdaARN ?? secret.rotation?.lambdaARN else {
                throw CofferError.invalidRequest("No Lambda rotation function ARN is associated with this secret.")
            }
            if RotationLabels.hasUnfinishedRotation(secret) || secret.rotationJob != nil { throw RotationLabels.inProgress }
            if secret.version(id: token) != nil {
                throw CofferError(.resourceExists, "You can't use ClientRequestToken \(token) because that value is already in use for a version of secret \(secret.arn).")
            }
            guard LambdaARN.functionName(lambdaARN) != nil, functions.function(arn: lambdaARN) != nil else { throw Self.cannotInvoke }
            let now = clock.now()
            var updated = secret
            let rules = input.rules ?? secret.rotation?.rules
            var configuration = RotationConfiguration(enabled: true, lambdaARN: lambdaARN, rules: rules, anchor: now)
            if let previous = secret.rotation, previous.enabled, previous.rules == rules { configuration.anchor = previous.anchor }
            configuration.reschedule(from: configuration.anchor, key: secret.arn)
            updated.rotation = configuration
            var job = RotationJob(token: token, rotationToken: random.uuidString(), lambdaARN: lambdaARN, testOnly: !input.rotateImmediately,
                                  now: now)
            var newValues: [(versionID: String, sealed: [UInt8])] = []
            if input.rotateImmediately {
                updated = RotationLabels.addPendingStub(token: token, to: updated, now: now)
            } else {
                // The test runs testSecret against a copy of AWSCURRENT labelled AWSPENDING, removed afterwards.
                guard let current = secret.version(stage: StagingLabel.current),
                    let sealed = try await store.sealedValue(arn: secret.arn, versionID: current.versionID)
                else {
                    throw CofferError.invalidRequest("You can't test the rotation of a secret that has no AWSCURRENT value.")
                }
                let copy = try await secrets.reseal(sealed, of: secret, from: current.versionID, to: token, in: scope)
                var version = current
                version.versionID = token
                version.stages = [StagingLabel.pending]
                version.createdDate = now
                version.lastAccessedDate = nil
                updated = VersionStages.addVersion(version, to: updated)
                newValues.append((token, copy))
                job.step = .testSecret
            }
            job.nextAttempt = lease(from: now)
            updated.rotationJob = job
            updated.revision += 1
            updated.lastChangedDate = now
            var write = RecordWrite(.update(expectedRevision: secret.revision), scope: scope, record: updated, newValues: newValues,
                                    removedVersionIDs: VersionStages.removedVersionIDs(before: secret, after: updated))
            if let event = events.record(job.testOnly ? "TestRotationStarted" : "RotationStarted", secret: updated, job: job) {
                write.alsoRecord.append(event)
            }
            try await store.write(write)
            return Accepted(secret: updated, versionID: token, job: job)
        }
    }

    /// Runs the steps of a rotation RotateSecret accepted and claimed.
    @discardableResult
    public func runAccepted(_ accepted: Accepted) async -> Bool {
        guard let job = accepted.job, let scope = ARN(accepted.secret.arn).map({ ResourceScope(account: $0.account, region: $0.region) })
        else { return false }
        return (try? await execute(arn: accepted.secret.arn, scope: scope, job: job)) ?? false
    }

    /// Turns rotation off and stops a rotation under way, leaving the labels where they are (as
    /// AWS does); the answer names the version that rotation was making.
    public func cancelRotateSecret(secretID: String, in scope: ResourceScope) async throws -> (secret: Secret, versionID: String?) {
        try await secrets.mutate {
            let secret = try await secrets.requireWritable(secretID, in: scope)
            guard secret.rotation != nil else {
                throw CofferError.invalidRequest("You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.")
            }
            var updated = secret
            updated.rotation?.enabled = false
            updated.rotation?.reschedule(from: secret.rotation!.anchor, key: secret.arn)
            let pending = secret.version(stage: StagingLabel.pending).flatMap { $0.stages.contains(StagingLabel.current) ? nil : $0.versionID }
            updated.rotationJob = nil
            updated.revision += 1
            updated.lastChangedDate = clock.now()
            try await store.write(RecordWrite(.update(expectedRevision: secret.revision), scope: scope, record: updated))
            return (updated, pending ?? secret.rotationJob?.token)
        }
    }

    // MARK: Runner

    /// Starts or resumes every rotation due now (at most `limit`), running up to `concurrency` at
    /// once; returns how many it ran. The due ones are found through the store's index.
    @discardableResult
    public func runDue(limit: Int = 256, concurrency: Int = 8) async throws -> Int {
        let due = try await store.recordsDue(kind: Secret.kind, at: clock.now(), limit: limit)
        guard !due.isEmpty else { return 0 }
        return await withTaskGroup(of: Bool.self) { group in
            var ran = 0
            var iterator = due.makeIterator()
            for _ in 0..<min(concurrency, due.count) {
                if let arn = iterator.next() { group.addTask { (try? await self.run(arn: arn)) ?? false } }
            }
            while let result = await group.next() {
                if result { ran += 1 }
                if let arn = iterator.next() { group.addTask { (try? await self.run(arn: arn)) ?? false } }
            }
            return ran
        }
    }

    struct NotDue: Error {}

    /// Claims the secret's due rotation (starting a scheduled one), runs its remaining steps, and
    /// records the outcome. False when nothing was due or another runner holds it.
    @discardableResult
    public func run(arn: String) async throws -> Bool {
        guard let scope = ARN(arn).map({ ResourceScope(account: $0.account, region: $0.region) }) else { return false }
        let claimed: (secret: Secret, job: RotationJob)
        do {
            claimed = try await claim(arn: arn, scope: scope)
        } catch is NotDue {
            return false
        }
        return try await execute(arn: arn, scope: scope, job: claimed.job)
    }

    private func execute(arn: String, scope: ResourceScope, job claimed: RotationJob) async throws -> Bool {
        var job = claimed
        guard let function = functions.function(arn: job.lambdaARN) else {
            try await fail(arn: arn, scope: scope, job: job, step: job.step, message: "Error when executing lambda \(job.lambdaARN) during \(job.step.rawValue) step: the function is not registered with Coffer")
            return true
        }
        while true {
            let step = job.step
            do {
                try await function.invoke(RotationInvocation(step: step, secretARN: arn, clientRequestToken: job.token, rotationToken: job.rotationToken))
            } catch {
                let reason = (error as? RotationFailure)?.message ?? "the function failed"
                try await fail(arn: arn, scope: scope, job: job, step: step,
                               message: "Error when executing lambda \(job.lambdaARN) during \(step.rawValue) step: \(reason)")
                return true
            }
            let isLast = job.testOnly ? step == .testSecret : step == .finishSecret
            if isLast { return try await finish(arn: arn, scope: scope, job: job, movesCurrent: function.leavesFinishToTheService) }
            guard let next = step.next else { return true }
            job.step = next
            // Steps are idempotent, so a runner that dies between them is resumed from the step it
            // last recorded; recording each step costs a durable write, so it is done only when
            // the lease needs extending (slow functions), not for every step of a fast one.
            if job.nextAttempt.timeIntervalSince(clock.now()) < leaseSeconds / 2 {
                guard let advanced = try await advance(arn: arn, scope: scope, job: job) else { return true }
                job = advanced
            }
        }
    }

    private func lease(from now: Date) -> Date { now.addingTimeInterval(leaseSeconds) }

    private func claim(arn: String, scope: ResourceScope) async throws -> (secret: Secret, job: RotationJob) {
        try await retryingOnConflict {
            guard let secret = try await store.record(Secret.self, arn: arn), !secret.isScheduledForDeletion else { throw NotDue() }
            let now = clock.now()
            var updated = secret
            var job: RotationJob
            var event: String?
            if let existing = secret.rotationJob {
                // A retry, or a rotation whose runner died: its start was recorded when it began.
                guard existing.nextAttempt <= now else { throw NotDue() }
                job = existing
            } else {
                // A scheduled rotation: start it now, once, however many windows were missed.
                guard let rotation = secret.rotation, rotation.enabled, let start = rotation.scheduledStart, start <= now,
                    !RotationLabels.hasUnfinishedRotation(secret)
                else { throw NotDue() }
                let token = random.uuidString()
                job = RotationJob(token: token, rotationToken: random.uuidString(), lambdaARN: rotation.lambdaARN, testOnly: false, now: now)
                updated = RotationLabels.addPendingStub(token: token, to: updated, now: now)
                updated.lastChangedDate = now
                event = "RotationStarted"
            }
            job.nextAttempt = lease(from: now)
            updated.rotationJob = job
            updated.revision += 1
            let audit = event.flatMap { events.record($0, secret: updated, job: job) }
            try await store.write(RecordWrite(.update(expectedRevision: secret.revision), scope: scope, record: updated, audit: audit))
            return (updated, job)
        }
    }

    /// Records a finished step; nil when the rotation was cancelled or abandoned meanwhile.
    private func advance(arn: String, scope: ResourceScope, job: RotationJob) async throws -> RotationJob? {
        try await retryingOnConflict {
            guard let secret = try await store.record(Secret.self, arn: arn), var current = secret.rotationJob, current.token == job.token
            else { return nil }
            current.step = job.step
            current.nextAttempt = lease(from: clock.now())
            var updated = secret
            updated.rotationJob = current
            updated.revision += 1
            try await store.write(RecordWrite(.update(expectedRevision: secret.revision), scope: scope, record: updated))
            return current
        }
    }

    /// After the last step: AWSCURRENT must be on the new version (finishSecret moves it, or, for a
    /// function that leaves it to the service, this write does); then the service cleans AWSPENDING
    /// up, sets LastRotatedDate and schedules the next rotation, all in one write.
    private func finish(arn: String, scope: ResourceScope, job: RotationJob, movesCurrent: Bool) async throws -> Bool {
        let outcome: Bool? = try await retryingOnConflict {
            guard let secret = try await store.record(Secret.self, arn: arn), let current = secret.rotationJob, current.token == job.token else {
                return nil
            }
            let now = clock.now()
            var updated: Secret
            let event: String
            if job.testOnly {
                updated = RotationLabels.endTest(secret, token: job.token)
                event = "TestRotationSucceeded"
            } else {
                var moved = secret
                if movesCurrent, !RotationLabels.finished(secret, token: job.token) {
                    moved = try VersionStages.update(secret, label: StagingLabel.current, moveTo: job.token,
                                                     removeFrom: secret.version(stage: StagingLabel.current)?.versionID)
                }
                guard RotationLabels.finished(moved, token: job.token) else { return false }
                updated = RotationLabels.complete(moved, now: now)
                event = "RotationSucceeded"
            }
            updated.revision += 1
            updated.lastChangedDate = now
            try await store.write(RecordWrite(.update(expectedRevision: secret.revision), scope: scope, record: updated,
                                              removedVersionIDs: VersionStages.removedVersionIDs(before: secret, after: updated),
                                              audit: events.record(event, secret: updated, job: job)))
            return true
        }
        if outcome == true { onSuccess(arn) }
        if outcome == false {
            try await fail(arn: arn, scope: scope, job: job, step: .finishSecret,
                           message: "Error when executing lambda \(job.lambdaARN) during finishSecret step: AWSCURRENT was not moved to version \(job.token)")
        }
        // Replicas follow the rotated value.
        if outcome == true, let rotated = try await store.record(Secret.self, arn: arn) { try await secrets.syncReplicas(of: rotated, in: scope) }
        return true
    }

    /// A failed step leaves AWSCURRENT where it is and AWSPENDING where it is, records why, and
    /// retries the whole rotation later. A failed test rotation ends instead.
    private func fail(arn: String, scope: ResourceScope, job: RotationJob, step: RotationStep, message: String) async throws {
        let recorded: Bool = try await retryingOnConflict {
            guard let secret = try await store.record(Secret.self, arn: arn), var current = secret.rotationJob, current.token == job.token else {
                return false
            }
            let now = clock.now()
            var updated = secret
            let event: String
            if job.testOnly {
                updated = RotationLabels.endTest(secret, token: job.token)
                event = "TestRotationFailed"
            } else {
                current.attempts += 1
                current.failedStep = step
                current.lastError = message
                current.step = .createSecret
                current.rotationToken = random.uuidString()
                current.nextAttempt = now.addingTimeInterval(RotationJob.retryDelay(afterAttempts: current.attempts))
                updated.rotationJob = current
                event = "RotationFailed"
            }
            updated.revision += 1
            try await store.write(RecordWrite(.update(expectedRevision: secret.revision), scope: scope, record: updated,
                                              removedVersionIDs: VersionStages.removedVersionIDs(before: secret, after: updated),
                                              audit: events.record(event, secret: updated, job: job, errorMessage: message)))
            return true
        }
        if recorded { onFailure(arn, step, message) }
    }
}

public import struct Foundation.Date

/// The four steps of the rotation contract, named as the Lambda event names them.
public enum RotationStep: String, Sendable, Codable, CaseIterable {
    case createSecret, setSecret, testSecret, finishSecret

    public var next: RotationStep? {
        switch self {
        case .createSecret: .setSecret
        case .setSecret: .testSecret
        case .testSecret: .finishSecret
        case .finishSecret: nil
        }
    }
}

/// A secret's rotation settings, kept after CancelRotateSecret (AWS still shows the function and
/// the rules) and reused when a later RotateSecret omits them.
public struct RotationConfiguration: Sendable, Codable, Equatable {
    public var enabled: Bool
    public var lambdaARN: String
    public var rules: RotationRules?
    /// What the schedule counts from: the last rotation, the last change of AWSCURRENT, or when
    /// rotation was turned on.
    public var anchor: Date
    /// The end of the next window; nil when rotation is off or has no schedule.
    public var nextRotationDate: Date?
    /// When the scheduler starts the next rotation (inside the window).
    public var scheduledStart: Date?
    /// AutomaticallyAfterDays computed from an expression, as AWS recomputes it when it schedules.
    public var computedDays: Int?

    public init(enabled: Bool, lambdaARN: String, rules: RotationRules?, anchor: Date) {
        self.enabled = enabled
        self.lambdaARN = lambdaARN
        self.rules = rules
        self.anchor = anchor
    }

    /// Recomputes the next window from `anchor`; `key` spreads the start within it.
    public mutating func reschedule(from anchor: Date, key: String) {
        self.anchor = anchor
        let schedule = rules.flatMap { try? RotationSchedule($0) }
        if rules?.scheduleExpression != nil { computedDays = schedule?.reportedDays(after: anchor) }
        guard enabled, let schedule, let window = schedule.window(after: anchor) else {
            nextRotationDate = nil
            scheduledStart = nil
            return
        }
        nextRotationDate = window.nextRotationDate
        scheduledStart = window.startTime(spreadBy: key)
    }

    /// RotationRules as DescribeSecret echoes them: the days alone when configured in days;
    /// otherwise the expression, the window and the days computed from the expression.
    public var reportedRules: RotationRules? {
        guard let rules else { return nil }
        if rules.scheduleExpression == nil { return rules }
        var echoed = rules
        echoed.automaticallyAfterDays = computedDays
        return echoed
    }
}

/// A rotation under way: which step runs next, how often it failed, and when to try again.
/// Kept in the secret's record so that it commits with the label moves and survives restarts.
public struct RotationJob: Sendable, Codable, Equatable {
    /// The ClientRequestToken: the id of the version being made.
    public var token: String
    /// Issued per attempt; the function passes it back on PutSecretValue.
    public var rotationToken: String
    public var lambdaARN: String
    public var step: RotationStep
    /// RotateImmediately=false: only testSecret runs, against a copy of AWSCURRENT.
    public var testOnly: Bool
    public var attempts: Int
    /// When the runner next takes the job; while a step runs it is the end of the runner's lease.
    public var nextAttempt: Date
    public var lastError: String?
    public var failedStep: RotationStep?

    public init(token: String, rotationToken: String, lambdaARN: String, testOnly: Bool, now: Date) {
        self.token = token
        self.rotationToken = rotationToken
        self.lambdaARN = lambdaARN
        self.step = testOnly ? .testSecret : .createSecret
        self.testOnly = testOnly
        self.attempts = 0
        self.nextAttempt = now
    }

    /// Failed rotations are retried after 1, 2, 4 ... minutes, at most an hour apart, until they
    /// succeed, are cancelled, or a new value abandons them.
    public static func retryDelay(afterAttempts attempts: Int) -> Double {
        min(3600, 60 * Double(1 << min(max(attempts - 1, 0), 6)))
    }
}

/// How a rotation moves staging labels and rotation state, as Secrets Manager moves them. Pure.
public enum RotationLabels {
    public static let inProgress = CofferError.invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.")

    /// Whether AWSPENDING sits on a version other than AWSCURRENT's (a rotation is unfinished).
    public static func hasUnfinishedRotation(_ secret: Secret) -> Bool {
        guard let pending = secret.version(stage: StagingLabel.pending) else { return false }
        return !pending.stages.contains(StagingLabel.current)
    }

    /// The empty version labelled AWSPENDING that a rotation starts with, whose id is the token.
    public static func addPendingStub(token: String, to secret: Secret, now: Date) -> Secret {
        var stub = SecretVersion(versionID: token, stages: [StagingLabel.pending], createdDate: now, isString: true, valueDigest: "")
        stub.isPendingStub = true
        return VersionStages.addVersion(stub, to: secret)
    }

    /// After finishSecret: true when AWSCURRENT is on the token's version.
    public static func finished(_ secret: Secret, token: String) -> Bool {
        secret.version(id: token)?.stages.contains(StagingLabel.current) ?? false
    }

    /// The service's own clean-up after a successful rotation: AWSPENDING off every version, the
    /// job gone, LastRotatedDate set and the schedule counted again from now.
    public static func complete(_ secret: Secret, now: Date) -> Secret {
        var secret = removingPending(secret)
        secret.rotationJob = nil
        secret.lastRotatedDate = now
        secret.rescheduleRotation(from: now)
        return secret
    }

    /// A test rotation (RotateImmediately=false) ends by removing its copy of AWSCURRENT.
    public static func endTest(_ secret: Secret, token: String) -> Secret {
        var secret = secret
        secret.versions.removeAll { $0.versionID == token && $0.stages.allSatisfy { $0 == StagingLabel.pending } }
        secret.rotationJob = nil
        return removingPending(secret)
    }

    /// A new AWSCURRENT written during a rotation abandons it: AWSPENDING is removed, and an
    /// empty stub with it.
    public static func abandon(_ secret: Secret) -> Secret {
        var secret = secret
        if let token = secret.rotationJob?.token {
            secret.versions.removeAll { $0.versionID == token && $0.isPendingStub == true }
        }
        secret.rotationJob = nil
        return removingPending(secret)
    }

    static func removingPending(_ secret: Secret) -> Secret {
        var secret = secret
        for index in secret.versions.indices { secret.versions[index].stages.removeAll { $0 == StagingLabel.pending } }
        return secret
    }

    /// When the scheduler must next look at the secret: a job's next attempt, else the next
    /// scheduled start; nil when there is nothing to do.
    public static func dueDate(_ secret: Secret) -> Date? {
        // A replica rotates when its primary does, by following it.
        if secret.isScheduledForDeletion || secret.isReplica { return nil }
        if let job = secret.rotationJob { return job.nextAttempt }
        guard let rotation = secret.rotation, rotation.enabled else { return nil }
        return rotation.scheduledStart
    }
}

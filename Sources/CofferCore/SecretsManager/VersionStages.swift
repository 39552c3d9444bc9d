import struct Foundation.Date

/// How staging labels move between versions, as Secrets Manager moves them. Pure: each function
/// takes a secret and returns it changed, or throws AWS's error.
public enum VersionStages {
    /// Secrets Manager keeps about 100 versions; beyond that it drops the oldest versions that carry
    /// no staging label.
    public static let maximumVersions = 100
    public static let maximumLabelsPerVersion = 20

    /// Adds a new version carrying `stages` (AWSCURRENT when the caller named none). Each label is
    /// taken from any version that had it; when AWSCURRENT moves, the version that had it becomes
    /// AWSPREVIOUS. A finished rotation leaves AWSPENDING beside AWSCURRENT on the version it made
    /// current; a new current version clears that leftover, as AWS does (recorded in LocalStack's
    /// AWS-validated snapshots: AWSCURRENT and AWSPENDING on one version, PutSecretValue, and that
    /// version holds AWSPREVIOUS alone).
    public static func addVersion(_ version: SecretVersion, to secret: Secret) -> Secret {
        // One copy of the version list, then changes in place: a secret holds up to 100 versions.
        var secret = secret
        let labels = version.stages
        if labels.contains(StagingLabel.current), !labels.contains(StagingLabel.pending),
            let current = secret.versions.lastIndex(where: { $0.stages.contains(StagingLabel.current) }),
            secret.versions[current].stages.contains(StagingLabel.pending)
        {
            secret.versions[current].stages.removeAll { $0 == StagingLabel.pending }
        }
        var newVersion = version
        newVersion.stages = []
        secret.versions.append(newVersion)
        for label in labels {
            attach(label, to: version.versionID, in: &secret)
        }
        prune(&secret)
        return secret
    }

    /// The labels a new version gets: the ones asked for, and AWSCURRENT on a secret's first version
    /// whatever was asked (a secret with a value always has a current version).
    public static func labels(_ requested: [String], forNewVersionOf secret: Secret) -> [String] {
        guard secret.versions.isEmpty, !requested.contains(StagingLabel.current) else { return requested }
        return requested + [StagingLabel.current]
    }

    /// UpdateSecretVersionStage: moves `label` to `moveTo`, removes it from `removeFrom`, or both.
    public static func update(
        _ secret: Secret, label: String, moveTo: String?, removeFrom: String?
    ) throws(CofferError) -> Secret {
        let holder = secret.version(stage: label)?.versionID
        if let removeFrom {
            guard secret.version(id: removeFrom) != nil else { throw .invalidParameter("Not a valid version: \(removeFrom)") }
            guard holder == removeFrom else {
                throw .invalidParameter("Version stage \(label) not found in version \(removeFrom)")
            }
        }
        if let moveTo, secret.version(id: moveTo) == nil {
            throw .invalidParameter("Not a valid version: \(moveTo)")
        }
        switch (moveTo, removeFrom) {
        case (nil, nil):
            throw .invalidParameter("You must specify either MoveToVersionId or RemoveFromVersionId.")
        case (let moveTo?, _):
            if let holder, holder != moveTo, removeFrom == nil {
                throw .invalidParameter("The parameter RemoveFromVersionId can't be empty. Staging label \(label) is currently attached to version \(holder), so you must explicitly reference that version in RemoveFromVersionId.")
            }
            if holder == moveTo { return secret }
            guard let target = secret.version(id: moveTo), target.stages.count < maximumLabelsPerVersion else {
                throw CofferError(.limitExceeded, "A version can have at most \(maximumLabelsPerVersion) staging labels.")
            }
            var moved = secret
            attach(label, to: moveTo, in: &moved)
            return moved
        case (nil, let removeFrom?):
            if label == StagingLabel.current {
                throw .invalidParameter("You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.")
            }
            var detached = secret
            if let index = detached.versions.firstIndex(where: { $0.versionID == removeFrom }) {
                detached.versions[index].stages.removeAll { $0 == label }
            }
            return detached
        }
    }

    /// Only versions that hold the label are written to: a write to each of 100 versions' label
    /// lists would copy every one of them.
    static func attach(_ label: String, to versionID: String, in secret: inout Secret) {
        var previousHolder: String?
        for index in secret.versions.indices where secret.versions[index].stages.contains(label) {
            previousHolder = previousHolder ?? secret.versions[index].versionID
            secret.versions[index].stages.removeAll { $0 == label }
        }
        // Ids are unique; the version named is usually the newest.
        let prefix = SecretVersion.idPrefix(versionID)
        if let index = secret.versions.lastIndex(where: { $0.hasID(versionID, prefix: prefix) }) {
            secret.versions[index].stages.append(label)
        }
        if label == StagingLabel.current, let previousHolder, previousHolder != versionID {
            attach(StagingLabel.previous, to: previousHolder, in: &secret)
        }
    }

    /// Drops the oldest unlabeled versions until at most ``maximumVersions`` remain.
    static func prune(_ secret: inout Secret) {
        while secret.versions.count > maximumVersions,
            let oldest = secret.versions.firstIndex(where: { $0.stages.isEmpty })
        {
            secret.versions.remove(at: oldest)
        }
    }

    /// The version ids that ``prune(_:)`` removed, so storage can drop their sealed values too.
    /// Versions keep their order, so one walk of both lists finds them; only ids left unmatched are
    /// looked up among the versions after the matched ones (a version taken out and added again).
    public static func removedVersionIDs(before: Secret?, after: Secret) -> [String] {
        guard let before else { return [] }
        var unmatched: [String] = []
        var next = after.versions.startIndex
        for version in before.versions {
            // A version the change left alone is the very same value: no need to read its id.
            if next < after.versions.endIndex, after.versions[next] == version || after.versions[next].versionID == version.versionID {
                next += 1
            } else {
                unmatched.append(version.versionID)
            }
        }
        guard !unmatched.isEmpty else { return [] }
        let rest = after.versions[next...]
        return unmatched.filter { id in !rest.contains { $0.versionID == id } }
    }
}

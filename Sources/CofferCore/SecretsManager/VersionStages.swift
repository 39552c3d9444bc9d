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
    /// AWSPREVIOUS.
    public static func addVersion(_ version: SecretVersion, to secret: Secret) -> Secret {
        var secret = secret
        let labels = version.stages
        var newVersion = version
        newVersion.stages = []
        secret.versions.append(newVersion)
        for label in labels {
            secret = attach(label, to: version.versionID, in: secret)
        }
        return prune(secret)
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
            return attach(label, to: moveTo, in: secret)
        case (nil, let removeFrom?):
            if label == StagingLabel.current {
                throw .invalidParameter("You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.")
            }
            return detach(label, from: removeFrom, in: secret)
        }
    }

    static func attach(_ label: String, to versionID: String, in secret: Secret) -> Secret {
        var secret = secret
        let previousHolder = secret.version(stage: label)?.versionID
        for index in secret.versions.indices {
            secret.versions[index].stages.removeAll { $0 == label }
        }
        if let index = secret.versions.firstIndex(where: { $0.versionID == versionID }) {
            secret.versions[index].stages.append(label)
        }
        if label == StagingLabel.current, let previousHolder, previousHolder != versionID {
            secret = attach(StagingLabel.previous, to: previousHolder, in: secret)
        }
        return secret
    }

    static func detach(_ label: String, from versionID: String, in secret: Secret) -> Secret {
        var secret = secret
        if let index = secret.versions.firstIndex(where: { $0.versionID == versionID }) {
            secret.versions[index].stages.removeAll { $0 == label }
        }
        return secret
    }

    /// Drops the oldest unlabeled versions until at most ``maximumVersions`` remain.
    static func prune(_ secret: Secret) -> Secret {
        var secret = secret
        while secret.versions.count > maximumVersions,
            let oldest = secret.versions.firstIndex(where: { $0.stages.isEmpty })
        {
            secret.versions.remove(at: oldest)
        }
        return secret
    }

    /// The version ids that ``prune(_:)`` removed, so storage can drop their sealed values too.
    public static func removedVersionIDs(before: Secret?, after: Secret) -> [String] {
        guard let before else { return [] }
        let kept = Set(after.versions.map(\.versionID))
        return before.versions.map(\.versionID).filter { !kept.contains($0) }
    }
}

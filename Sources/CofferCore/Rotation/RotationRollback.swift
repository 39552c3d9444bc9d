/// Seed 004's emergency rollback: AWSCURRENT goes back to the version labelled AWSPREVIOUS (and the
/// version it leaves becomes AWSPREVIOUS, so doing it again rolls forward). Read from DescribeSecret's
/// `VersionIdsToStages`; `coffer secrets rollback` and the console both move labels by it.
public enum RotationRollback {
    /// The UpdateSecretVersionStage move, or nil when there is no AWSPREVIOUS to go back to.
    public static func move(versionIDsToStages: JSONObject) -> (removeFrom: String, moveTo: String)? {
        func holder(_ label: String) -> String? {
            versionIDsToStages.members.first { $0.value.arrayValue?.contains(.string(label)) == true }?.key
        }
        guard let current = holder(StagingLabel.current), let previous = holder(StagingLabel.previous) else { return nil }
        return (current, previous)
    }

    /// The request members of that move.
    public static func request(secretID: String, _ move: (removeFrom: String, moveTo: String)) -> JSONObject {
        ["SecretId": .string(secretID), "VersionStage": .string(StagingLabel.current),
         "MoveToVersionId": .string(move.moveTo), "RemoveFromVersionId": .string(move.removeFrom)]
    }
}

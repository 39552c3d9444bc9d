import CofferCore
import CofferServices
import CofferWire

/// Secrets Manager's JSON shapes for a secret, shared by its own handler and by Parameter Store's
/// `/aws/reference/secretsmanager/` reads.
enum SecretShapes {
    static func arnAndName(_ secret: Secret) -> JSONObject { ["ARN": .string(secret.arn), "Name": .string(secret.name)] }

    static func tagList(_ tags: [Tag]) -> JSONValue {
        .array(tags.map { .object(["Key": .string($0.key), "Value": .string($0.value)]) })
    }

    static func stages(_ labels: [String]) -> JSONValue { .array(labels.map(JSONValue.string)) }

    /// The members DescribeSecret and ListSecrets share, each present only when AWS includes it.
    static func summary(_ secret: Secret) -> JSONObject {
        var out = arnAndName(secret)
        if let description = secret.description { out["Description"] = .string(description) }
        if let key = secret.kmsKeyID { out["KmsKeyId"] = .string(key) }
        out["LastChangedDate"] = JSONResponse.timestamp(secret.lastChangedDate)
        if let accessed = secret.lastAccessedDate { out["LastAccessedDate"] = JSONResponse.timestamp(accessed) }
        if let deleted = secret.deletedDate { out["DeletedDate"] = JSONResponse.timestamp(deleted) }
        if let rotation = secret.rotation {
            out["RotationEnabled"] = .bool(rotation.enabled)
            out["RotationLambdaARN"] = .string(rotation.lambdaARN)
            if let rules = rotation.reportedRules { out["RotationRules"] = rotationRules(rules) }
            if rotation.enabled {
                if let rotated = secret.lastRotatedDate { out["LastRotatedDate"] = JSONResponse.timestamp(rotated) }
                if let next = rotation.nextRotationDate { out["NextRotationDate"] = JSONResponse.timestamp(next) }
            }
        }
        if !secret.tags.isEmpty || secret.tagged == true { out["Tags"] = tagList(secret.tags) }
        out["CreatedDate"] = JSONResponse.timestamp(secret.createdDate)
        if let primary = secret.primaryRegion {
            out["PrimaryRegion"] = .string(primary)
        } else if let replicas = secret.replicas, !replicas.isEmpty, let region = ARN(secret.arn)?.region {
            out["PrimaryRegion"] = .string(region)
        }
        return out
    }

    static func replicationStatus(_ replicas: [SecretReplica]) -> JSONValue {
        .array(replicas.map { replica in
            let out: JSONObject = ["Region": .string(replica.region), "KmsKeyId": .string(replica.kmsKeyID ?? "alias/aws/secretsmanager"),
                                   "Status": .string(replica.status), "StatusMessage": .string(replica.statusMessage)]
            return .object(out)
        })
    }

    static func rotationRules(_ rules: RotationRules) -> JSONValue {
        var out = JSONObject()
        if let days = rules.automaticallyAfterDays { out["AutomaticallyAfterDays"] = .number(Double(days)) }
        if let duration = rules.duration { out["Duration"] = .string(duration) }
        if let expression = rules.scheduleExpression { out["ScheduleExpression"] = .string(expression) }
        return .object(out)
    }

    static func versionsToStages(_ secret: Secret) -> JSONValue {
        var map = JSONObject()
        for version in secret.versions where !version.stages.isEmpty { map.append(version.versionID, stages(version.stages)) }
        return .object(map)
    }

    /// DescribeSecret's answer: the summary plus the version map, which AWS leaves out for a secret
    /// that has no versions yet.
    /// `SourceResult` of a `/aws/reference/secretsmanager/` read: Secrets Manager's answer as AWS's own
    /// service serializes it, members in camel case and the date as text (a captured AWS answer:
    /// `{"ARN":..,"name":..,"versionId":..,"secretString":..,"versionStages":[..],"createdDate":"Oct 14, 2021, 10:18:47 AM"}`).
    static func referenceSource(_ read: SecretValueResult) -> JSONValue {
        var out: JSONObject = ["ARN": .string(read.secret.arn), "name": .string(read.secret.name),
                               "versionId": .string(read.version.versionID)]
        switch read.value {
        case .string(let text): out.append("secretString", .string(text))
        case .binary(let bytes): out.append("secretBinary", JSONResponse.base64(bytes))
        }
        out.append("versionStages", stages(read.version.stages))
        out.append("createdDate", .string(CloudTrailDate.text(read.version.createdDate)))
        return .object(out)
    }

    static func description(_ secret: Secret) -> JSONObject {
        var out = summary(secret)
        if !secret.versions.isEmpty { out["VersionIdsToStages"] = versionsToStages(secret) }
        if let replicas = secret.replicas, !replicas.isEmpty { out["ReplicationStatus"] = replicationStatus(replicas) }
        return out
    }
}

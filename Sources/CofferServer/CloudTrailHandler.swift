import CofferCore
import CofferServices
import CofferStorage
import CofferWire
import Crypto
import Foundation

/// Translates CloudTrail's JSON 1.1 wire shapes (`CloudTrail_20131101.*`) to ``CloudTrailService`` calls.
struct CloudTrailHandler: JSONServiceHandler {
    let service: CloudTrailService
    let access: AccessControl
    /// The audit trail LookupEvents reads.
    let trail: any AuditStore
    /// Its digests' signing key, for ListPublicKeys.
    let digests: AuditTrail

    func handle(_ operation: String, _ r: JSONRequest, context: CallerContext) async throws -> JSONValue {
        let scope = context.scope
        let id = try r.string("Name", min: 1, max: 256)
        func name() throws -> String { try r.required("Name", id) }
        let resource = id.map { $0.hasPrefix("arn:") ? $0 : TrailRules.arn($0, scope: scope) }
            ?? "arn:aws:cloudtrail:\(scope.region):\(scope.account):trail/*"
        if context.isRoot {
            if id != nil { AccessControl.noteAudited(resource) }
        } else {
            try await access.authorize(context, action: "cloudtrail:\(operation)", resource: resource)
        }
        switch operation {
        case "LookupEvents":
            return try await lookupEvents(r, context: context)
        case "ListPublicKeys":
            let start = try r.date("StartTime"), end = try r.date("EndTime")
            if let start, let end, start > end { throw CofferError(.invalidTimeRange, "Start time must be before end time.") }
            if try r.string("NextToken") != nil { throw CofferError(.invalidNextToken, "Invalid NextToken.") }
            let keys = try await digests.publicKeys(from: start, to: end)
            return .object(["PublicKeyList": .array(keys.map { key in
                .object(["Value": JSONResponse.base64(key.der), "ValidityStartTime": JSONResponse.timestamp(key.validFrom),
                         "ValidityEndTime": JSONResponse.timestamp(key.validTo),
                         "Fingerprint": .string(Hex.encode(Array(Insecure.MD5.hash(data: key.der))))])
            })])
        case "CreateTrail":
            var settings = try settings(r)
            settings.s3BucketName = try r.requiredString("S3BucketName", min: 1, max: 256)
            return .object(created(try await service.createTrail(name: try name(), settings: settings, in: scope)))
        case "UpdateTrail":
            return .object(created(try await service.updateTrail(try name(), settings: try settings(r), in: scope)))
        case "GetTrail":
            return .object(["Trail": .object(description(try await service.trail(try name(), in: scope)))])
        case "DescribeTrails":
            let trails = try await service.trails(named: try r.stringList("trailNameList"), in: scope)
            return .object(["trailList": .array(trails.map { .object(description($0)) })])
        case "ListTrails":
            let trails = try await service.trails(named: nil, in: scope)
            return .object(["Trails": .array(trails.map {
                .object(["TrailARN": .string($0.arn), "Name": .string($0.name), "HomeRegion": .string($0.homeRegion)])
            })])
        case "DeleteTrail":
            try await service.deleteTrail(try name(), in: scope)
            return .object([:])
        case "StartLogging", "StopLogging":
            try await service.setLogging(try name(), on: operation == "StartLogging", in: scope)
            return .object([:])
        case "GetTrailStatus":
            let trail = try await service.trail(try name(), in: scope)
            var out: JSONObject = ["IsLogging": .bool(trail.isLogging)]
            if let start = trail.startLoggingTime { out["StartLoggingTime"] = JSONResponse.timestamp(start) }
            if let stop = trail.stopLoggingTime { out["StopLoggingTime"] = JSONResponse.timestamp(stop) }
            return .object(out)
        default:
            throw CofferError.unserved("cloudtrail", operation)
        }
    }

    private func settings(_ r: JSONRequest) throws -> TrailSettings {
        var settings = TrailSettings()
        settings.s3BucketName = try r.string("S3BucketName", min: 1, max: 256)
        settings.s3KeyPrefix = try r.string("S3KeyPrefix", max: 200)
        settings.includeGlobalServiceEvents = try r.bool("IncludeGlobalServiceEvents")
        settings.isMultiRegionTrail = try r.bool("IsMultiRegionTrail")
        settings.logFileValidationEnabled = try r.bool("EnableLogFileValidation")
        settings.kmsKeyID = try r.string("KmsKeyId")
        return settings
    }

    /// CreateTrail's and UpdateTrail's answer.
    private func created(_ trail: Trail) -> JSONObject {
        var out: JSONObject = ["Name": .string(trail.name), "S3BucketName": .string(trail.s3BucketName)]
        if let prefix = trail.s3KeyPrefix { out["S3KeyPrefix"] = .string(prefix) }
        out["IncludeGlobalServiceEvents"] = .bool(trail.includeGlobalServiceEvents)
        out["IsMultiRegionTrail"] = .bool(trail.isMultiRegionTrail)
        out["TrailARN"] = .string(trail.arn)
        out["LogFileValidationEnabled"] = .bool(trail.logFileValidationEnabled)
        if let key = trail.kmsKeyID { out["KmsKeyId"] = .string(key) }
        out["IsOrganizationTrail"] = false
        return out
    }

    /// The Trail shape of GetTrail and DescribeTrails.
    private func description(_ trail: Trail) -> JSONObject {
        var out = created(trail)
        out["HomeRegion"] = .string(trail.homeRegion)
        out["HasCustomEventSelectors"] = false
        out["HasInsightSelectors"] = false
        return out
    }
}

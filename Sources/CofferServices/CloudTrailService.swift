public import CofferCore
public import CofferStorage
import Foundation

/// What CreateTrail and UpdateTrail take, in domain terms.
public struct TrailSettings: Sendable {
    public var s3BucketName: String?
    public var s3KeyPrefix: String?
    public var includeGlobalServiceEvents: Bool?
    public var isMultiRegionTrail: Bool?
    public var logFileValidationEnabled: Bool?
    public var kmsKeyID: String?
    public init() {}
}

/// CloudTrail's trail management, free of HTTP. Trails are per account and region, as on AWS.
public struct CloudTrailService: Sendable {
    let store: any CofferStore
    let clock: any WallClock

    public init(store: any CofferStore, clock: any WallClock) {
        self.store = store
        self.clock = clock
    }

    public func createTrail(name: String, settings: TrailSettings, in scope: ResourceScope) async throws -> Trail {
        try TrailRules.validateName(name)
        guard let bucket = settings.s3BucketName else { throw CofferError.validation("S3BucketName is required.") }
        var trail = Trail(arn: TrailRules.arn(name, scope: scope), name: name, s3BucketName: bucket, homeRegion: scope.region,
                          createdDate: clock.now())
        Self.apply(settings, to: &trail)
        do {
            try await store.write(RecordWrite(.create, scope: scope, record: trail))
        } catch StorageError.nameTaken {
            throw CofferError(.trailAlreadyExists, "Trail \(name) already exists for customer: \(scope.account)")
        }
        return trail
    }

    public func updateTrail(_ id: String, settings: TrailSettings, in scope: ResourceScope) async throws -> Trail {
        try await change(id, scope) { Self.apply(settings, to: &$0) }
    }

    public func trail(_ id: String, in scope: ResourceScope) async throws -> Trail {
        let name = TrailRules.name(fromID: id)
        guard let trail = try await store.record(Trail.self, named: name, in: scope) else {
            throw CofferError(.trailNotFound, "Unknown trail: \(TrailRules.arn(name, scope: scope)) for the user: \(scope.account)")
        }
        return trail
    }

    /// The trails in the scope, or those named (unknown names are left out, as DescribeTrails does).
    public func trails(named ids: [String]?, in scope: ResourceScope) async throws -> [Trail] {
        let all = try await store.records(Trail.self, in: scope)
        guard let ids, !ids.isEmpty else { return all }
        let names = Set(ids.map(TrailRules.name(fromID:)))
        return all.filter { names.contains($0.name) }
    }

    public func deleteTrail(_ id: String, in scope: ResourceScope) async throws {
        let trail = try await trail(id, in: scope)
        try await store.removeRecord(arn: trail.arn)
    }

    public func setLogging(_ id: String, on: Bool, in scope: ResourceScope) async throws {
        let now = clock.now()
        try await change(id, scope) { trail in
            guard trail.isLogging != on else { return }
            trail.isLogging = on
            if on { trail.startLoggingTime = now } else { trail.stopLoggingTime = now }
        }
    }

    @discardableResult
    private func change(_ id: String, _ scope: ResourceScope, _ apply: (inout Trail) throws -> Void) async throws -> Trail {
        try await updating(store, in: scope, read: { try await trail(id, in: scope) }, apply)
    }

    private static func apply(_ settings: TrailSettings, to trail: inout Trail) {
        if let bucket = settings.s3BucketName { trail.s3BucketName = bucket }
        if let prefix = settings.s3KeyPrefix { trail.s3KeyPrefix = prefix.isEmpty ? nil : prefix }
        if let global = settings.includeGlobalServiceEvents { trail.includeGlobalServiceEvents = global }
        if let multi = settings.isMultiRegionTrail { trail.isMultiRegionTrail = multi }
        if let validation = settings.logFileValidationEnabled { trail.logFileValidationEnabled = validation }
        if let key = settings.kmsKeyID { trail.kmsKeyID = key.isEmpty ? nil : key }
    }
}

public import CofferCore
public import CofferStorage
public import Foundation

/// AWS Secrets Manager's behaviour, free of HTTP: validation, version stages, envelope
/// encryption, storage. Every method works within one account and region.
public struct SecretsManagerService: Sendable {
    let store: any CofferStore
    let keyring: any Keyring
    let clock: any WallClock
    let random: any RandomSource
    let rotationEvents: RotationEvents

    public init(store: any CofferStore, keyring: any Keyring, clock: any WallClock, random: any RandomSource) {
        self.store = store
        self.keyring = keyring
        self.clock = clock
        self.random = random
        self.rotationEvents = RotationEvents(random: random, clock: clock)
    }

    static let notFound = CofferError(.resourceNotFound, "Secrets Manager can't find the specified secret.")
    static let markedForDeletion = CofferError.invalidRequest(
        "You can't perform this operation on the secret because it was marked for deletion.")
    /// What AWS answers when a secret waiting out its recovery window is read.
    static let readOfDeleted = CofferError.invalidRequest(
        "You tried to perform the operation on a secret that's currently marked deleted.")

    // MARK: Lookup

    /// Finds the secret a SecretId names: by name, full ARN, or ARN without the random suffix.
    func find(_ secretID: String, in scope: ResourceScope) async throws -> Secret? {
        let found: Secret?
        switch SecretARN.reference(secretID) {
        case .name(let name):
            try SecretValidation.name(name)
            found = try await store.record(Secret.self, named: name, in: scope)
        case .arn(let arn, let namePart):
            guard let parsed = ARN(arn), parsed.account == scope.account, parsed.region == scope.region else { return nil }
            if let exact = try await store.record(Secret.self, arn: arn) {
                found = exact
            } else if let byName = try await store.record(Secret.self, named: namePart, in: scope) {
                found = byName
            } else {
                found = nil
            }
        }
        guard let secret = found else { return nil }
        // A secret whose recovery window has ended is gone, even before the purge runs.
        if let deletion = secret.deletionDate, deletion <= clock.now() {
            try await store.removeRecord(arn: secret.arn)
            return nil
        }
        return secret
    }

    func require(_ secretID: String, in scope: ResourceScope) async throws -> Secret {
        guard let secret = try await find(secretID, in: scope) else { throw Self.notFound }
        return secret
    }

    func requireActive(_ secretID: String, in scope: ResourceScope) async throws -> Secret {
        let secret = try await require(secretID, in: scope)
        if secret.isScheduledForDeletion { throw Self.markedForDeletion }
        return secret
    }

    /// Re-reads and retries when another writer got there first.
    func mutate<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await retryingOnConflict(body)
    }

    // MARK: Create, put, update

    public func createSecret(_ input: CreateSecretInput, in scope: ResourceScope) async throws -> SecretWriteResult {
        try SecretValidation.name(input.name)
        try SecretValidation.token(input.clientRequestToken)
        try SecretValidation.tags(input.tags)
        return try await mutate {
            if let existing = try await store.record(Secret.self, named: input.name, in: scope) {
                if existing.isScheduledForDeletion {
                    throw CofferError.invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
                }
                if let token = input.clientRequestToken, let version = existing.version(id: token) {
                    try checkIdempotent(version, value: input.value, token: token, arn: existing.arn)
                    return SecretWriteResult(secret: existing, versionID: token, versionStages: version.stages)
                }
                throw CofferError(.resourceExists, "The operation failed because the secret \(input.name) already exists.")
            }
            let now = clock.now()
            var secret = Secret(arn: SecretARN.make(name: input.name, scope: scope, random: random), name: input.name, createdDate: now)
            secret.description = input.description
            secret.kmsKeyID = input.kmsKeyID.flatMap { $0.isEmpty ? nil : $0 }
            if !input.tags.isEmpty { secret.tags = input.tags }
            var newValues: [(versionID: String, sealed: [UInt8])] = []
            var versionID: String?
            if let value = input.value {
                let id = input.clientRequestToken ?? random.uuidString()
                let sealed = try await seal(value, arn: secret.arn, versionID: id, kmsKeyID: secret.kmsKeyID, scope: scope)
                secret = VersionStages.addVersion(newVersion(id, value, stages: [StagingLabel.current], now, key: sealed.keyName), to: secret)
                newValues.append((id, sealed.sealed))
                versionID = id
            }
            do {
                try await store.write(RecordWrite(.create, scope: scope, record: secret, newValues: newValues))
            } catch StorageError.nameTaken {
                throw StorageError.conflict
            }
            return SecretWriteResult(secret: secret, versionID: versionID, versionStages: versionID == nil ? [] : [StagingLabel.current])
        }
    }

    public func putSecretValue(_ input: PutSecretValueInput, in scope: ResourceScope) async throws -> SecretWriteResult {
        try SecretValidation.token(input.clientRequestToken)
        guard let value = input.value else {
            throw CofferError.invalidRequest("You must provide either SecretString or SecretBinary.")
        }
        if let stages = input.versionStages { try SecretValidation.stages(stages) }
        let result = try await mutate {
            let secret = try await requireWritable(input.secretID, in: scope)
            return try await addVersion(to: secret, value: value, token: input.clientRequestToken,
                                        stages: input.versionStages ?? [StagingLabel.current], scope: scope)
        }
        try await syncReplicas(of: result.secret, in: scope)
        return result
    }

    public func updateSecret(_ input: UpdateSecretInput, in scope: ResourceScope) async throws -> SecretWriteResult {
        try SecretValidation.token(input.clientRequestToken)
        let result = try await mutate {
            var secret = try await requireWritable(input.secretID, in: scope)
            let changes: @Sendable (inout Secret) -> Void = { secret in
                if let description = input.description { secret.description = description }
                if let kmsKeyID = input.kmsKeyID { secret.kmsKeyID = kmsKeyID.isEmpty ? nil : kmsKeyID }
            }
            changes(&secret)
            if let value = input.value {
                return try await addVersion(to: secret, value: value, token: input.clientRequestToken,
                                            stages: [StagingLabel.current], scope: scope, changing: changes)
            }
            let expected = secret.revision
            secret.revision += 1
            secret.lastChangedDate = clock.now()
            try await store.write(RecordWrite(.update(expectedRevision: expected), scope: scope, record: secret))
            return SecretWriteResult(secret: secret, versionID: nil, versionStages: [])
        }
        try await syncReplicas(of: result.secret, in: scope)
        return result
    }

    /// `changing` applies the call's other changes (UpdateSecret's description and key) to the secret
    /// as it stands when the version is added, so they land in the same write.
    private func addVersion(to secret: Secret, value: SecretValue, token: String?, stages: [String], scope: ResourceScope,
                            changing: @escaping @Sendable (inout Secret) -> Void = { _ in })
        async throws -> SecretWriteResult
    {
        if let token, let existing = secret.version(id: token), existing.isPendingStub != true {
            try checkIdempotent(existing, value: value, token: token, arn: secret.arn)
            return SecretWriteResult(secret: secret, versionID: token, versionStages: existing.stages)
        }
        let id = token ?? random.uuidString()
        // Sealing waits on the keyring, so it happens first; the version is then added to the secret
        // as it stands when the store writes it, so writers of one secret queue instead of conflicting.
        let sealed = try await seal(value, arn: secret.arn, versionID: id, kmsKeyID: secret.kmsKeyID, scope: scope)
        let version = newVersion(id, value, stages: [], clock.now(), key: sealed.keyName)
        guard let updated = try await store.update(Secret.self, arn: secret.arn, { stored in
            if stored.isScheduledForDeletion { throw Self.markedForDeletion }
            if stored.isReplica { throw Self.replicaRefused }
            var current = stored
            changing(&current)
            // Sealed under a key the secret no longer names: start again from the top.
            guard current.kmsKeyID == secret.kmsKeyID else { throw StorageError.conflict }
            return try addingVersion(version, sealed: sealed.sealed, stages: stages, to: current, scope: scope)
        }) else { throw Self.notFound }
        return SecretWriteResult(secret: updated, versionID: id, versionStages: updated.version(id: id)?.stages ?? stages)
    }

    /// The write that adds `version` to `secret` as it stands, or nil where a version with its id is
    /// already there (an idempotent retry, checked against the value).
    private func addingVersion(_ version: SecretVersion, sealed: [UInt8], stages: [String], to secret: Secret, scope: ResourceScope)
        throws -> RecordWrite<Secret>?
    {
        let id = version.versionID
        let stages = VersionStages.labels(stages, forNewVersionOf: secret)
        var base = secret
        let existing = secret.version(id: id)
        if let existing {
            guard existing.isPendingStub == true else {
                guard existing.isString == version.isString, existing.valueDigest == version.valueDigest else { throw Self.tokenInUse(id, arn: secret.arn) }
                return nil
            }
            // A rotation function's createSecret fills the empty AWSPENDING version the rotation began with.
            base.versions.removeAll { $0.versionID == id }
        }
        let now = clock.now()
        let keptStages = existing?.stages ?? []
        var added = version
        added.stages = keptStages + stages.filter { !keptStages.contains($0) }
        added.createdDate = now
        var updated = VersionStages.addVersion(added, to: base)
        var abandoned: RotationJob?
        if stages.contains(StagingLabel.current) {
            (updated, abandoned) = Self.afterManualChange(updated, newCurrent: id, now: now)
        }
        updated.revision += 1
        updated.lastChangedDate = now
        var write = RecordWrite(
            .update(expectedRevision: secret.revision), scope: scope, record: updated, newValues: [(id, sealed)],
            removedVersionIDs: VersionStages.removedVersionIDs(before: secret, after: updated))
        if let abandoned, let event = rotationEvents.record("RotationAbandoned", secret: updated, job: abandoned) {
            write.alsoRecord.append(event)
        }
        return write
    }

    /// A new AWSCURRENT written by hand counts as a rotation for the schedule, and abandons a
    /// rotation under way (unless it is that rotation's own version).
    static func afterManualChange(_ secret: Secret, newCurrent: String, now: Date) -> (Secret, abandoned: RotationJob?) {
        var secret = secret
        var abandoned: RotationJob?
        if let job = secret.rotationJob, job.token != newCurrent {
            abandoned = job
            secret = RotationLabels.abandon(secret)
        }
        if secret.rotationJob == nil { secret.rescheduleRotation(from: now) }
        return (secret, abandoned)
    }

    private func checkIdempotent(_ version: SecretVersion, value: SecretValue?, token: String, arn: String) throws(CofferError) {
        guard let value, version.isString == value.isString, version.valueDigest == keyring.digest(value.bytes) else {
            throw Self.tokenInUse(token, arn: arn)
        }
    }

    private static func tokenInUse(_ token: String, arn: String) -> CofferError {
        CofferError(.resourceExists, "You can't use ClientRequestToken \(token) because that value is already in use for a version of secret \(arn).")
    }

    private func newVersion(_ id: String, _ value: SecretValue, stages: [String], _ now: Date, key: String) -> SecretVersion {
        var version = SecretVersion(versionID: id, stages: stages, createdDate: now, isString: value.isString,
                                    valueDigest: keyring.digest(value.bytes))
        version.kmsKeyIDs = [key]
        return version
    }

    /// Seals a value under the secret's key; returns the sealed bytes and the key as
    /// ListSecretVersionIds names it.
    func seal(_ value: SecretValue, arn: String, versionID: String, kmsKeyID: String?, scope: ResourceScope) async throws
        -> (sealed: [UInt8], keyName: String)
    {
        let key = try await keyring.wrappingKey(for: scope, kmsKeyID: kmsKeyID, service: "secretsmanager")
        let sealed = try Envelope.seal(value.bytes, context: Self.context(arn: arn, versionID: versionID), under: key, random: random)
        let keyName = kmsKeyID == nil
            ? "DefaultEncryptionKey"
            : ARN(service: "kms", region: scope.region, account: scope.account, resource: "key/\(key.keyID)").description
        return (sealed, keyName)
    }

    /// A copy of a version's sealed value, bound to another version id of the same secret.
    func reseal(_ sealed: [UInt8], of secret: Secret, from versionID: String, to newVersionID: String, in scope: ResourceScope)
        async throws -> [UInt8]
    {
        let plaintext = try await keyring.open(sealed, context: Self.context(arn: secret.arn, versionID: versionID), scope: scope, service: "secretsmanager")
        let isString = secret.version(id: versionID)?.isString ?? true
        let value: SecretValue = isString ? .string(String(decoding: plaintext, as: UTF8.self)) : .binary(plaintext)
        return try await seal(value, arn: secret.arn, versionID: newVersionID, kmsKeyID: secret.kmsKeyID, scope: scope).sealed
    }

    /// The associated data that binds a sealed value to its secret and version.
    static func context(arn: String, versionID: String) -> String { Envelope.context(service: "secretsmanager", resource: arn, version: versionID) }

    // MARK: Read

    /// `recordingAccess: false` is for Coffer's own reads (a built-in rotation), which are not a
    /// client's access and must not cost a write.
    /// `found` is the secret `secretID` names when the caller has just looked it up (authorization
    /// does): the read answers from that state instead of looking it up a second time.
    public func getSecretValue(secretID: String, versionID: String?, versionStage: String?, in scope: ResourceScope,
                               recordingAccess: Bool = true, found: Secret? = nil) async throws -> SecretValueResult
    {
        let secret: Secret
        if let found { secret = found } else { secret = try await require(secretID, in: scope) }
        if secret.isScheduledForDeletion { throw Self.readOfDeleted }
        let version: SecretVersion
        if let versionID {
            guard let found = secret.version(id: versionID) else {
                throw CofferError(.resourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: \(versionID)")
            }
            if let versionStage, !found.stages.contains(versionStage) {
                throw CofferError.invalidRequest("You provided a VersionStage that is not associated to the provided VersionId.")
            }
            version = found
        } else {
            let stage = versionStage ?? StagingLabel.current
            guard let found = secret.version(stage: stage) else {
                throw CofferError(.resourceNotFound, "Secrets Manager can't find the specified secret value for staging label: \(stage)")
            }
            version = found
        }
        guard let sealed = try await store.sealedValue(arn: secret.arn, versionID: version.versionID) else {
            throw CofferError(.resourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: \(version.versionID)")
        }
        let plaintext = try await keyring.open(sealed, context: Self.context(arn: secret.arn, versionID: version.versionID), scope: scope,
                                               service: "secretsmanager")
        let value: SecretValue = version.isString ? .string(String(decoding: plaintext, as: UTF8.self)) : .binary(plaintext)
        guard recordingAccess else { return SecretValueResult(secret: secret, version: version, value: value) }
        let accessed = try await recordAccess(secret, versionID: version.versionID, in: scope)
        return SecretValueResult(secret: accessed, version: accessed.version(id: version.versionID) ?? version, value: value)
    }

    /// AWS keeps LastAccessedDate to the day, so this writes at most once a day per secret and
    /// version and never fails the read.
    private func recordAccess(_ secret: Secret, versionID: String, in scope: ResourceScope) async throws -> Secret {
        let today = Self.startOfDay(clock.now())
        guard let index = secret.versions.firstIndex(where: { $0.versionID == versionID }),
            secret.lastAccessedDate != today || secret.versions[index].lastAccessedDate != today
        else { return secret }
        var updated = secret
        updated.lastAccessedDate = today
        updated.versions[index].lastAccessedDate = today
        updated.revision += 1
        do {
            try await store.write(RecordWrite(.update(expectedRevision: secret.revision), scope: scope, record: updated))
            return updated
        } catch StorageError.conflict {
            return secret
        }
    }

    static func startOfDay(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    }

    /// The secret a SecretId names, if any, without failing: authorization needs its ARN and policy.
    public func describeSecretIfPresent(secretID: String, in scope: ResourceScope) async throws -> Secret? {
        try await find(secretID, in: scope)
    }

    public func describeSecret(secretID: String, in scope: ResourceScope) async throws -> Secret {
        try await require(secretID, in: scope)
    }

    public func batchGetSecretValue(
        secretIDs: [String]?, filters: [SecretListFilter]?, maxResults: Int?, nextToken: String?, in scope: ResourceScope
    ) async throws -> (values: [SecretValueResult], errors: [BatchError], nextToken: String?) {
        if secretIDs != nil, filters != nil {
            throw CofferError.invalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
        }
        if let secretIDs {
            if maxResults != nil {
                throw CofferError.invalidParameter("'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.")
            }
            var values: [SecretValueResult] = []
            var errors: [BatchError] = []
            for id in secretIDs {
                do {
                    values.append(try await getSecretValue(secretID: id, versionID: nil, versionStage: nil, in: scope))
                } catch let error as CofferError {
                    errors.append(BatchError(secretID: id, error: error))
                }
            }
            return (values, errors, nil)
        }
        guard let filters else {
            throw CofferError.invalidParameter("Either 'SecretIdList' or 'Filters' must be provided.")
        }
        let page = try await secretPage(filters: filters, includePlannedDeletion: false, sortBy: .createdDate, descending: false,
                                        size: maxResults ?? 20, token: nextToken, in: scope)
        // With filters, a matching secret that cannot be read fails the call, as on AWS.
        var values: [SecretValueResult] = []
        for secret in page.items {
            values.append(try await getSecretValue(secretID: secret.arn, versionID: nil, versionStage: nil, in: scope))
        }
        return (values, [], page.nextToken)
    }

    public func listSecrets(_ input: ListSecretsInput, in scope: ResourceScope) async throws -> (secrets: [Secret], nextToken: String?) {
        let page = try await secretPage(filters: input.filters, includePlannedDeletion: input.includePlannedDeletion, sortBy: input.sortBy,
                                        descending: input.descending, size: input.maxResults ?? 100, token: input.nextToken, in: scope)
        return (page.items, page.nextToken)
    }

    /// A page of the scope's secrets, read through the store's index for the order (creation, name,
    /// last change, last access) a page at a time, so its cost follows the page and not the number
    /// of secrets.
    private func secretPage(filters: [SecretListFilter], includePlannedDeletion: Bool, sortBy: SecretSortKey, descending: Bool,
                            size: Int, token: String?, in scope: ResourceScope) async throws -> (items: [Secret], nextToken: String?) {
        let now = clock.now()
        let region = scope.region
        let accept: @Sendable (Secret) -> Bool = { secret in
            (includePlannedDeletion || !secret.isScheduledForDeletion) && !(secret.deletionDate.map { $0 <= now } ?? false)
                && SecretListFilter.matches(filters, secret: secret, region: region)
        }
        let order: RecordOrder = switch sortBy {
        case .createdDate: .created
        case .name: .name
        case .lastChangedDate: .lastChanged
        case .lastAccessedDate: .lastAccessed
        }
        let after = try token.map { try RecordPageToken.cursor($0, order: order.rawValue, descending: descending) }
        let prefix = filters.count(where: { $0.key == "name" }) == 1 ? filters.first { $0.key == "name" }.flatMap { filter in
            filter.values.count == 1 && !filter.values[0].hasPrefix("!") ? filter.values[0] : nil
        } : nil
        let page = try await store.page(RecordQuery<Secret>(scope: scope, order: order, descending: descending, after: after, namePrefix: prefix,
                                                            limit: size, accept: accept))
        return (page.records, page.next.map { RecordPageToken.token($0, order: order.rawValue, descending: descending) })
    }

    public func listSecretVersionIDs(
        secretID: String, includeDeprecated: Bool, maxResults: Int?, nextToken: String?, in scope: ResourceScope
    ) async throws -> (secret: Secret, versions: [SecretVersion], nextToken: String?) {
        let secret = try await require(secretID, in: scope)
        // Oldest first, as moto and LocalStack list them and as AWS's own example (botocore's
        // examples-1.json) shows AWSPREVIOUS before AWSCURRENT. The empty AWSPENDING version a
        // rotation starts with is not listed until it has a value.
        let versions = secret.versions.filter { (includeDeprecated || !$0.stages.isEmpty) && $0.isPendingStub != true }
        let page = try Pagination.page(Array(versions), size: maxResults ?? 100, token: nextToken)
        return (secret, page.items, page.nextToken)
    }

    // MARK: Stages, deletion, tags, policies

    public func updateSecretVersionStage(
        secretID: String, stage: String, moveTo: String?, removeFrom: String?, in scope: ResourceScope
    ) async throws -> Secret {
        try SecretValidation.stages([stage])
        let updated = try await mutate {
            let secret = try await requireWritable(secretID, in: scope)
            var updated = try VersionStages.update(secret, label: stage, moveTo: moveTo, removeFrom: removeFrom)
            guard updated != secret else { return secret }
            updated.revision += 1
            updated.lastChangedDate = clock.now()
            try await store.write(RecordWrite(.update(expectedRevision: secret.revision), scope: scope, record: updated))
            return updated
        }
        return try await syncReplicas(of: updated, in: scope)
    }

    public func deleteSecret(secretID: String, recoveryWindowDays: Int?, forceDelete: Bool, in scope: ResourceScope)
        async throws -> (arn: String, name: String, deletionDate: Date)
    {
        if let days = recoveryWindowDays, !(7...30).contains(days) {
            throw CofferError.invalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        }
        if recoveryWindowDays != nil, forceDelete {
            throw CofferError.invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
        }
        return try await mutate {
            let now = clock.now()
            guard let secret = try await find(secretID, in: scope) else {
                // AWS: forcing the deletion of a secret that does not exist is not an error.
                guard forceDelete else { throw Self.notFound }
                switch SecretARN.reference(secretID) {
                case .arn(let arn, let name): return (arn, name, now)
                case .name(let name): return (SecretARN.make(name: name, scope: scope, random: random), name, now)
                }
            }
            if secret.isReplica { throw Self.replicaRefused }
            if let replicas = secret.replicas, !replicas.isEmpty {
                throw CofferError.invalidParameter(
                    "You can't delete secret \(secret.arn) that still has replica regions [\(replicas.map(\.region).joined(separator: ", "))].")
            }
            if forceDelete {
                try await store.removeRecord(arn: secret.arn)
                return (secret.arn, secret.name, now)
            }
            if secret.isScheduledForDeletion {
                throw CofferError.invalidRequest("You can't perform this operation on the secret because it was already scheduled for deletion.")
            }
            var updated = secret
            updated.deletedDate = now
            updated.deletionDate = now.addingTimeInterval(Double(recoveryWindowDays ?? 30) * 86_400)
            updated.revision += 1
            try await store.write(RecordWrite(.update(expectedRevision: secret.revision), scope: scope, record: updated))
            return (secret.arn, secret.name, updated.deletionDate!)
        }
    }

    public func restoreSecret(secretID: String, in scope: ResourceScope) async throws -> Secret {
        try await mutate {
            let secret = try await require(secretID, in: scope)
            if secret.isReplica { throw Self.replicaRefused }
            guard secret.isScheduledForDeletion else { return secret }
            var updated = secret
            updated.deletedDate = nil
            updated.deletionDate = nil
            updated.revision += 1
            try await store.write(RecordWrite(.update(expectedRevision: secret.revision), scope: scope, record: updated))
            return updated
        }
    }

    /// Removes every secret whose recovery window has ended; the background purge calls it.
    public func purgeExpired() async throws -> Int {
        let due = try await store.recordsDue(forDeletionAt: clock.now()).filter { $0.kind == Secret.kind }
        for record in due { try await store.removeRecord(arn: record.arn) }
        return due.count
    }

    public func tagResource(secretID: String, tags: [Tag], in scope: ResourceScope) async throws {
        try SecretValidation.tags(tags)
        try await change(secretID, in: scope, allowDeleted: false) { secret throws(CofferError) in
            secret.tags.merge(tags)
            try SecretValidation.tagCount(secret.tags.count)
        }
    }

    public func untagResource(secretID: String, keys: [String], in scope: ResourceScope) async throws {
        try await change(secretID, in: scope, allowDeleted: false) { secret throws(CofferError) in
            secret.tags.removeAll { keys.contains($0.key) }
        }
    }

    public func putResourcePolicy(secretID: String, policy: String, blockPublicPolicy: Bool, in scope: ResourceScope)
        async throws -> Secret
    {
        // The secret first, as AWS answers: an unknown secret or a replica is refused whatever the document says.
        _ = try await requireWritable(secretID, in: scope)
        let document = try ResourcePolicyCheck.parse(policy)
        if blockPublicPolicy, ResourcePolicyCheck.grantsPublicAccess(document) {
            throw CofferError(.publicPolicy, "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.")
        }
        return try await change(secretID, in: scope, allowDeleted: false) { secret throws(CofferError) in secret.resourcePolicy = policy }
    }

    public func getResourcePolicy(secretID: String, in scope: ResourceScope) async throws -> Secret {
        try await require(secretID, in: scope)
    }

    public func deleteResourcePolicy(secretID: String, in scope: ResourceScope) async throws -> Secret {
        try await change(secretID, in: scope, allowDeleted: false) { secret throws(CofferError) in secret.resourcePolicy = nil }
    }

    public func validateResourcePolicy(secretID: String?, policy: String, in scope: ResourceScope) async throws
        -> [ResourcePolicyCheck.Finding]
    {
        if let secretID { _ = try await require(secretID, in: scope) }
        do {
            _ = try ResourcePolicyCheck.parse(policy)
            return []
        } catch where error.code == .malformedPolicyDocument {
            return [ResourcePolicyCheck.Finding(checkName: "SYNTAX_CHECK", message: error.message)]
        }
    }

    @discardableResult
    private func change(_ secretID: String, in scope: ResourceScope, allowDeleted: Bool,
                        _ apply: @escaping (inout Secret) throws(CofferError) -> Void) async throws -> Secret {
        let changed = try await updating(store, in: scope, read: {
            let secret = allowDeleted ? try await require(secretID, in: scope) : try await requireActive(secretID, in: scope)
            if secret.isReplica { throw Self.replicaRefused }
            return secret
        }, { secret in
            let before = secret
            try apply(&secret)
            if secret != before { secret.lastChangedDate = clock.now() }
        })
        return try await syncReplicas(of: changed, in: scope)
    }

    public func randomPassword(_ options: PasswordOptions) throws(CofferError) -> String {
        try PasswordGenerator.generate(options, random: random)
    }
}

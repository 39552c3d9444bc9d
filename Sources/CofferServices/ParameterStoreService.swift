public import CofferCore
public import CofferStorage
import Foundation

/// What PutParameter takes, in domain terms.
public struct PutParameterInput: Sendable {
    public var name: String
    public var value: String
    public var type: ParameterType?
    public var description: String?
    public var keyID: String?
    public var overwrite = false
    public var allowedPattern: String?
    public var tags: [Tag] = []
    public var tier: String?
    public var policies: String?
    public var dataType: String?

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A parameter version with its value, between storage and the response.
public struct ParameterResult: Sendable {
    public let name: String
    public let arn: String
    public let version: ParameterVersion
    /// The plaintext, or for SecureString read without decryption the ciphertext in base64.
    public let value: String
    public let selector: String?
    /// For `/aws/reference/secretsmanager/` names, the secret's value as Secrets Manager read it; AWS
    /// returns that read in `SourceResult`.
    public let source: SecretValueResult?
}

/// AWS Systems Manager Parameter Store's behaviour, free of HTTP.
public struct ParameterStoreService: Sendable {
    let store: any CofferStore
    let keyring: any Keyring
    let plainKey: WrappingKey
    let secrets: SecretsManagerService
    let clock: any WallClock
    let random: any RandomSource

    public init(store: any CofferStore, keyring: any Keyring, root: RootKey, secrets: SecretsManagerService,
                clock: any WallClock, random: any RandomSource) {
        self.store = store
        self.keyring = keyring
        // String and StringList values are not secret in AWS's model, but Coffer seals every value at
        // rest; they use a root-derived key rather than KMS, so no KMS key can lock them away.
        self.plainKey = WrappingKey(keyID: "coffer-ssm-plain", version: 1, key: root.derive("ssm-plain-values"))
        self.secrets = secrets
        self.clock = clock
        self.random = random
    }

    static let defaultKeyID = "alias/aws/ssm"
    static let referencePrefix = "/aws/reference/secretsmanager/"

    static func notFound(_ name: String) -> CofferError { CofferError(.parameterNotFound, "Parameter \(name) not found.") }

    static func versionNotFound(_ version: Int, _ name: String) -> CofferError {
        CofferError(.parameterVersionNotFound, "Systems Manager could not find version \(version) of \(name). Verify the version and try again.")
    }

    func find(_ name: String, _ scope: ResourceScope) async throws -> Parameter? {
        var found = try await store.record(Parameter.self, named: name, in: scope)
        // At the root, `name` and `/name` are one parameter (they share an ARN); it keeps the name it was made with.
        if found == nil, let other = ParameterRules.rootAlternate(name) { found = try await store.record(Parameter.self, named: other, in: scope) }
        // A parameter past its Expiration policy is gone, even before the purge runs.
        if let parameter = found, let expiry = parameter.deletionDate, expiry <= clock.now() {
            try await store.removeRecord(arn: parameter.arn)
            return nil
        }
        return found
    }

    /// Removes parameters whose Expiration policy has come; the background purge calls it.
    public func purgeExpired() async throws -> Int {
        let due = try await store.recordsDue(forDeletionAt: clock.now()).filter { $0.kind == Parameter.kind }
        for record in due { try await store.removeRecord(arn: record.arn) }
        return due.count
    }

    /// Sends the notifications parameter policies ask for that are due, each once, as service
    /// events in the trail (where AWS sends them to EventBridge) committed with the change that marks
    /// them sent. Returns how many were sent.
    public func sendDueNotifications(limit: Int = 256) async throws -> Int {
        var count = 0
        for arn in try await store.recordsDue(kind: Parameter.kind, at: clock.now(), limit: limit) {
            guard let parsed = ARN(arn) else { continue }
            let scope = ResourceScope(account: parsed.account, region: parsed.region)
            count += try await retryingOnConflict {
                guard var parameter = try await store.record(Parameter.self, arn: arn) else { return 0 }
                let now = clock.now()
                let due = (parameter.notifications ?? []).filter { !$0.sent && $0.due <= now }
                guard !due.isEmpty else { return 0 }
                let expected = parameter.revision
                parameter.notifications = parameter.notifications?.map { notification in
                    var notification = notification
                    if notification.due <= now { notification.sent = true }
                    return notification
                }
                parameter.revision += 1
                var write = RecordWrite(.update(expectedRevision: expected), scope: scope, record: parameter)
                write.alsoRecord = due.compactMap { notification in
                    ServiceEvents.event(notification.kind, source: "ssm.amazonaws.com", arn: arn,
                                        additionalEventData: .object(["policy-type": .string(notification.kind), "parameter-name": .string(parameter.name)]),
                                        random: random, time: now)
                }
                try await store.write(write)
                return due.count
            }
        }
        return count
    }

    func require(_ name: String, _ scope: ResourceScope) async throws -> Parameter {
        guard let parameter = try await find(name, scope) else { throw Self.notFound(name) }
        return parameter
    }

    static func context(arn: String, version: Int) -> String { Envelope.context(service: "ssm", resource: arn, version: String(version)) }

    // MARK: Put

    public func putParameter(_ input: PutParameterInput, context caller: CallerContext) async throws -> (version: Int, tier: String) {
        let scope = caller.scope
        try ParameterRules.validateNewName(input.name)
        if input.value.isEmpty {
            throw CofferError.validation("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.")
        }
        if input.overwrite, !input.tags.isEmpty {
            throw CofferError.validation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
        }
        if let policies = input.policies { _ = try ParameterPolicies.parse(policies, now: clock.now()) }
        if let dataType = input.dataType, !ParameterRules.dataTypes.contains(dataType) {
            throw CofferError.validation("The following data type is not supported: \(dataType) (Data type names are all lowercase.)")
        }
        try ParameterValidation.tags(input.tags)
        return try await retryingOnConflict(alsoOnNameTaken: true) { try await put(input, caller: caller, scope: scope) }
    }

    private func put(_ input: PutParameterInput, caller: CallerContext, scope: ResourceScope) async throws -> (version: Int, tier: String) {
        let existing = try await find(input.name, scope)
        let previous = existing?.latest
        if existing != nil, !input.overwrite {
            throw CofferError(.parameterAlreadyExists, "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
        }
        guard let type = input.type ?? previous?.type else {
            throw CofferError.validation("A parameter type is required when you create a parameter.")
        }
        if input.keyID != nil, type != .secureString {
            throw CofferError.validation("KeyId is required for SecureString type parameter only.")
        }
        let allowedPattern = input.allowedPattern ?? previous?.allowedPattern
        if let pattern = allowedPattern, !pattern.isEmpty { try ParameterValidation.check(input.value, against: pattern) }
        let policyText = input.policies ?? previous?.policies
        let policies = try policyText.map { try ParameterPolicies.parse($0, now: clock.now()) } ?? []
        var tier = try ParameterRules.tier(requested: input.tier, previous: previous?.tier, valueLength: input.value.count)
        if !policies.isEmpty, tier == "Standard" {
            // Intelligent-Tiering moves a parameter with policies to the advanced tier; Standard refuses them.
            guard input.tier == "Intelligent-Tiering" else {
                throw CofferError.validation("Standard tier parameters don't support parameter policies. Use the Advanced tier (or Intelligent-Tiering) for parameters with policies.")
            }
            tier = "Advanced"
        }
        let keyID: String? = type == .secureString ? (input.keyID ?? (previous?.type == .secureString ? previous?.keyID : nil) ?? Self.defaultKeyID) : nil
        var parameter = existing ?? Parameter(arn: ParameterRules.arn(input.name, scope: scope), name: input.name)
        if existing == nil { parameter.tags = input.tags }
        var removed: [String] = []
        if parameter.versions.count >= ParameterRules.maximumVersions, let oldest = parameter.versions.first {
            if !oldest.labels.isEmpty {
                throw CofferError(.parameterMaxVersionLimitExceeded, "You attempted to create a new version of \(input.name) by calling the PutParameter API with the overwrite flag. Version \(oldest.version), the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.")
            }
            parameter.versions.removeFirst()
            removed.append(Parameter.valueID(oldest.version))
        }
        let number = (previous?.version ?? 0) + 1
        let version = ParameterVersion(
            version: number, type: type, description: input.description ?? previous?.description, keyID: keyID,
            allowedPattern: allowedPattern, tier: tier, dataType: input.dataType ?? previous?.dataType ?? "text", labels: [],
            lastModifiedDate: clock.now(), lastModifiedUser: caller.principalARN, policies: policyText)
        let wrapping = type == .secureString
            ? try await keyring.wrappingKey(for: scope, kmsKeyID: keyID == Self.defaultKeyID ? nil : keyID, service: "ssm")
            : plainKey
        let sealed = try Envelope.seal(Array(input.value.utf8), context: Self.context(arn: parameter.arn, version: number),
                                       under: wrapping, random: random)
        parameter.versions.append(version)
        let expiration = policies.first { $0.kind == .expiration }?.timestamp
        parameter.deletionDate = expiration
        let notifications = policies.compactMap { policy -> ParameterNotification? in
            guard policy.kind != .expiration, let due = policy.due(lastModified: version.lastModifiedDate, expiration: expiration) else { return nil }
            return ParameterNotification(kind: policy.kind.rawValue, due: due)
        }
        parameter.notifications = notifications.isEmpty ? nil : notifications
        let expected = parameter.revision
        parameter.revision += existing == nil ? 0 : 1
        try await store.write(RecordWrite(existing == nil ? .create : .update(expectedRevision: expected), scope: scope,
                                          record: parameter, newValues: [(Parameter.valueID(number), sealed)], removedVersionIDs: removed))
        return (number, tier)
    }

    // MARK: Get

    func value(of parameter: Parameter, _ version: ParameterVersion, decrypt: Bool, scope: ResourceScope) async throws -> String {
        guard let sealed = try await store.sealedValue(arn: parameter.arn, versionID: Parameter.valueID(version.version)) else {
            throw Self.versionNotFound(version.version, parameter.name)
        }
        if version.type == .secureString, !decrypt { return Data(sealed).base64EncodedString() }
        let plaintext = try await keyring.open(sealed, context: Self.context(arn: parameter.arn, version: version.version), scope: scope,
                                               service: "ssm", local: plainKey)
        return String(decoding: plaintext, as: UTF8.self)
    }

    public func getParameter(_ name: String, withDecryption: Bool, context caller: CallerContext) async throws -> ParameterResult {
        let scope = caller.scope
        if name.hasPrefix(Self.referencePrefix) { return try await secretReference(name, withDecryption: withDecryption, scope: scope) }
        if name.hasPrefix(PublicParameters.prefix) {
            guard let value = PublicParameters.value(name) else { throw Self.notFound(name) }
            return Self.publicResult(name, value, scope: scope)
        }
        let reference = try ParameterRules.reference(name, scope: scope)
        try ParameterRules.validateName(reference.name)
        guard let parameter = try await find(reference.name, scope) else { throw Self.notFound(name) }
        let version: ParameterVersion
        if let number = reference.version {
            guard let found = parameter.version(number) else { throw Self.versionNotFound(number, reference.name) }
            version = found
        } else if let label = reference.label {
            guard let found = parameter.version(label: label) else { throw Self.notFound(name) }
            version = found
        } else {
            guard let latest = parameter.latest else { throw Self.notFound(name) }
            version = latest
        }
        // `name` and `/name` at the root are one parameter; AWS answers with the spelling asked for.
        let answeredName = !name.hasPrefix("arn:") && ParameterRules.rootAlternate(parameter.name) == reference.name ? reference.name : parameter.name
        return ParameterResult(name: answeredName, arn: parameter.arn, version: version,
                               value: try await value(of: parameter, version, decrypt: withDecryption, scope: scope),
                               selector: reference.selector, source: nil)
    }

    /// `/aws/reference/secretsmanager/NAME`: a Secrets Manager secret read through Parameter Store.
    /// AWS's public parameters belong to no account: their ARN has none.
    static func publicResult(_ name: String, _ value: String, scope: ResourceScope) -> ParameterResult {
        let version = ParameterVersion(version: 1, type: .string, description: nil, keyID: nil, allowedPattern: nil, tier: "Standard",
                                       dataType: "text", labels: [], lastModifiedDate: Date(timeIntervalSince1970: 1_556_668_800),
                                       lastModifiedUser: "", policies: nil)
        let arn = ARN(service: "ssm", region: scope.region, account: "", resource: "parameter" + name).description
        return ParameterResult(name: name, arn: arn, version: version, value: value, selector: nil, source: nil)
    }

    private func secretReference(_ name: String, withDecryption: Bool, scope: ResourceScope) async throws -> ParameterResult {
        guard withDecryption else {
            throw CofferError.validation("WithDecryption flag must be True for retrieving a Secret Manager secret.")
        }
        let rest = String(name.dropFirst(Self.referencePrefix.count))
        let parts = rest.split(separator: ":", maxSplits: 1).map(String.init)
        guard let secretID = parts.first, !secretID.isEmpty else { throw Self.notFound(name) }
        let selector = parts.count > 1 ? parts[1] : nil
        let isVersionID = selector.map { UUID(uuidString: $0) != nil || $0.count >= 32 } ?? false
        let result: SecretValueResult
        do {
            result = try await secrets.getSecretValue(secretID: secretID, versionID: isVersionID ? selector : nil,
                                                      versionStage: isVersionID ? nil : selector, in: scope)
        } catch let error as CofferError where error.code == .resourceNotFound {
            throw CofferError(.parameterNotFound,
                              "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret \(name) not found.")
        }
        let value: String
        switch result.value {
        case .string(let s): value = s
        case .binary(let b): value = Data(b).base64EncodedString()
        }
        let version = ParameterVersion(version: 0, type: .secureString, description: nil, keyID: nil, allowedPattern: nil, tier: "Standard",
                                       dataType: "text", labels: [], lastModifiedDate: result.version.createdDate,
                                       lastModifiedUser: "", policies: nil)
        return ParameterResult(name: name, arn: result.secret.arn, version: version, value: value, selector: nil,
                               source: result)
    }

    public func getParameters(_ names: [String], withDecryption: Bool, context caller: CallerContext) async throws
        -> (parameters: [ParameterResult], invalid: [String])
    {
        var found: [ParameterResult] = []
        var invalid: [String] = []
        for name in names where !found.contains(where: { ($0.name + ($0.selector ?? "")) == name }) && !invalid.contains(name) {
            do {
                found.append(try await getParameter(name, withDecryption: withDecryption, context: caller))
            } catch let error as CofferError where [.parameterNotFound, .parameterVersionNotFound, .validation].contains(error.code) {
                invalid.append(name)
            }
        }
        return (found, invalid)
    }

    public func getParametersByPath(_ path: String, recursive: Bool, filters: [ParameterFilter], withDecryption: Bool,
                                    maxResults: Int?, nextToken: String?, context caller: CallerContext) async throws
        -> (parameters: [ParameterResult], nextToken: String?)
    {
        let scope = caller.scope
        guard path.hasPrefix("/") else {
            throw CofferError.validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.")
        }
        if path.split(separator: "/").count > ParameterRules.maximumDepth {
            throw CofferError(.hierarchyLevelLimitExceeded, "A hierarchy can have a maximum of \(ParameterRules.maximumDepth) levels.")
        }
        try ParameterFilter.validate(filters, byPath: true)
        if path.hasPrefix(PublicParameters.prefix) {
            let page = try Pagination.page(PublicParameters.under(path, recursive: recursive), size: maxResults ?? 10, token: nextToken)
            return (page.items.map { Self.publicResult($0.name, $0.value, scope: scope) }, page.nextToken)
        }
        let now = clock.now()
        let after = try Self.nameCursor(nextToken)
        let page = try await store.page(Self.pathQuery(path, recursive: recursive, scope: scope, now: now, after: after, limit: maxResults ?? 10) {
            parameter, latest in filters.allSatisfy { $0.matches(name: parameter.name, version: latest, tags: parameter.tags) }
        })
        let nextPageToken = Self.nameToken(page.next)
        var results: [ParameterResult] = []
        for parameter in page.records {
            guard let latest = parameter.latest else { continue }
            results.append(ParameterResult(name: parameter.name, arn: parameter.arn, version: latest,
                                           value: try await value(of: parameter, latest, decrypt: withDecryption, scope: scope),
                                           selector: nil, source: nil))
        }
        return (results, nextPageToken)
    }

    /// What every name under `path` begins with (nil for the root, under which names need not begin with `/`).
    static func namePrefix(ofPath path: String) -> String? {
        let directory = ParameterFilter.directory(of: path)
        return directory == "/" ? nil : directory
    }

    /// NextToken for pages read in name order (GetParametersByPath, DescribeParameters).
    static func nameCursor(_ token: String?) throws(CofferError) -> RecordCursor? {
        guard let token else { return nil }
        return try RecordPageToken.cursor(token, order: RecordOrder.name.rawValue, descending: false)
    }

    static func nameToken(_ cursor: RecordCursor?) -> String? {
        cursor.map { RecordPageToken.token($0, order: RecordOrder.name.rawValue, descending: false) }
    }

    /// The live parameters under a path, in name order, read through the store's name index from the
    /// path's prefix: a page costs what the path holds, not what the region holds (every call read
    /// and filtered the whole region before: 2.4 ms with 10 parameters, 57 ms beside 3,000 others).
    /// Names below the root begin with `/` (the name rules), so `/a/b`'s parameters all begin with
    /// `/a/b/`; the root's path reads everything.
    static func pathQuery(_ path: String, recursive: Bool, scope: ResourceScope, now: Date, after: RecordCursor?, limit: Int,
                          accept: @escaping @Sendable (Parameter, ParameterVersion) -> Bool = { _, _ in true }) -> RecordQuery<Parameter> {
        let pathFilter = ParameterFilter(key: "Path", option: recursive ? "Recursive" : "OneLevel", values: [path])
        return RecordQuery(scope: scope, order: .name, after: after, namePrefix: namePrefix(ofPath: path), limit: limit) { parameter in
            guard parameter.deletionDate.map({ $0 > now }) ?? true, let latest = parameter.latest, pathFilter.matchesPath(parameter.name)
            else { return false }
            return accept(parameter, latest)
        }
    }

    /// For authorization: a parameter's newest version, if it exists.
    public func latestVersion(_ name: String, scope: ResourceScope) async throws -> ParameterVersion? {
        try await find(name, scope)?.latest
    }

    /// For authorization: the keys of the SecureStrings a path read would decrypt.
    public func secureKeyIDs(under path: String, recursive: Bool, scope: ResourceScope) async throws -> [String?] {
        var keyIDs: [String?] = []
        var after: RecordCursor?
        repeat {
            let page = try await store.page(Self.pathQuery(path, recursive: recursive, scope: scope, now: clock.now(), after: after, limit: 500) {
                _, latest in latest.type == .secureString
            })
            keyIDs += page.records.map { $0.latest?.keyID }
            after = page.next
        } while after != nil
        return keyIDs
    }

    // MARK: Delete, describe, history

    public func deleteParameter(_ name: String, context caller: CallerContext) async throws {
        let parameter = try await require(name, caller.scope)
        try await store.removeRecord(arn: parameter.arn)
    }

    public func deleteParameters(_ names: [String], context caller: CallerContext) async throws -> (deleted: [String], invalid: [String]) {
        var deleted: [String] = []
        var invalid: [String] = []
        for name in names {
            if let parameter = try await find(name, caller.scope) {
                try await store.removeRecord(arn: parameter.arn)
                deleted.append(name)
            } else {
                invalid.append(name)
            }
        }
        return (deleted, invalid)
    }

    public func describeParameters(filters: [ParameterFilter], parameterFilters: [ParameterFilter], maxResults: Int?,
                                   nextToken: String?, context caller: CallerContext) async throws
        -> (parameters: [Parameter], nextToken: String?)
    {
        if !filters.isEmpty, !parameterFilters.isEmpty {
            throw CofferError.validation("You can use either Filters or ParameterFilters in a single request.")
        }
        try ParameterFilter.validate(parameterFilters, byPath: false)
        let all = filters + parameterFilters
        // In name order through the store's index, a page at a time (as GetParametersByPath), from the
        // path's prefix when one Path filter names one path.
        let paths = all.filter { $0.key == "Path" }
        let prefix = paths.count == 1 && paths[0].values.count == 1 ? Self.namePrefix(ofPath: paths[0].values[0]) : nil
        let now = clock.now()
        let after = try Self.nameCursor(nextToken)
        let page = try await store.page(RecordQuery<Parameter>(scope: caller.scope, order: .name, after: after, namePrefix: prefix,
                                                               limit: maxResults ?? 10) { parameter in
            guard parameter.deletionDate.map({ $0 > now }) ?? true, let latest = parameter.latest else { return false }
            return all.allSatisfy { $0.matches(name: parameter.name, version: latest, tags: parameter.tags) }
        })
        return (page.records, Self.nameToken(page.next))
    }

    public func history(_ name: String, withDecryption: Bool, maxResults: Int?, nextToken: String?, context caller: CallerContext)
        async throws -> (parameter: Parameter, versions: [(ParameterVersion, String)], nextToken: String?)
    {
        let parameter = try await require(name, caller.scope)
        let page = try Pagination.page(parameter.versions, size: maxResults ?? 50, token: nextToken)
        var versions: [(ParameterVersion, String)] = []
        for version in page.items {
            versions.append((version, try await value(of: parameter, version, decrypt: withDecryption, scope: caller.scope)))
        }
        return (parameter, versions, page.nextToken)
    }

    // MARK: Labels and tags

    @discardableResult
    private func change(_ name: String, _ scope: ResourceScope, _ apply: @escaping @Sendable (inout Parameter) throws -> Void)
        async throws -> Parameter
    {
        try await updating(store, in: scope, read: { try await require(name, scope) }, apply)
    }

    public func labelParameterVersion(_ name: String, version: Int?, labels: [String], context caller: CallerContext) async throws
        -> (invalid: [String], version: Int)
    {
        let invalid = labels.filter { !ParameterRules.isValidLabel($0) }
        let valid = labels.filter(ParameterRules.isValidLabel)
        let parameter = try await change(name, caller.scope) { parameter in
            let number = version ?? parameter.latest?.version ?? 1
            guard let index = parameter.versions.firstIndex(where: { $0.version == number }) else {
                throw Self.versionNotFound(number, name)
            }
            let adding = valid.filter { !parameter.versions[index].labels.contains($0) }
            if parameter.versions[index].labels.count + adding.count > ParameterRules.maximumLabelsPerVersion {
                throw CofferError(.parameterVersionLabelLimitExceeded, "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.")
            }
            for other in parameter.versions.indices where other != index {
                parameter.versions[other].labels.removeAll { adding.contains($0) }
            }
            parameter.versions[index].labels += adding
        }
        return (invalid, version ?? parameter.latest?.version ?? 1)
    }

    public func unlabelParameterVersion(_ name: String, version: Int, labels: [String], context caller: CallerContext) async throws
        -> (removed: [String], invalid: [String])
    {
        let parameter = try await require(name, caller.scope)
        guard let current = parameter.version(version) else { throw Self.versionNotFound(version, name) }
        let removed = labels.filter { current.labels.contains($0) }
        let invalid = labels.filter { !current.labels.contains($0) }
        if !removed.isEmpty {
            try await change(name, caller.scope) { parameter in
                if let index = parameter.versions.firstIndex(where: { $0.version == version }) {
                    parameter.versions[index].labels.removeAll { removed.contains($0) }
                }
            }
        }
        return (removed, invalid)
    }

    private func taggable(_ type: String, _ id: String) throws(CofferError) -> String {
        // Coffer holds no documents, instances or windows, so an id of those types names nothing.
        guard type == "Parameter" else {
            throw CofferError(.invalidResourceID, "The resource ID \"\(id)\" is not valid. Verify the ID and try again.")
        }
        return id
    }

    private func tagged(_ name: String, _ scope: ResourceScope, _ apply: @escaping @Sendable (inout Parameter) throws -> Void) async throws {
        do {
            try await change(name, scope, apply)
        } catch let error as CofferError where error.code == .parameterNotFound {
            throw CofferError(.invalidResourceID, "The resource ID \"\(name)\" is not valid. Verify the ID and try again.")
        }
    }

    public func addTags(resourceType: String, resourceID: String, tags: [Tag], context caller: CallerContext) async throws {
        let name = try taggable(resourceType, resourceID)
        try ParameterValidation.tags(tags)
        try await tagged(name, caller.scope) { parameter in
            parameter.tags.merge(tags)
            if parameter.tags.count > ParameterValidation.maximumTags {
                throw CofferError(.tooManyTags, "You exceeded the maximum number of tags (\(ParameterValidation.maximumTags)) for the resource.")
            }
        }
    }

    public func removeTags(resourceType: String, resourceID: String, keys: [String], context caller: CallerContext) async throws {
        let name = try taggable(resourceType, resourceID)
        try await tagged(name, caller.scope) { parameter in parameter.tags.removeAll { keys.contains($0.key) } }
    }

    public func listTags(resourceType: String, resourceID: String, context caller: CallerContext) async throws -> [Tag] {
        let name = try taggable(resourceType, resourceID)
        guard let parameter = try await find(name, caller.scope) else {
            throw CofferError(.invalidResourceID, "The resource ID \"\(name)\" is not valid. Verify the ID and try again.")
        }
        return parameter.tags
    }
}

enum ParameterValidation {
    static let maximumTags = 50

    static func tags(_ tags: [Tag]) throws(CofferError) {
        if tags.count > maximumTags {
            throw CofferError(.tooManyTags, "You exceeded the maximum number of tags (\(maximumTags)) for the resource.")
        }
        for tag in tags where tag.key.lowercased().hasPrefix("aws:") {
            throw CofferError.validation("Tag keys can't start with the reserved prefix aws:.")
        }
    }

    /// AllowedPattern: the whole value must match the regular expression.
    static func check(_ value: String, against pattern: String) throws(CofferError) {
        let regex: NSRegularExpression
        do { regex = try NSRegularExpression(pattern: pattern) } catch {
            throw CofferError(.invalidAllowedPattern, "The allowed pattern \(pattern) is not valid.")
        }
        let range = NSRange(value.startIndex..., in: value)
        guard let match = regex.firstMatch(in: value, options: [.anchored], range: range), match.range == range else {
            throw CofferError(.parameterPatternMismatch, "Parameter value, cannot be validated against allowedPattern: \(pattern)")
        }
    }
}

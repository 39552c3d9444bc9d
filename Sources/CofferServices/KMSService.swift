public import CofferCore
public import CofferStorage
import Foundation
import Synchronization

/// AWS KMS's behaviour, free of HTTP: keys and their states, aliases, cryptography, rotation,
/// policies, grants and tags. Key material is sealed under the root key and opened only in memory.
public final class KMSService: Sendable {
    let store: any CofferStore
    let root: RootKey
    let clock: any WallClock
    let random: any RandomSource
    /// Opened material per key ARN and version, with the material's id: a version's material is made
    /// once, except imported material dropped before its rotation, whose version the next import
    /// takes (on this node or another), so a hit counts only when the key still names that material.
    /// Opened material by key ARN and version (a key of two fields: a string made of both cost an
    /// interpolation on every encryption and decryption).
    private struct MaterialKey: Hashable {
        let arn: String
        let version: UInt32
    }
    private let materials = Mutex<[MaterialKey: (id: String, material: [UInt8])]>([:])

    public init(store: any CofferStore, root: RootKey, clock: any WallClock, random: any RandomSource) {
        self.store = store
        self.root = root
        self.clock = clock
        self.random = random
    }

    /// The AWS services whose managed keys (`alias/aws/NAME`) AWS lists before they exist and creates on first
    /// use of the alias (DescribeKey included, as AWS's documentation says), with the name each key's
    /// description gives the service.
    static let managedServices: [(service: String, title: String)] = [
        ("acm", "ACM"), ("dynamodb", "DynamoDB"), ("ebs", "EBS"), ("elasticfilesystem", "EFS"), ("es", "Elasticsearch"),
        ("glue", "Glue"), ("kinesisvideo", "Kinesis Video"), ("lambda", "Lambda"), ("rds", "RDS"), ("redshift", "Redshift"),
        ("s3", "S3"), ("secretsmanager", "Secrets Manager"), ("ssm", "SSM"), ("xray", "X-Ray"),
    ]
    static let maximumOnDemandRotations = 10
    static let maximumPolicySize = 32_768

    // MARK: Resolving keys

    func keyARN(_ keyID: String, _ scope: ResourceScope) -> String {
        ARN(service: "kms", region: scope.region, account: scope.account, resource: "key/\(keyID)").description
    }

    func aliasARN(_ name: String, _ scope: ResourceScope) -> String {
        ARN(service: "kms", region: scope.region, account: scope.account, resource: name).description
    }

    /// Finds the key a KeyId names, creating an AWS-managed key on first use of its alias.
    /// `aliases: false` for the operations whose KeyId is a key ID or key ARN only (key management,
    /// policies, grants, tags, rotation): there an alias names no key.
    public func resolve(_ keyID: String, in scope: ResourceScope, aliases: Bool = true) async throws -> KMSKey {
        let reference = KeyReference(keyID)
        if !aliases, reference.isAlias { throw CofferError(.notFound, "Invalid keyId '\(keyID)'") }
        switch reference {
        case .keyID(let id):
            guard Self.isKeyID(id) else { throw CofferError(.notFound, "Invalid keyId '\(keyID)'") }
            return try await requireKey(id, scope)
        case .keyARN(let arn, let id):
            // AWS's answers for a key ARN of another account, and of another region.
            guard let parsed = ARN(arn), parsed.account == scope.account else { throw CofferError(.notFound, "Key '\(arn)' does not exist") }
            guard parsed.region == scope.region else { throw CofferError(.notFound, "Invalid arn \(parsed.region)") }
            // AWS names the malformed id alone, without quotes (Floci's KMS tests, checked against AWS).
            guard Self.isKeyID(id) else { throw CofferError(.notFound, "Invalid keyId \(id)") }
            return try await requireKey(id, scope)
        case .aliasName(let name):
            return try await keyForAlias(name, scope)
        case .aliasARN(let arn, let name):
            guard let parsed = ARN(arn), parsed.account == scope.account, parsed.region == scope.region else {
                throw CofferError(.notFound, "Alias \(arn) is not found.")
            }
            return try await keyForAlias(name, scope)
        }
    }

    /// A key id is a UUID (any case), or a multi-Region key's `mrk-` and 32 hex digits. Checked on
    /// bytes: Foundation's `UUID(uuidString:)` runs `sscanf` on Linux, and this runs for every envelope a read opens.
    static func isKeyID(_ text: String) -> Bool {
        guard text.utf8.count == 36 else { return false }
        // Over the contiguous bytes: every KMS call and every sealed read asks this, and stepping a
        // UTF-8 view through `enumerated()` cost ~100 instructions a byte.
        return text.withUTF8Bytes { bytes in
            if bytes[0] == UInt8(ascii: "m"), bytes[1] == UInt8(ascii: "r"), bytes[2] == UInt8(ascii: "k"), bytes[3] == UInt8(ascii: "-") {
                return bytes[4...].allSatisfy(Hex.isDigit)
            }
            for index in 0..<36 {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard bytes[index] == UInt8(ascii: "-") else { return false }
                } else {
                    guard Hex.isDigit(bytes[index]) else { return false }
                }
            }
            return true
        }
    }

    private func requireKey(_ id: String, _ scope: ResourceScope) async throws -> KMSKey {
        guard let key = try await liveKey(id, scope) else {
            throw CofferError(.notFound, "Key '\(keyARN(id, scope))' does not exist")
        }
        return key
    }

    /// A key, unless its deletion date has passed (then it is removed now, before the purge does);
    /// imported material past its ValidTo is deleted now too.
    private func liveKey(_ id: String, _ scope: ResourceScope) async throws -> KMSKey? {
        guard let key = try await store.record(KMSKey.self, named: id.lowercasedIfNeeded, in: scope) else { return nil }
        if let due = key.deletionDate, due <= clock.now() {
            try await removeKey(key, scope)
            return nil
        }
        if let expiry = key.nextMaterialExpiry, expiry <= clock.now() {
            return try await expireImportedMaterial(key, scope)
        }
        return key
    }

    private func keyForAlias(_ name: String, _ scope: ResourceScope) async throws -> KMSKey {
        if let alias = try await store.record(KMSAlias.self, named: name, in: scope),
            let key = try await liveKey(alias.targetKeyID, scope)
        {
            return key
        }
        if let service = Self.managedService(alias: name) {
            return try await managedKey(service: service, in: scope)
        }
        throw CofferError(.notFound, "Alias \(aliasARN(name, scope)) is not found.")
    }

    /// The AWS-managed key of `service` (`alias/aws/secretsmanager`, `alias/aws/ssm`), made on first use.
    public func managedKey(service: String, in scope: ResourceScope) async throws -> KMSKey {
        let aliasName = "alias/aws/\(service)"
        if let alias = try await store.record(KMSAlias.self, named: aliasName, in: scope),
            let key = try await store.record(KMSKey.self, named: alias.targetKeyID, in: scope)
        {
            return key
        }
        // Made by the service, not by the caller: recorded as KMS service events, apart from the call's own record.
        let events = ServiceEvents.scope(source: "kms.amazonaws.com", invokedBy: "\(service).amazonaws.com", random: random, time: clock.now) {
            guard $0.creation else { return nil }
            return $0.kind == KMSKey.kind ? "CreateKey" : $0.kind == KMSAlias.kind ? "CreateAlias" : nil
        }
        return try await AuditScope.$current.withValue(events) { try await makeManagedKey(service: service, aliasName: aliasName, in: scope) }
    }

    private func makeManagedKey(service: String, aliasName: String, in scope: ResourceScope) async throws -> KMSKey {
        while true {
            if let alias = try await store.record(KMSAlias.self, named: aliasName, in: scope),
                let key = try await store.record(KMSKey.self, named: alias.targetKeyID, in: scope)
            {
                return key
            }
            let key = try await makeKey(
                spec: .symmetricDefault, usage: .encryptDecrypt,
                description: "Default key that protects my \(Self.serviceTitle(service)) data when no other key is defined",
                policy: KeyPolicies.awsManaged(account: scope.account, service: service, region: scope.region),
                keyManager: "AWS", tags: [], scope: scope)
            // AWS rotates its managed keys every year.
            var rotating = key
            rotating.rotationEnabled = true
            rotating.rotationPeriodDays = 365
            rotating.nextRotationDate = key.creationDate.addingTimeInterval(365 * 86_400)
            rotating.revision += 1
            try await store.write(RecordWrite(.update(expectedRevision: key.revision), scope: scope, record: rotating))
            do {
                try await store.write(RecordWrite(.create, scope: scope, record: KMSAlias(
                    arn: aliasARN(aliasName, scope), name: aliasName, targetKeyID: key.keyID, date: clock.now())))
                return rotating
            } catch StorageError.nameTaken {
                // Another request made it first; drop ours and use theirs.
                try await store.removeRecord(arn: key.arn)
            }
        }
    }

    static func serviceTitle(_ service: String) -> String {
        managedServices.first { $0.service == service }?.title ?? service
    }

    /// The service whose managed key `alias` (`alias/aws/NAME`) names, if AWS keeps that alias.
    static func managedService(alias: String) -> String? {
        guard alias.hasPrefix("alias/aws/") else { return nil }
        let service = String(alias.dropFirst("alias/aws/".count))
        return managedServices.contains { $0.service == service } ? service : nil
    }

    // MARK: Material

    func materialContext(_ arn: String, _ version: UInt32) -> String { "\(arn)\n\(version)" }

    /// Drops opened material that was deleted (imported material, whose key now waits for an import).
    func forgetMaterial(_ key: KMSKey) {
        materials.withLock { opened in
            for version in key.materials.map(\.version) { opened[MaterialKey(arn: key.arn, version: version)] = nil }
        }
    }

    func material(_ key: KMSKey, version: UInt32) async throws -> [UInt8] {
        let cacheKey = MaterialKey(arn: key.arn, version: version)
        let id = key.materials.last { $0.version == version }?.materialID ?? ""
        if let open = materials.withLock({ $0[cacheKey] }), open.id == id { return open.material }
        guard let sealed = try await store.sealedValue(arn: key.arn, versionID: KMSKey.materialID(version)) else {
            throw CofferError(.invalidCiphertext, "")
        }
        let open = try root.open(sealed, purpose: "kms-material", context: materialContext(key.arn, version))
        materials.withLock { $0[cacheKey] = (id, open) }
        return open
    }

    private func newMaterial(_ key: KMSKey, version: UInt32, rotationType: String?) throws -> (KeyMaterialVersion, [UInt8]) {
        let material = try KeyCrypto.generateMaterial(key.keySpec, random: random)
        let sealed = try root.seal(material, purpose: "kms-material", context: materialContext(key.arn, version))
        let id = Hex.encode(random.bytes(32))
        return (KeyMaterialVersion(version: version, materialID: id, createdDate: clock.now(), rotationType: rotationType), sealed)
    }

    // MARK: Keys

    /// A new key with its first material, or, for `origin: .external`, with none: it waits for an import.
    private func makeKey(spec: KeySpec, usage: KeyUsage, description: String, policy: String, keyManager: String,
                         tags: [Tag], origin: KeyOrigin = .awsKMS, scope: ResourceScope) async throws -> KMSKey {
        let id = random.uuidString()
        var key = KMSKey(arn: keyARN(id, scope), keyID: id, spec: spec, usage: usage, description: description,
                         policy: policy, keyManager: keyManager, creationDate: clock.now())
        key.tags = tags
        var values: [(versionID: String, sealed: [UInt8])] = []
        if origin == .external {
            key.origin = .external
            key.state = .pendingImport
        } else {
            let (version, sealed) = try newMaterial(key, version: 1, rotationType: nil)
            key.materials = [version]
            values = [(KMSKey.materialID(1), sealed)]
        }
        try await noteScope(scope)
        try await store.write(RecordWrite(.create, scope: scope, record: key, newValues: values))
        return key
    }

    /// CreateKey's checks, shared by single- and multi-Region keys: the usage the spec allows (its first by default).
    func newKeyUsage(spec: KeySpec, usage: KeyUsage?, policy: String?, tags: [Tag]) throws -> KeyUsage {
        let usage = usage ?? spec.allowedUsages[0]
        guard spec.allowedUsages.contains(usage) else {
            throw CofferError(.validation, "KeyUsage \(usage.rawValue) is not compatible with KeySpec \(spec.rawValue).")
        }
        try KMSValidation.tags(tags)
        if let policy { try KMSValidation.policy(policy) }
        return usage
    }

    public func createKey(spec: KeySpec, usage: KeyUsage?, description: String, policy: String?, tags: [Tag],
                          origin: KeyOrigin = .awsKMS, in scope: ResourceScope) async throws -> KMSKey {
        let usage = try newKeyUsage(spec: spec, usage: usage, policy: policy, tags: tags)
        return try await makeKey(spec: spec, usage: usage, description: description,
                                 policy: policy ?? KeyPolicies.default(account: scope.account, region: scope.region),
                                 keyManager: "CUSTOMER", tags: tags, origin: origin, scope: scope)
    }

    public func describeKey(_ keyID: String, in scope: ResourceScope) async throws -> KMSKey {
        try await resolve(keyID, in: scope)
    }

    public func listKeys(limit: Int?, marker: String?, in scope: ResourceScope) async throws -> (keys: [KMSKey], nextMarker: String?) {
        let keys = try await store.records(KMSKey.self, in: scope).filter { $0.deletionDate.map { $0 > clock.now() } ?? true }
        let page = try Pagination.page(keys, size: limit ?? 100, token: marker, invalid: .invalidMarker)
        return (page.items, page.nextToken)
    }

    /// Applies `change` to the key that `keyID` names and stores it; AWS-managed keys refuse changes.
    @discardableResult
    func changeKey(_ keyID: String, in scope: ResourceScope, allowManaged: Bool = false,
                   _ change: @escaping @Sendable (inout KMSKey) throws -> Void) async throws -> KMSKey {
        try await updating(store, in: scope, read: {
            let key = try await resolve(keyID, in: scope, aliases: false)
            if key.keyManager == "AWS", !allowManaged {
                throw CofferError(.unsupportedOperation, "\(key.arn) is an AWS managed key and cannot be modified.")
            }
            return key
        }, change)
    }

    public func updateKeyDescription(_ keyID: String, description: String, in scope: ResourceScope) async throws {
        try await changeKey(keyID, in: scope) { key in
            try Self.requireNotPendingDeletion(key)
            key.description = description
        }
    }

    public func enableKey(_ keyID: String, in scope: ResourceScope) async throws {
        try await changeKey(keyID, in: scope) { key in
            try Self.requireNotPendingDeletion(key)
            try Self.requireNotPendingImport(key)
            key.state = .enabled
        }
    }

    public func disableKey(_ keyID: String, in scope: ResourceScope) async throws {
        try await changeKey(keyID, in: scope) { key in
            try Self.requireNotPendingDeletion(key)
            try Self.requireNotPendingImport(key)
            key.state = .disabled
        }
    }

    public func scheduleKeyDeletion(_ keyID: String, pendingWindowDays: Int?, in scope: ResourceScope) async throws -> KMSKey {
        let days = pendingWindowDays ?? 30
        guard (7...30).contains(days) else {
            throw CofferError.validation("1 validation error detected: Value '\(days)' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value \(days < 7 ? "greater than or equal to 7" : "less than or equal to 30")")
        }
        let now = clock.now()
        // A primary multi-Region key waits for its replicas: its waiting period starts when the last is deleted.
        let current = try await resolve(keyID, in: scope, aliases: false)
        let replicas = current.replicaRegions?.isEmpty == false ? try await multiRegionMembers(of: current, account: scope.account).replicas : []
        return try await changeKey(keyID, in: scope) { key in
            try Self.requireNotPendingDeletion(key)
            key.pendingWindowDays = days
            if replicas.isEmpty {
                key.state = .pendingDeletion
                key.deletionDate = now.addingTimeInterval(Double(days) * 86_400)
            } else {
                key.state = .pendingReplicaDeletion
                key.deletionDate = nil
            }
        }
    }

    public func cancelKeyDeletion(_ keyID: String, in scope: ResourceScope) async throws -> KMSKey {
        try await changeKey(keyID, in: scope) { key in
            guard key.state.isPendingDeletion else {
                throw CofferError(.keyInvalidState, "\(key.arn) is not pending deletion.")
            }
            // AWS leaves a key whose deletion was cancelled disabled, or waiting for its material.
            key.state = key.origin == .external && !key.holdsImportedMaterial ? .pendingImport : .disabled
            key.pendingWindowDays = nil
            key.deletionDate = nil
        }
    }

    static func requireNotPendingDeletion(_ key: KMSKey) throws(CofferError) {
        if let refused = pendingDeletionError(key) { throw refused }
    }

    /// KMSInvalidStateException for a key waiting to be deleted (or for its replicas to be).
    static func pendingDeletionError(_ key: KMSKey) -> CofferError? {
        switch key.state {
        case .pendingDeletion: CofferError(.keyInvalidState, "\(key.arn) is pending deletion.")
        case .pendingReplicaDeletion: CofferError(.keyInvalidState, "\(key.arn) is pending replica deletion.")
        case .enabled, .disabled, .pendingImport: nil
        }
    }

    static func requireNotPendingImport(_ key: KMSKey) throws(CofferError) {
        if key.state == .pendingImport { throw CofferError(.keyInvalidState, "\(key.arn) is pending import.") }
    }

    /// Checks that `key` may be used for a cryptographic operation now.
    /// The key's usage, then its state: AWS names a wrong usage even on a disabled key or one pending
    /// deletion (Floci's KMS tests, checked against AWS).
    static func requireUsable(_ key: KMSKey, usage: KeyUsage, operation: String) throws(CofferError) {
        guard key.keyUsage == usage else {
            throw CofferError(.invalidKeyUsage, "\(key.arn) key usage is \(key.keyUsage.rawValue) which is not valid for \(operation).")
        }
        try requireEnabled(key)
    }

    static func requireEnabled(_ key: KMSKey) throws(CofferError) {
        switch key.state {
        case .disabled: throw CofferError(.disabled, "\(key.arn) is disabled.")
        case .pendingDeletion, .pendingReplicaDeletion: try requireNotPendingDeletion(key)
        case .pendingImport: try requireNotPendingImport(key)
        case .enabled: break
        }
    }

    private func removeKey(_ key: KMSKey, _ scope: ResourceScope) async throws {
        for alias in try await store.records(KMSAlias.self, in: scope) where alias.targetKeyID == key.keyID {
            try await store.removeRecord(arn: alias.arn)
        }
        try await store.removeRecord(arn: key.arn)
    }

    /// Removes keys whose waiting period ended and rotates keys that are due; the background job calls it.
    public func runMaintenance() async throws -> (deleted: Int, rotated: Int) {
        let now = clock.now()
        var deleted = 0
        for due in try await store.recordsDue(forDeletionAt: now) where due.kind == KMSKey.kind {
            guard let key = try await store.record(KMSKey.self, arn: due.arn), let arn = ARN(due.arn) else { continue }
            try await removeKey(key, ResourceScope(account: arn.account, region: arn.region))
            try await replicaRemoved(key, account: arn.account, region: arn.region, now: now)
            deleted += 1
        }
        try await expireDueMaterial(now: now)
        return (deleted, try await rotateDueKeys(now: now))
    }

    // MARK: Aliases

    public func createAlias(_ name: String, targetKeyID: String, in scope: ResourceScope) async throws {
        try KMSValidation.aliasName(name)
        let key = try await targetKey(targetKeyID, scope)
        do {
            try await store.write(RecordWrite(.create, scope: scope, record: KMSAlias(
                arn: aliasARN(name, scope), name: name, targetKeyID: key.keyID, date: clock.now())))
        } catch StorageError.nameTaken {
            throw CofferError(.alreadyExists, "An alias with the name \(aliasARN(name, scope)) already exists")
        }
    }

    private func targetKey(_ targetKeyID: String, _ scope: ResourceScope) async throws -> KMSKey {
        if KeyReference(targetKeyID).isAlias {
            throw CofferError(.validation, "Aliases must refer to keys. Not aliases")
        }
        let key = try await resolve(targetKeyID, in: scope)
        if key.keyManager == "AWS" {
            throw CofferError(.unsupportedOperation, "\(key.arn) is an AWS managed key; aliases cannot point to it.")
        }
        try Self.requireNotPendingDeletion(key)
        return key
    }

    public func updateAlias(_ name: String, targetKeyID: String, in scope: ResourceScope) async throws {
        try KMSValidation.aliasName(name)
        guard var alias = try await store.record(KMSAlias.self, named: name, in: scope) else {
            throw CofferError(.notFound, "Alias \(aliasARN(name, scope)) is not found.")
        }
        let key = try await targetKey(targetKeyID, scope)
        if let current = try await liveKey(alias.targetKeyID, scope), current.keyUsage != key.keyUsage || current.keyUsage == .signVerify && current.keySpec != key.keySpec {
            throw CofferError(.validation, "Alias \(alias.arn) cannot be changed from a key of usage \(current.keyUsage.rawValue) to \(key.keyUsage.rawValue).")
        }
        let expected = alias.revision
        alias.targetKeyID = key.keyID
        alias.lastUpdatedDate = clock.now()
        alias.revision += 1
        try await store.write(RecordWrite(.update(expectedRevision: expected), scope: scope, record: alias))
    }

    public func deleteAlias(_ name: String, in scope: ResourceScope) async throws {
        try KMSValidation.aliasName(name)
        guard let alias = try await store.record(KMSAlias.self, named: name, in: scope) else {
            throw CofferError(.notFound, "Alias \(aliasARN(name, scope)) is not found.")
        }
        try await store.removeRecord(arn: alias.arn)
    }

    /// A ListAliases entry: an alias, or a name AWS keeps for a managed key that is not made yet (no target).
    public struct AliasListing: Sendable {
        public let name: String
        public let arn: String
        public let alias: KMSAlias?
    }

    /// The aliases AWS lists in every account and Region before their managed keys exist.
    static let predefinedAliases = managedServices.map { "alias/aws/\($0.service)" }

    public func listAliases(keyID: String?, limit: Int?, marker: String?, in scope: ResourceScope)
        async throws -> (aliases: [AliasListing], nextMarker: String?)
    {
        let aliases = try await store.records(KMSAlias.self, in: scope)
        var listings = aliases.map { AliasListing(name: $0.name, arn: $0.arn, alias: $0) }
        if let keyID {
            let key = try await resolve(keyID, in: scope, aliases: false)
            listings.removeAll { $0.alias?.targetKeyID != key.keyID }
        } else {
            let made = Set(aliases.map(\.name))
            listings += Self.predefinedAliases.filter { !made.contains($0) }.map { AliasListing(name: $0, arn: aliasARN($0, scope), alias: nil) }
        }
        let page = try Pagination.page(listings.sorted { $0.name < $1.name }, size: limit ?? 50, token: marker, invalid: .invalidMarker)
        return (page.items, page.nextToken)
    }

    // MARK: Symmetric cryptography

    public func encrypt(_ keyID: String, plaintext: [UInt8], context: [String: String], algorithm: String?,
                        in scope: ResourceScope) async throws -> (blob: [UInt8], key: KMSKey, algorithm: String) {
        let key = try await resolve(keyID, in: scope)
        try Self.requireUsable(key, usage: .encryptDecrypt, operation: "Encrypt")
        let algorithm = algorithm ?? "SYMMETRIC_DEFAULT"
        guard key.keySpec.encryptionAlgorithms(for: key.keyUsage).contains(algorithm) else {
            throw CofferError(.invalidKeyUsage, "Algorithm \(algorithm) is incompatible with key spec \(key.keySpec.rawValue).")
        }
        guard let current = key.currentMaterial else { throw CofferError(.internalFailure, "key has no material") }
        let material = try await material(key, version: current.version)
        if key.keySpec == .symmetricDefault {
            let blob = try KMSCiphertext.seal(plaintext, keyID: key.keyID, version: current.version, material: material, context: context)
            return (blob, key, algorithm)
        }
        guard context.isEmpty else {
            throw CofferError(.validation, "EncryptionContext is not supported with asymmetric keys.")
        }
        return (try KeyCrypto.rsaEncrypt(material: material, plaintext: plaintext, algorithm: algorithm), key, algorithm)
    }

    public func decrypt(_ blob: [UInt8], keyID: String?, context: [String: String], algorithm: String?,
                        in scope: ResourceScope) async throws -> (plaintext: [UInt8], key: KMSKey, algorithm: String) {
        if let header = try? KMSCiphertext.header(of: blob) {
            let key = try await keyForCiphertext(header.keyID, scope)
            if let keyID {
                let named = try await resolve(keyID, in: scope)
                guard named.keyID == key.keyID else {
                    throw CofferError(.incorrectKey, "The key ID in the request does not identify a CMK that can perform this operation.")
                }
            }
            try Self.requireUsable(key, usage: .encryptDecrypt, operation: "Decrypt")
            if let algorithm, algorithm != "SYMMETRIC_DEFAULT" { throw CofferError(.incorrectKey, "The key ID in the request does not identify a CMK that can perform this operation.") }
            guard key.decrypts(version: header.version) else { throw CofferError(.invalidCiphertext, "") }
            let material = try await material(key, version: header.version)
            return (try KMSCiphertext.open(blob, material: material, context: context), key, "SYMMETRIC_DEFAULT")
        }
        // Not a symmetric blob: only an asymmetric key named in the request can open it.
        guard let keyID else { throw CofferError(.invalidCiphertext, "") }
        let key = try await resolve(keyID, in: scope)
        try Self.requireUsable(key, usage: .encryptDecrypt, operation: "Decrypt")
        guard key.keySpec.isRSA else { throw CofferError(.invalidCiphertext, "") }
        guard let algorithm, key.keySpec.encryptionAlgorithms(for: key.keyUsage).contains(algorithm) else {
            throw CofferError(.invalidCiphertext, "")
        }
        let material = try await material(key, version: key.currentMaterial?.version ?? 1)
        return (try KeyCrypto.rsaDecrypt(material: material, ciphertext: blob, algorithm: algorithm), key, algorithm)
    }

    /// The key a ciphertext names; a key that no longer exists makes the ciphertext unusable.
    private func keyForCiphertext(_ keyID: String, _ scope: ResourceScope) async throws -> KMSKey {
        guard let key = try await liveKey(keyID, scope) else { throw CofferError(.invalidCiphertext, "") }
        return key
    }

    public func reEncrypt(_ blob: [UInt8], sourceKeyID: String?, sourceContext: [String: String], sourceAlgorithm: String?,
                          destinationKeyID: String, destinationContext: [String: String], destinationAlgorithm: String?,
                          in scope: ResourceScope) async throws
        -> (blob: [UInt8], sourceKey: KMSKey, key: KMSKey, sourceAlgorithm: String, algorithm: String)
    {
        let opened = try await decrypt(blob, keyID: sourceKeyID, context: sourceContext, algorithm: sourceAlgorithm, in: scope)
        let sealed = try await encrypt(destinationKeyID, plaintext: opened.plaintext, context: destinationContext,
                                       algorithm: destinationAlgorithm, in: scope)
        return (sealed.blob, opened.key, sealed.key, opened.algorithm, sealed.algorithm)
    }

    /// `operation` is GenerateDataKey or GenerateDataKeyWithoutPlaintext, which AWS names in its key usage error.
    public func generateDataKey(_ keyID: String, numberOfBytes: Int?, keySpec: String?, context: [String: String],
                                operation: String = "GenerateDataKey",
                                in scope: ResourceScope) async throws -> (plaintext: [UInt8], blob: [UInt8], key: KMSKey) {
        let count: Int
        switch (numberOfBytes, keySpec) {
        case (nil, "AES_256"?): count = 32
        case (nil, "AES_128"?): count = 16
        case (let n?, nil): count = n
        case (_?, _?): throw CofferError.validation("Please specify either number of bytes or key spec.")
        default: throw CofferError.validation("Please specify either number of bytes or key spec.")
        }
        let key = try await resolve(keyID, in: scope)
        guard key.keySpec == .symmetricDefault else {
            try Self.requireUsable(key, usage: .encryptDecrypt, operation: operation)
            throw CofferError(.invalidKeyUsage, "You cannot generate a data key with an asymmetric CMK")
        }
        let plaintext = random.bytes(count)
        let sealed = try await encrypt(keyID, plaintext: plaintext, context: context, algorithm: nil, in: scope)
        return (plaintext, sealed.blob, sealed.key)
    }

    public func generateDataKeyPair(_ keyID: String, pairSpec: String, context: [String: String], in scope: ResourceScope)
        async throws -> (privateKey: [UInt8], blob: [UInt8], publicKey: [UInt8], key: KMSKey)
    {
        guard let spec = KeySpec(rawValue: pairSpec), spec.isAsymmetric else {
            throw CofferError(.unsupportedOperation, "KeyPairSpec \(pairSpec) is not supported.")
        }
        let key = try await resolve(keyID, in: scope)
        guard key.keySpec == .symmetricDefault else {
            throw CofferError(.invalidKeyUsage, "\(key.arn) key usage is \(key.keyUsage.rawValue) which is not valid for GenerateDataKeyPair.")
        }
        try Self.requireUsable(key, usage: .encryptDecrypt, operation: "GenerateDataKeyPair")
        let pair = try KeyCrypto.dataKeyPair(spec)
        let sealed = try await encrypt(keyID, plaintext: pair.privateKey, context: context, algorithm: nil, in: scope)
        return (pair.privateKey, sealed.blob, pair.publicKey, sealed.key)
    }

    public func generateRandom(_ count: Int) -> [UInt8] { random.bytes(count) }

    // MARK: MACs and signatures

    public func generateMac(_ keyID: String, message: [UInt8], algorithm: String, operation: String = "GenerateMac",
                            in scope: ResourceScope) async throws -> (mac: [UInt8], key: KMSKey)
    {
        let key = try await resolve(keyID, in: scope)
        try Self.requireUsable(key, usage: .generateVerifyMAC, operation: operation)
        guard key.keySpec.macAlgorithms.contains(algorithm) else {
            throw CofferError(.invalidKeyUsage, "Algorithm \(algorithm) is incompatible with key spec \(key.keySpec.rawValue).")
        }
        let material = try await material(key, version: key.currentMaterial?.version ?? 1)
        return (try KeyCrypto.mac(key.keySpec, material: material, message: message), key)
    }

    public func verifyMac(_ keyID: String, message: [UInt8], mac: [UInt8], algorithm: String, in scope: ResourceScope) async throws -> KMSKey {
        let computed = try await generateMac(keyID, message: message, algorithm: algorithm, operation: "VerifyMac", in: scope)
        guard constantTimeEquals(computed.mac, mac) else { throw CofferError(.invalidMAC, "") }
        return computed.key
    }

    public func sign(_ keyID: String, message: [UInt8], type: SigningMessageType, algorithm: String, in scope: ResourceScope) async throws
        -> (signature: [UInt8], key: KMSKey)
    {
        let key = try await signingKey(keyID, algorithm: algorithm, operation: "Sign", scope)
        let material = try await material(key, version: key.currentMaterial?.version ?? 1)
        return (try KeyCrypto.sign(key.keySpec, material: material, message: message, type: type, algorithm: algorithm), key)
    }

    public func verify(_ keyID: String, message: [UInt8], type: SigningMessageType, signature: [UInt8], algorithm: String,
                       in scope: ResourceScope) async throws -> KMSKey {
        let key = try await signingKey(keyID, algorithm: algorithm, operation: "Verify", scope)
        let material = try await material(key, version: key.currentMaterial?.version ?? 1)
        guard try KeyCrypto.verify(key.keySpec, material: material, message: message, type: type, algorithm: algorithm,
                                   signature: signature)
        else { throw CofferError(.invalidKeySignature, "") }
        return key
    }

    private func signingKey(_ keyID: String, algorithm: String, operation: String, _ scope: ResourceScope) async throws -> KMSKey {
        let key = try await resolve(keyID, in: scope)
        try Self.requireUsable(key, usage: .signVerify, operation: operation)
        guard key.keySpec.signingAlgorithms(for: key.keyUsage).contains(algorithm) else {
            throw CofferError(.invalidKeyUsage, "Algorithm \(algorithm) is incompatible with key spec \(key.keySpec.rawValue).")
        }
        return key
    }

    /// DeriveSharedSecret: ECDH of the key's private half with the peer's public key.
    public func deriveSharedSecret(_ keyID: String, peerPublicKey: [UInt8], in scope: ResourceScope) async throws -> (secret: [UInt8], key: KMSKey) {
        let key = try await resolve(keyID, in: scope)
        try Self.requireUsable(key, usage: .keyAgreement, operation: "DeriveSharedSecret")
        let material = try await material(key, version: key.currentMaterial?.version ?? 1)
        return (try KeyCrypto.sharedSecret(key.keySpec, material: material, peer: peerPublicKey), key)
    }

    /// A disabled key still gives its public key; a key pending deletion or import does not, and a
    /// symmetric one answers UnsupportedOperationException without a message (AWS, as Floci's tests record it).
    public func publicKey(_ keyID: String, in scope: ResourceScope) async throws -> (publicKey: [UInt8], key: KMSKey) {
        let key = try await resolve(keyID, in: scope)
        if key.state != .disabled { try Self.requireEnabled(key) }
        guard key.keySpec.isAsymmetric else { throw CofferError(.unsupportedOperation, "") }
        let material = try await material(key, version: key.currentMaterial?.version ?? 1)
        return (try KeyCrypto.publicKey(key.keySpec, material: material), key)
    }
}

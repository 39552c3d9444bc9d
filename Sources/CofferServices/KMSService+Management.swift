public import CofferCore
import CofferStorage
import Foundation

/// Rotation, key policies, grants and tags.
extension KMSService {
    // MARK: Rotation

    public func enableKeyRotation(_ keyID: String, periodDays: Int?, in scope: ResourceScope) async throws {
        let now = clock.now()
        try await changeKey(keyID, in: scope) { key in
            // Imported material rotates only on demand, to material its owner imports; the origin is
            // named before the key's state (a key pending import gets the origin error).
            if key.origin == .external { throw Self.originRefused(key) }
            try Self.requireRotatable(key)
            let days = periodDays ?? key.rotationPeriodDays ?? 365
            key.rotationEnabled = true
            key.rotationPeriodDays = days
            key.nextRotationDate = now.addingTimeInterval(Double(days) * 86_400)
        }
    }

    public func disableKeyRotation(_ keyID: String, in scope: ResourceScope) async throws {
        try await changeKey(keyID, in: scope) { key in
            if key.origin == .external { throw Self.originRefused(key) }
            // Turning rotation off is accepted for any key spec; only the key's state is checked.
            try Self.requireEnabled(key)
            key.rotationEnabled = false
            key.nextRotationDate = nil
        }
    }

    /// The state, then the spec: a key spec that does not rotate answers UnsupportedOperationException
    /// without a message (AWS, as Floci's KMS tests record it).
    static func requireRotatable(_ key: KMSKey) throws(CofferError) {
        try requireEnabled(key)
        guard key.keySpec == .symmetricDefault else { throw CofferError(.unsupportedOperation, "") }
    }

    public func keyRotationStatus(_ keyID: String, in scope: ResourceScope) async throws -> KMSKey {
        let key = try await resolve(keyID, in: scope, aliases: false)
        try Self.requireNotPendingDeletion(key)
        return key
    }

    /// Adds a new material version now (RotateKeyOnDemand) or when rotation is due.
    func addMaterial(_ keyID: String, type: String, in scope: ResourceScope) async throws -> KMSKey {
        try await retryingOnConflict {
            let key = try await resolve(keyID, in: scope, aliases: false)
            if type == "ON_DEMAND" {
                if key.keyManager == "AWS" {
                    throw CofferError(.unsupportedOperation, "\(key.arn) is an AWS managed key and cannot be rotated on demand.")
                }
                try Self.requireRotatable(key)
                if key.materials.filter({ $0.rotationType == "ON_DEMAND" }).count >= Self.maximumOnDemandRotations {
                    throw CofferError(.limitExceeded, "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: \(key.arn)")
                }
                if key.origin == .external { return try await rotateToImportedMaterial(key, in: scope) }
            } else if key.origin == .external {
                return key
            }
            var updated = key
            let version = (key.materials.map(\.version).max() ?? 0) + 1
            let material = try KeyCrypto.generateMaterial(key.keySpec, random: random)
            let sealed = try root.seal(material, purpose: "kms-material", context: "\(key.arn)\n\(version)")
            updated.materials.append(KeyMaterialVersion(version: version, materialID: Hex.encode(random.bytes(32)),
                                                        createdDate: clock.now(), rotationType: type))
            if type == "AUTOMATIC", let period = key.rotationPeriodDays {
                updated.nextRotationDate = clock.now().addingTimeInterval(Double(period) * 86_400)
            }
            updated.revision += 1
            try await store.write(RecordWrite(.update(expectedRevision: key.revision), scope: scope, record: updated,
                                              newValues: [(KMSKey.materialID(version), sealed)]))
            // A multi-Region key's members share material: its replicas get the new version too.
            try await syncReplicaMaterial(of: updated, in: scope)
            return updated
        }
    }

    public func rotateKeyOnDemand(_ keyID: String, in scope: ResourceScope) async throws -> KMSKey {
        try await addMaterial(keyID, type: "ON_DEMAND", in: scope)
    }

    /// The materials from rotations; `includeAll` adds the first material and imported material pending rotation.
    public func listKeyRotations(_ keyID: String, includeAll: Bool = false, limit: Int?, marker: String?, in scope: ResourceScope) async throws
        -> (key: KMSKey, rotations: [KeyMaterialVersion], nextMarker: String?)
    {
        let key = try await resolve(keyID, in: scope, aliases: false)
        guard key.keySpec == .symmetricDefault else {
            throw CofferError(.unsupportedOperation, "\(key.arn) key spec \(key.keySpec.rawValue) does not support key rotation.")
        }
        let rotations = includeAll ? key.materials : key.materials.filter { $0.rotationType != nil }
        let page = try Pagination.page(rotations, size: limit ?? 100, token: marker, invalid: .invalidMarker)
        return (key, page.items, page.nextToken)
    }

    /// Rotates every enabled key whose rotation date has come, across all accounts and regions
    /// (a multi-Region key's replicas rotate with their primary).
    func rotateDueKeys(now: Date) async throws -> Int {
        var rotated = 0
        for scope in try await knownScopes() {
            for key in try await store.records(KMSKey.self, in: scope)
            where key.rotationEnabled && key.state == .enabled && (key.nextRotationDate.map { $0 <= now } ?? false)
                && (key.primaryRegion == nil || key.primaryRegion == scope.region) {
                _ = try await addMaterial(key.keyID, type: "AUTOMATIC", in: scope)
                rotated += 1
            }
        }
        return rotated
    }

    /// The scopes that hold keys; recorded in settings as keys are made, so the background job can find them.
    func knownScopes() async throws -> [ResourceScope] {
        guard let text = try await store.setting("kms_scopes") else { return [] }
        return text.split(separator: ",").compactMap { entry in
            let parts = entry.split(separator: "/")
            return parts.count == 2 ? ResourceScope(account: String(parts[0]), region: String(parts[1])) : nil
        }
    }

    func noteScope(_ scope: ResourceScope) async throws {
        let entry = "\(scope.account)/\(scope.region)"
        let current = try await store.setting("kms_scopes") ?? ""
        let entries = current.split(separator: ",").map(String.init)
        if !entries.contains(entry) {
            try await AuditScope.unaudited { try await store.setSetting("kms_scopes", (entries + [entry]).joined(separator: ",")) }
        }
    }

    // MARK: Policies

    public func keyPolicy(_ keyID: String, name: String?, in scope: ResourceScope) async throws -> String {
        let key = try await resolve(keyID, in: scope, aliases: false)
        guard (name ?? "default") == "default" else { throw CofferError(.notFound, "No such policy exists") }
        return key.policy
    }

    /// A key policy's size and grammar, as PutKeyPolicy and CreateKey check them.
    public static func validatePolicy(_ policy: String) throws(CofferError) { try KMSValidation.policy(policy) }

    public func putKeyPolicy(_ keyID: String, name: String?, policy: String, in scope: ResourceScope) async throws {
        guard (name ?? "default") == "default" else { throw CofferError(.notFound, "No such policy exists") }
        try KMSValidation.policy(policy)
        try await changeKey(keyID, in: scope) { key in
            try Self.requireNotPendingDeletion(key)
            key.policy = policy
        }
    }

    // MARK: Grants

    public func createGrant(_ keyID: String, grantee: String, retiring: String?, operations: [String],
                            constraints: [String: [String: String]]?, name: String?, in scope: ResourceScope) async throws
        -> (grantID: String, token: String)
    {
        let token = Hex.encode(random.bytes(48))
        let key = try await resolve(keyID, in: scope, aliases: false)
        // A grant with the same name and the same terms is the same grant, as on AWS.
        if let existing = Self.matchingGrant(in: key, name: name, grantee: grantee, operations: operations, retiring: retiring) {
            return (existing, token)
        }
        let grant = KMSGrant(grantID: Hex.encode(random.bytes(32)), name: name, granteePrincipal: grantee, retiringPrincipal: retiring,
                             issuingAccount: "arn:\(Partition.of(region: scope.region)):iam::\(scope.account):root", operations: operations, constraints: constraints,
                             creationDate: clock.now(), tokenDigest: Self.tokenDigest(token))
        try await changeKey(keyID, in: scope, allowManaged: true) { key in try Self.addGrant(grant, to: &key) }
        return (grant.grantID, token)
    }

    static func matchingGrant(in key: KMSKey, name: String?, grantee: String, operations: [String], retiring: String?) -> String? {
        guard let name else { return nil }
        return key.grants.first {
            $0.name == name && $0.granteePrincipal == grantee && $0.operations == operations && $0.retiringPrincipal == retiring
        }?.grantID
    }

    static func addGrant(_ grant: KMSGrant, to key: inout KMSKey) throws {
        try requireNotPendingDeletion(key)
        if key.state == .disabled { throw CofferError(.disabled, "\(key.arn) is disabled.") }
        key.grants.append(grant)
    }

    static func tokenDigest(_ token: String) -> String { SigV4.sha256Hex(Array("coffer-grant\n\(token)".utf8)) }

    public func listGrants(_ keyID: String, grantID: String?, grantee: String?, limit: Int?, marker: String?,
                           in scope: ResourceScope) async throws -> (key: KMSKey, grants: [KMSGrant], nextMarker: String?) {
        let key = try await resolve(keyID, in: scope, aliases: false)
        let grants = key.grants.filter { (grantID == nil || $0.grantID == grantID) && (grantee == nil || $0.granteePrincipal == grantee) }
        let page = try Pagination.page(grants, size: limit ?? 50, token: marker, invalid: .invalidMarker)
        return (key, page.items, page.nextToken)
    }

    public func listRetirableGrants(retiringPrincipal: String, limit: Int?, marker: String?, in scope: ResourceScope)
        async throws -> (grants: [(key: KMSKey, grant: KMSGrant)], nextMarker: String?)
    {
        var found: [(key: KMSKey, grant: KMSGrant)] = []
        for key in try await store.records(KMSKey.self, in: scope) {
            for grant in key.grants where grant.retiringPrincipal == retiringPrincipal { found.append((key, grant)) }
        }
        let page = try Pagination.page(found, size: limit ?? 50, token: marker, invalid: .invalidMarker)
        return (page.items, page.nextToken)
    }

    public func retireGrant(token: String?, keyID: String?, grantID: String?, in scope: ResourceScope) async throws {
        if let token {
            let digest = Self.tokenDigest(token)
            for key in try await store.records(KMSKey.self, in: scope) where key.grants.contains(where: { $0.tokenDigest == digest }) {
                try await changeKey(key.keyID, in: scope, allowManaged: true) { $0.grants.removeAll { $0.tokenDigest == digest } }
                return
            }
            throw CofferError(.invalidGrantToken, "Grant token is invalid.")
        }
        guard let keyID, let grantID else {
            throw CofferError.validation("Either GrantToken, or both KeyId and GrantId must be specified.")
        }
        try await revokeGrant(keyID, grantID: grantID, in: scope)
    }

    public func revokeGrant(_ keyID: String, grantID: String, in scope: ResourceScope) async throws {
        let key = try await resolve(keyID, in: scope, aliases: false)
        guard key.grants.contains(where: { $0.grantID == grantID }) else {
            throw CofferError(.notFound, "Grant ID \(grantID) not found")
        }
        try await changeKey(keyID, in: scope, allowManaged: true) { $0.grants.removeAll { $0.grantID == grantID } }
    }

    // MARK: Tags

    public func tagResource(_ keyID: String, tags: [Tag], in scope: ResourceScope) async throws {
        try KMSValidation.tags(tags)
        try await changeKey(keyID, in: scope) { key in
            try Self.requireNotPendingDeletion(key)
            key.tags.merge(tags)
            if key.tags.count > KMSValidation.maximumTags {
                throw CofferError(.tagFailure, "Cannot have more than \(KMSValidation.maximumTags) tags on a key.")
            }
        }
    }

    public func untagResource(_ keyID: String, keys: [String], in scope: ResourceScope) async throws {
        try await changeKey(keyID, in: scope) { key in
            try Self.requireNotPendingDeletion(key)
            key.tags.removeAll { keys.contains($0.key) }
        }
    }

    public func listResourceTags(_ keyID: String, limit: Int?, marker: String?, in scope: ResourceScope) async throws
        -> (tags: [Tag], nextMarker: String?)
    {
        let key = try await resolve(keyID, in: scope, aliases: false)
        let page = try Pagination.page(key.tags, size: limit ?? 50, token: marker, invalid: .invalidMarker)
        return (page.items, page.nextToken)
    }
}

/// KMS's semantic checks, with AWS's messages.
enum KMSValidation {
    static let maximumTags = 50

    static func aliasName(_ name: String) throws(CofferError) {
        guard name.hasPrefix("alias/"), name.count > "alias/".count else {
            throw CofferError(.validation, "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
        }
        // AWS answers a name under its reserved prefix with an empty NotAuthorizedException, and refuses a
        // colon although the model's pattern allows one.
        if name.hasPrefix("alias/aws/") { throw CofferError(.notAuthorized, "") }
        if name.contains(":") { throw CofferError(.validation, "\(name) contains invalid characters for an alias") }
        let allowed = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "/_-".unicodeScalars.contains($0)) }
        guard allowed else {
            throw CofferError.constraint(name, member: "aliasName", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
        }
    }

    static func tags(_ tags: [Tag]) throws(CofferError) {
        var seen = Set<String>()
        for tag in tags {
            if tag.key.hasPrefix("aws:") { throw CofferError(.tagFailure, "Tags beginning with aws: are reserved") }
            guard seen.insert(tag.key).inserted else { throw CofferError(.tagFailure, "Duplicate tag keys") }
        }
        if tags.count > maximumTags { throw CofferError(.tagFailure, "Cannot have more than \(maximumTags) tags on a key.") }
    }

    static func policy(_ policy: String) throws(CofferError) {
        guard policy.utf8.count <= KMSService.maximumPolicySize else {
            throw CofferError(.limitExceeded, "Policy exceeds the maximum size of \(KMSService.maximumPolicySize) bytes.")
        }
        do {
            _ = try ResourcePolicyCheck.parse(policy)
        } catch {
            throw CofferError(.malformedPolicyDocument, error.message.replacingOccurrences(of: "This resource policy", with: "The key policy"))
        }
    }
}

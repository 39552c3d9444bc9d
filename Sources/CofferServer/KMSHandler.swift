import CofferCore
import CofferServices
import CofferWire
import Foundation

/// Translates KMS's JSON 1.1 wire shapes (`TrentService.*`) to ``KMSService`` calls and back.
struct KMSHandler: JSONServiceHandler {
    let service: KMSService
    let access: AccessControl

    /// The operations that take DryRun: authorized and checked, then answered DryRunOperationException.
    static let dryRunOperations: Set<String> = [
        "CreateGrant", "Decrypt", "DeriveSharedSecret", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "ReEncrypt", "RetireGrant",
        "RevokeGrant", "Sign", "Verify", "VerifyMac",
    ]

    func handle(_ operation: String, _ r: JSONRequest, context: CallerContext) async throws -> JSONValue {
        let scope = context.scope
        try await authorize(operation, r, context)
        try await checkLockout(operation, r, context)
        if Self.dryRunOperations.contains(operation), try r.bool("DryRun") == true {
            // The cryptographic operations change nothing, so they run in full and their answer is dropped;
            // the grant operations stop after finding their key.
            if ["CreateGrant", "RetireGrant", "RevokeGrant"].contains(operation) {
                if let key = try r.string("KeyId", min: 1, max: 2048) { _ = try await service.describeKey(key, in: scope) }
            } else {
                _ = try await perform(operation, r, scope)
            }
            throw CofferError(.dryRunOperation, "The request would have succeeded, but the DryRun option is set.")
        }
        return try await perform(operation, r, scope)
    }

    private func perform(_ operation: String, _ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        switch operation {
        case "CreateKey": return try await createKey(r, scope)
        case "DescribeKey":
            let key = try await service.describeKey(try keyID(r), in: scope)
            return .object(["KeyMetadata": Self.metadata(key, scope, multiRegion: try await multiRegionConfiguration(key, scope))])
        case "ReplicateKey":
            let replica = try await service.replicateKey(try keyID(r), to: try r.requiredString("ReplicaRegion", min: 1, max: 32),
                                                         description: try r.string("Description", max: 8192), policy: try r.string("Policy", min: 1, max: 131_072),
                                                         tags: try tags(r, required: false), in: scope)
            let replicaScope = ResourceScope(account: scope.account, region: ARN(replica.arn)?.region ?? scope.region)
            return .object(["ReplicaKeyMetadata": Self.metadata(replica, replicaScope, multiRegion: try await multiRegionConfiguration(replica, replicaScope)),
                            "ReplicaPolicy": .string(replica.policy),
                            "ReplicaTags": .array(replica.tags.map { .object(["TagKey": .string($0.key), "TagValue": .string($0.value)]) })])
        case "UpdatePrimaryRegion":
            try await service.updatePrimaryRegion(try keyID(r), to: try r.requiredString("PrimaryRegion", min: 1, max: 32), in: scope)
            return .object([:])
        case "ListKeys": return try await listKeys(r, scope)
        case "DescribeCustomKeyStores":
            // Coffer makes no custom key stores, so there is none to find, as in an account that never made one.
            try refuseCustomKeyStore(r)
            if let name = try r.string("CustomKeyStoreName", min: 1, max: 256) {
                throw CofferError(.customKeyStoreNotFound, "Custom key store name \(name) does not exist.")
            }
            _ = (try limit(r), try marker(r))
            return .object(["CustomKeyStores": [], "Truncated": false])
        case "GetParametersForImport":
            let result = try await service.parametersForImport(
                try keyID(r), algorithm: try r.required("WrappingAlgorithm", try r.enumeration("WrappingAlgorithm", Self.wrappingAlgorithms)),
                wrappingKeySpec: try r.required("WrappingKeySpec", try r.enumeration("WrappingKeySpec", ["RSA_2048", "RSA_3072", "RSA_4096", "SM2"])),
                in: scope)
            return .object(["KeyId": .string(result.key.arn), "ImportToken": JSONResponse.base64(result.token),
                            "PublicKey": JSONResponse.base64(result.publicKey), "ParametersValidTo": JSONResponse.timestamp(result.validTo)])
        case "ImportKeyMaterial":
            let result = try await service.importKeyMaterial(
                try keyID(r), token: try r.required("ImportToken", try r.blob("ImportToken", min: 1, max: 6144, sensitive: true)),
                encrypted: try r.required("EncryptedKeyMaterial", try r.blob("EncryptedKeyMaterial", min: 1, max: 6144, sensitive: true)),
                expirationModel: try r.enumeration("ExpirationModel", [KMSService.expires, KMSService.doesNotExpire]),
                validTo: try r.date("ValidTo"), importType: try r.enumeration("ImportType", ["NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL"]),
                description: try r.string("KeyMaterialDescription", max: 256), materialID: try r.string("KeyMaterialId", min: 64, max: 64), in: scope)
            var out: JSONObject = ["KeyId": .string(result.key.arn)]
            if result.key.keySpec == .symmetricDefault { out["KeyMaterialId"] = .string(result.materialID) }
            return .object(out)
        case "DeleteImportedKeyMaterial":
            let result = try await service.deleteImportedKeyMaterial(try keyID(r), materialID: try r.string("KeyMaterialId", min: 64, max: 64), in: scope)
            var out: JSONObject = ["KeyId": .string(result.key.arn)]
            if result.key.keySpec == .symmetricDefault, let id = result.materialID { out["KeyMaterialId"] = .string(id) }
            return .object(out)
        case "UpdateKeyDescription":
            try await service.updateKeyDescription(try keyID(r), description: try r.required("Description", try r.string("Description", max: 8192)), in: scope)
            return .object([:])
        case "EnableKey": try await service.enableKey(try keyID(r), in: scope); return .object([:])
        case "DisableKey": try await service.disableKey(try keyID(r), in: scope); return .object([:])
        case "ScheduleKeyDeletion":
            let key = try await service.scheduleKeyDeletion(try keyID(r), pendingWindowDays: try r.integer("PendingWindowInDays", min: 1, max: 365), in: scope)
            // A primary waiting for its replicas has no deletion date yet, and AWS leaves the field out.
            var out: JSONObject = ["KeyId": .string(key.arn), "KeyState": .string(key.state.rawValue),
                                   "PendingWindowInDays": .number(Double(key.pendingWindowDays ?? 30))]
            if let deletion = key.deletionDate { out["DeletionDate"] = JSONResponse.timestamp(deletion) }
            return .object(out)
        case "CancelKeyDeletion":
            return .object(["KeyId": .string(try await service.cancelKeyDeletion(try keyID(r), in: scope).arn)])
        case "CreateAlias":
            try await service.createAlias(try aliasName(r), targetKeyID: try r.requiredString("TargetKeyId", min: 1, max: 2048), in: scope)
            return .object([:])
        case "UpdateAlias":
            try await service.updateAlias(try aliasName(r), targetKeyID: try r.requiredString("TargetKeyId", min: 1, max: 2048), in: scope)
            return .object([:])
        case "DeleteAlias": try await service.deleteAlias(try aliasName(r), in: scope); return .object([:])
        case "ListAliases": return try await listAliases(r, scope)
        case "Encrypt": return try await encrypt(r, scope)
        case "Decrypt": return try await decrypt(r, scope)
        case "ReEncrypt": return try await reEncrypt(r, scope)
        case "GenerateDataKey", "GenerateDataKeyWithoutPlaintext": return try await generateDataKey(r, scope, plaintext: operation == "GenerateDataKey")
        case "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext":
            return try await generateDataKeyPair(r, scope, plaintext: operation == "GenerateDataKeyPair")
        case "GenerateRandom":
            try refuseCustomKeyStore(r)
            try refuseRecipient(r)
            guard let count = try r.integer("NumberOfBytes", min: 1, max: 1024) else { throw CofferError.validation("NumberOfBytes is required.") }
            return .object(["Plaintext": JSONResponse.base64(service.generateRandom(count))])
        case "GenerateMac": return try await generateMac(r, scope)
        case "VerifyMac": return try await verifyMac(r, scope)
        case "Sign": return try await sign(r, scope)
        case "Verify": return try await verify(r, scope)
        case "GetPublicKey": return try await getPublicKey(r, scope)
        case "DeriveSharedSecret":
            _ = try r.required("KeyAgreementAlgorithm", try r.enumeration("KeyAgreementAlgorithm", ["ECDH"]))
            try refuseRecipient(r)
            let result = try await service.deriveSharedSecret(try keyID(r), peerPublicKey: try r.required("PublicKey", try r.blob("PublicKey", min: 1, max: 8192)),
                                                              in: scope)
            return .object(["KeyId": .string(result.key.arn), "SharedSecret": JSONResponse.base64(result.secret),
                            "KeyAgreementAlgorithm": "ECDH", "KeyOrigin": .string(result.key.origin.rawValue)])
        case "EnableKeyRotation":
            try await service.enableKeyRotation(try keyID(r), periodDays: try r.integer("RotationPeriodInDays", min: 90, max: 2560), in: scope)
            return .object([:])
        case "DisableKeyRotation": try await service.disableKeyRotation(try keyID(r), in: scope); return .object([:])
        case "GetKeyRotationStatus": return try await rotationStatus(r, scope)
        case "GetKeyLastUsage":
            let found = try await service.lastUsage(try keyID(r), in: scope)
            var out: JSONObject = ["KeyId": .string(found.key.keyID), "TrackingStartDate": JSONResponse.timestamp(found.trackingStart),
                                   "KeyCreationDate": JSONResponse.timestamp(found.key.creationDate)]
            if let usage = found.usage {
                out["KeyLastUsage"] = .object(["Operation": .string(usage.operation), "Timestamp": JSONResponse.timestamp(usage.time),
                                               "CloudTrailEventId": .string(usage.eventID), "KmsRequestId": .string(usage.requestID)])
            } else {
                out["KeyLastUsage"] = .object([:])
            }
            return .object(out)
        case "RotateKeyOnDemand": return .object(["KeyId": .string(try await service.rotateKeyOnDemand(try keyID(r), in: scope).arn)])
        case "ListKeyRotations": return try await listKeyRotations(r, scope)
        case "GetKeyPolicy":
            let name = try r.string("PolicyName", min: 1, max: 128)
            return .object(["Policy": .string(try await service.keyPolicy(try keyID(r), name: name, in: scope)), "PolicyName": .string(name ?? "default")])
        case "PutKeyPolicy":
            try await service.putKeyPolicy(try keyID(r), name: try r.string("PolicyName", min: 1, max: 128),
                                           policy: try r.requiredString("Policy", min: 1, max: 131_072), in: scope)
            return .object([:])
        case "ListKeyPolicies":
            _ = try await service.resolve(try keyID(r), in: scope, aliases: false)
            return .object(["PolicyNames": ["default"], "Truncated": false])
        case "CreateGrant": return try await createGrant(r, scope)
        case "ListGrants": return try await listGrants(r, scope)
        case "ListRetirableGrants": return try await listRetirableGrants(r, scope)
        case "RetireGrant":
            try await service.retireGrant(token: try r.string("GrantToken", min: 1, max: 8192), keyID: try r.string("KeyId", min: 1, max: 2048),
                                          grantID: try r.string("GrantId", min: 1, max: 128), in: scope)
            return .object([:])
        case "RevokeGrant":
            try await service.revokeGrant(try keyID(r), grantID: try r.requiredString("GrantId", min: 1, max: 128), in: scope)
            return .object([:])
        case "TagResource":
            try await service.tagResource(try keyID(r), tags: try tags(r, required: true), in: scope)
            return .object([:])
        case "UntagResource":
            try await service.untagResource(try keyID(r), keys: try r.required("TagKeys", try r.stringList("TagKeys", itemMin: 1, itemMax: 128)), in: scope)
            return .object([:])
        case "ListResourceTags":
            let page = try await service.listResourceTags(try keyID(r), limit: try limit(r), marker: try marker(r), in: scope)
            var out: JSONObject = ["Tags": .array(page.tags.map { .object(["TagKey": .string($0.key), "TagValue": .string($0.value)]) })]
            paging(&out, page.nextMarker)
            return .object(out)
        default:
            throw CofferError.unserved("kms", operation)
        }
    }

    static let wrappingAlgorithms = ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
                                     "RSA_AES_KEY_WRAP_SHA_256", "SM2PKE"]

    // MARK: Authorization

    /// AWS's key policy lockout safety check: unless the request bypasses it, a key policy under which
    /// the caller could not call PutKeyPolicy on the key again is refused, so a key cannot be made
    /// unmanageable by mistake. A new key (or replica) is checked under its ARN pattern.
    private func checkLockout(_ operation: String, _ r: JSONRequest, _ context: CallerContext) async throws {
        guard ["CreateKey", "PutKeyPolicy", "ReplicateKey"].contains(operation), let policy = try r.string("Policy"),
            try r.bool("BypassPolicyLockoutSafetyCheck") != true
        else { return }
        try KMSService.validatePolicy(policy)
        let region = operation == "ReplicateKey" ? try r.string("ReplicaRegion") ?? context.scope.region : context.scope.region
        let resource = operation == "PutKeyPolicy"
            ? try await service.resolve(try keyID(r), in: context.scope, aliases: false).arn
            : "arn:\(Partition.of(region: region)):kms:\(region):\(context.scope.account):key/*"
        guard try await access.wouldAllow(context, action: "kms:PutKeyPolicy", resource: resource, resourcePolicy: policy) else {
            throw CofferError(.malformedPolicyDocument, "The new key policy will not allow you to update the key policy in the future.")
        }
    }

    /// Operations on a key are decided by its key policy (and IAM where the key policy delegates to the account).
    private func authorize(_ operation: String, _ r: JSONRequest, _ context: CallerContext) async throws {
        let action = "kms:\(operation)"
        var keyID = try r.string("KeyId") ?? r.string("TargetKeyId") ?? r.string("DestinationKeyId")
        if keyID == nil, ["Decrypt", "ReEncrypt"].contains(operation),
            let blob = try r.blob("CiphertextBlob"), let header = try? KMSCiphertext.header(of: blob)
        {
            keyID = header.keyID
        }
        if operation == "ListAliases" || operation == "ListRetirableGrants" { keyID = nil }
        guard let keyID else {
            if context.isRoot { return }
            try await access.authorize(context, action: action, resource: "*")
            return
        }
        guard let key = try? await service.describeKey(keyID, in: context.scope) else { return }
        AccessControl.noteAudited(key.arn)
        if try access.rootAllowed(context, action: action, resource: key.arn, resourcePolicy: key.policy, resourcePolicyRequired: true) { return }
        if Self.grantAllows(key, operation: operation, grantee: context.principalARN, request: r) { return }
        var keys: [String: [String]] = [
            "kms:CallerAccount": [context.scope.account], "kms:KeySpec": [key.keySpec.rawValue], "kms:KeyUsage": [key.keyUsage.rawValue],
            "kms:KeyOrigin": [key.origin.rawValue], "kms:KeyManager": [key.keyManager], "kms:MultiRegion": [key.isMultiRegion ? "true" : "false"],
        ]
        keys.merge(AccessControl.resourceTagKeys(key.tags)) { $1 }
        if let encryption = try r.stringMap("EncryptionContext") {
            keys["kms:EncryptionContextKeys"] = Array(encryption.keys)
            for (k, v) in encryption { keys["kms:EncryptionContext:\(k)"] = [v] }
        }
        if let algorithm = try r.string("EncryptionAlgorithm") { keys["kms:EncryptionAlgorithm"] = [algorithm] }
        if let algorithm = try r.string("SigningAlgorithm") { keys["kms:SigningAlgorithm"] = [algorithm] }
        if let algorithm = try r.string("MacAlgorithm") { keys["kms:MacAlgorithm"] = [algorithm] }
        if operation == "CreateGrant" { keys["kms:GrantOperations"] = try r.stringList("Operations") ?? [] }
        if let algorithm = try r.string("WrappingAlgorithm") { keys["kms:WrappingAlgorithm"] = [algorithm] }
        if let spec = try r.string("WrappingKeySpec") { keys["kms:WrappingKeySpec"] = [spec] }
        if operation == "ImportKeyMaterial" {
            keys["kms:ExpirationModel"] = [try r.string("ExpirationModel") ?? KMSService.expires]
            if let validTo = try r.date("ValidTo") { keys["kms:ValidTo"] = [String(Int(validTo.timeIntervalSince1970))] }
        }
        try await access.authorize(context, action: action, resource: key.arn, keys: keys, resourcePolicy: key.policy,
                                   resourcePolicyRequired: true)
    }

    /// A grant lets its grantee perform its operations on the key, within its encryption-context constraints.
    static func grantAllows(_ key: KMSKey, operation: String, grantee: String, request r: JSONRequest) -> Bool {
        let context = (try? r.stringMap("EncryptionContext")) ?? [:]
        return key.grants.contains { grant in
            guard grant.granteePrincipal == grantee, grant.operations.contains(operation) else { return false }
            if let subset = grant.constraints?["EncryptionContextSubset"], !subset.allSatisfy({ context[$0.key] == $0.value }) { return false }
            if let equals = grant.constraints?["EncryptionContextEquals"], equals != context { return false }
            return true
        }
    }

    // MARK: Readers

    private func keyID(_ r: JSONRequest) throws(CofferError) -> String { try r.requiredString("KeyId", min: 1, max: 2048) }
    private func aliasName(_ r: JSONRequest) throws(CofferError) -> String { try r.requiredString("AliasName", min: 1, max: 256) }
    private func limit(_ r: JSONRequest) throws(CofferError) -> Int? { try r.integer("Limit", min: 1, max: 1000) }
    private func marker(_ r: JSONRequest) throws(CofferError) -> String? { try r.string("Marker", min: 1, max: 1024) }
    private func context(_ r: JSONRequest, _ member: String = "EncryptionContext") throws(CofferError) -> [String: String] {
        try r.stringMap(member) ?? [:]
    }

    private func tags(_ r: JSONRequest, required: Bool) throws(CofferError) -> [Tag] {
        let list = try r.structures("Tags")
        if required, list == nil { _ = try r.required("Tags", list) }
        var tags: [Tag] = []
        for item in list ?? [] {
            tags.append(Tag(key: try item.requiredString("TagKey", min: 1, max: 128), value: try item.required("TagValue", try item.string("TagValue", max: 256))))
        }
        return tags
    }

    private func paging(_ out: inout JSONObject, _ next: String?) {
        if let next { out["NextMarker"] = .string(next) }
        out["Truncated"] = .bool(next != nil)
    }

    static let encryptionAlgorithms = ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"]
    static let signingAlgorithms = ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256",
                                    "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512", "ECDSA_SHA_256", "ECDSA_SHA_384",
                                    "ECDSA_SHA_512", "SM2DSA", "ML_DSA_SHAKE_256", "ED25519_SHA_512", "ED25519_PH_SHA_512",
                                    // Answered as an algorithm the key spec does not support (ModelValidation.acceptedBeyondTheModel).
                                    "SYMMETRIC_DEFAULT"]
    static let macAlgorithms = ["HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"]

    // MARK: Shapes

    /// MultiRegionConfiguration: the primary and every replica, as DescribeKey shows them on any member.
    func multiRegionConfiguration(_ key: KMSKey, _ scope: ResourceScope) async throws -> JSONValue? {
        guard key.isMultiRegion else { return nil }
        let members = try await service.multiRegionMembers(of: key, account: scope.account)
        func entry(_ member: KMSKey) -> JSONValue { .object(["Arn": .string(member.arn), "Region": .string(ARN(member.arn)?.region ?? "")]) }
        var out: JSONObject = ["MultiRegionKeyType": .string(key.replicaRegions != nil ? "PRIMARY" : "REPLICA")]
        if let primary = members.primary { out["PrimaryKey"] = entry(primary) }
        out["ReplicaKeys"] = .array(members.replicas.map(entry))
        return .object(out)
    }

    static func metadata(_ key: KMSKey, _ scope: ResourceScope, multiRegion: JSONValue? = nil) -> JSONValue {
        var out: JSONObject = [
            "AWSAccountId": .string(scope.account), "KeyId": .string(key.keyID), "Arn": .string(key.arn),
            "CreationDate": JSONResponse.timestamp(key.creationDate), "Enabled": .bool(key.state == .enabled),
            "Description": .string(key.description), "KeyUsage": .string(key.keyUsage.rawValue),
            "KeyState": .string(key.state.rawValue),
        ]
        if let deletion = key.deletionDate { out["DeletionDate"] = JSONResponse.timestamp(deletion) }
        out["Origin"] = .string(key.origin.rawValue)
        if let model = key.expirationModel { out["ExpirationModel"] = .string(model) }
        if let validTo = key.validTo { out["ValidTo"] = JSONResponse.timestamp(validTo) }
        out["KeyManager"] = .string(key.keyManager)
        out["CustomerMasterKeySpec"] = .string(key.keySpec.rawValue)
        out["KeySpec"] = .string(key.keySpec.rawValue)
        let encryption = key.keySpec.encryptionAlgorithms(for: key.keyUsage)
        if !encryption.isEmpty { out["EncryptionAlgorithms"] = .array(encryption.map(JSONValue.string)) }
        let signing = key.keySpec.signingAlgorithms(for: key.keyUsage)
        if !signing.isEmpty { out["SigningAlgorithms"] = .array(signing.map(JSONValue.string)) }
        let agreement = key.keySpec.keyAgreementAlgorithms(for: key.keyUsage)
        if !agreement.isEmpty { out["KeyAgreementAlgorithms"] = .array(agreement.map(JSONValue.string)) }
        if !key.keySpec.macAlgorithms.isEmpty { out["MacAlgorithms"] = .array(key.keySpec.macAlgorithms.map(JSONValue.string)) }
        out["MultiRegion"] = .bool(key.isMultiRegion)
        if let multiRegion { out["MultiRegionConfiguration"] = multiRegion }
        if let days = key.pendingWindowDays { out["PendingDeletionWindowInDays"] = .number(Double(days)) }
        if key.keySpec == .symmetricDefault, let current = key.currentMaterial { out["CurrentKeyMaterialId"] = .string(current.materialID) }
        return .object(out)
    }

    /// Coffer makes no custom key stores, so a named one does not exist, as in an account that never made one.
    private func refuseCustomKeyStore(_ r: JSONRequest) throws(CofferError) {
        if let id = try r.string("CustomKeyStoreId", min: 1, max: 64) {
            throw CofferError(.customKeyStoreNotFound, "Custom key store ID \(id) does not exist.")
        }
    }

    /// Nitro Enclaves' attested recipients: Coffer verifies no attestation documents, so any Recipient,
    /// even an empty one, is refused rather than ignored (an ignored one would return the plaintext).
    private func refuseRecipient(_ r: JSONRequest) throws(CofferError) {
        if try r.structure("Recipient") != nil {
            throw CofferError(.unsupportedOperation, "Coffer does not verify Nitro attestation documents: Recipient is not supported.")
        }
    }

    // MARK: Operations

    private func createKey(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let originText = try r.enumeration("Origin", ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]) ?? "AWS_KMS"
        guard let origin = KeyOrigin(rawValue: originText) else { throw CofferError(.unsupportedOperation, "Custom key stores are not supported.") }
        try refuseCustomKeyStore(r)
        let specText = try r.enumeration("KeySpec", KeySpec.allCases.map(\.rawValue) + ["SM2"])
            ?? r.enumeration("CustomerMasterKeySpec", KeySpec.allCases.map(\.rawValue) + ["SM2"])
            ?? "SYMMETRIC_DEFAULT"
        guard let spec = KeySpec(rawValue: specText) else {
            // SM2 is served in AWS's China Regions only; this is AWS's answer everywhere else.
            throw CofferError(.unsupportedOperation, "KeySpec \(specText) is not supported in this Region")
        }
        let usage = try r.enumeration("KeyUsage", ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]).map { text throws(CofferError) -> KeyUsage in
            guard let usage = KeyUsage(rawValue: text) else { throw CofferError(.unsupportedOperation, "KeyUsage \(text) is not supported.") }
            return usage
        }
        if usage == nil, spec != .symmetricDefault {
            throw CofferError.validation("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")
        }
        let description = try r.string("Description", max: 8192) ?? "", policy = try r.string("Policy", min: 1, max: 131_072)
        if try r.bool("MultiRegion") == true {
            if origin == .external {
                throw CofferError(.unsupportedOperation, "Coffer does not support multi-Region keys with imported key material yet.")
            }
            let key = try await service.createMultiRegionKey(spec: spec, usage: usage, description: description, policy: policy,
                                                             tags: try tags(r, required: false), in: scope)
            return .object(["KeyMetadata": Self.metadata(key, scope, multiRegion: try await multiRegionConfiguration(key, scope))])
        }
        let key = try await service.createKey(spec: spec, usage: usage, description: description, policy: policy, tags: try tags(r, required: false),
                                              origin: origin, in: scope)
        return .object(["KeyMetadata": Self.metadata(key, scope)])
    }

    private func listKeys(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let page = try await service.listKeys(limit: try limit(r), marker: try marker(r), in: scope)
        var out: JSONObject = ["Keys": .array(page.keys.map { .object(["KeyId": .string($0.keyID), "KeyArn": .string($0.arn)]) })]
        paging(&out, page.nextMarker)
        return .object(out)
    }

    private func listAliases(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let page = try await service.listAliases(keyID: try r.string("KeyId", min: 1, max: 2048), limit: try limit(r), marker: try marker(r), in: scope)
        var out: JSONObject = ["Aliases": .array(page.aliases.map { listing in
            guard let alias = listing.alias else { return .object(["AliasName": .string(listing.name), "AliasArn": .string(listing.arn)]) }
            return .object(["AliasName": .string(alias.name), "AliasArn": .string(alias.arn), "TargetKeyId": .string(alias.targetKeyID),
                            "CreationDate": JSONResponse.timestamp(alias.creationDate), "LastUpdatedDate": JSONResponse.timestamp(alias.lastUpdatedDate)])
        })]
        paging(&out, page.nextMarker)
        return .object(out)
    }

    private func encrypt(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let id = try keyID(r)
        let plaintext = try r.required("Plaintext", try r.blob("Plaintext", min: 1, max: 4096, sensitive: true))
        let result = try await service.encrypt(id, plaintext: plaintext, context: try context(r),
                                               algorithm: try r.enumeration("EncryptionAlgorithm", Self.encryptionAlgorithms), in: scope)
        return .object(["CiphertextBlob": JSONResponse.base64(result.blob), "KeyId": .string(result.key.arn),
                        "EncryptionAlgorithm": .string(result.algorithm)])
    }

    private func decrypt(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let blob = try r.required("CiphertextBlob", try r.blob("CiphertextBlob", min: 1, max: 6144))
        try refuseRecipient(r)
        let result = try await service.decrypt(blob, keyID: try r.string("KeyId", min: 1, max: 2048), context: try context(r),
                                               algorithm: try r.enumeration("EncryptionAlgorithm", Self.encryptionAlgorithms), in: scope)
        var out: JSONObject = ["KeyId": .string(result.key.arn), "Plaintext": JSONResponse.base64(result.plaintext),
                               "EncryptionAlgorithm": .string(result.algorithm)]
        if result.key.keySpec == .symmetricDefault, let header = try? KMSCiphertext.header(of: blob),
            let material = result.key.materials.first(where: { $0.version == header.version })
        {
            out["KeyMaterialId"] = .string(material.materialID)
        }
        return .object(out)
    }

    private func reEncrypt(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let result = try await service.reEncrypt(
            try r.required("CiphertextBlob", try r.blob("CiphertextBlob", min: 1, max: 6144)),
            sourceKeyID: try r.string("SourceKeyId", min: 1, max: 2048), sourceContext: try context(r, "SourceEncryptionContext"),
            sourceAlgorithm: try r.enumeration("SourceEncryptionAlgorithm", Self.encryptionAlgorithms),
            destinationKeyID: try r.requiredString("DestinationKeyId", min: 1, max: 2048),
            destinationContext: try context(r, "DestinationEncryptionContext"),
            destinationAlgorithm: try r.enumeration("DestinationEncryptionAlgorithm", Self.encryptionAlgorithms), in: scope)
        // The record names both keys, as CloudTrail's does: GetKeyLastUsage counts the call for each.
        AccessControl.noteAudited(result.sourceKey.arn)
        return .object(["CiphertextBlob": JSONResponse.base64(result.blob), "SourceKeyId": .string(result.sourceKey.arn),
                        "KeyId": .string(result.key.arn), "SourceEncryptionAlgorithm": .string(result.sourceAlgorithm),
                        "DestinationEncryptionAlgorithm": .string(result.algorithm)])
    }

    private func generateDataKey(_ r: JSONRequest, _ scope: ResourceScope, plaintext: Bool) async throws -> JSONValue {
        try refuseRecipient(r)
        let result = try await service.generateDataKey(
            try keyID(r), numberOfBytes: try r.integer("NumberOfBytes", min: 1, max: 1024),
            keySpec: try r.enumeration("KeySpec", ["AES_256", "AES_128"]), context: try context(r),
            operation: plaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext", in: scope)
        var out: JSONObject = ["CiphertextBlob": JSONResponse.base64(result.blob)]
        if plaintext { out["Plaintext"] = JSONResponse.base64(result.plaintext) }
        out["KeyId"] = .string(result.key.arn)
        if let current = result.key.currentMaterial { out["KeyMaterialId"] = .string(current.materialID) }
        return .object(out)
    }

    private func generateDataKeyPair(_ r: JSONRequest, _ scope: ResourceScope, plaintext: Bool) async throws -> JSONValue {
        try refuseRecipient(r)
        let spec = try r.required("KeyPairSpec", try r.enumeration("KeyPairSpec", ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2", "ECC_NIST_EDWARDS25519"]))
        let result = try await service.generateDataKeyPair(try keyID(r), pairSpec: spec, context: try context(r), in: scope)
        var out: JSONObject = ["PrivateKeyCiphertextBlob": JSONResponse.base64(result.blob)]
        if plaintext { out["PrivateKeyPlaintext"] = JSONResponse.base64(result.privateKey) }
        out["PublicKey"] = JSONResponse.base64(result.publicKey)
        out["KeyId"] = .string(result.key.arn)
        out["KeyPairSpec"] = .string(spec)
        return .object(out)
    }

    private func generateMac(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let message = try r.required("Message", try r.blob("Message", min: 1, max: 4096, sensitive: true))
        let algorithm = try r.required("MacAlgorithm", try r.enumeration("MacAlgorithm", Self.macAlgorithms))
        let result = try await service.generateMac(try keyID(r), message: message, algorithm: algorithm, in: scope)
        return .object(["Mac": JSONResponse.base64(result.mac), "MacAlgorithm": .string(algorithm), "KeyId": .string(result.key.arn)])
    }

    private func verifyMac(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let message = try r.required("Message", try r.blob("Message", min: 1, max: 4096, sensitive: true))
        let algorithm = try r.required("MacAlgorithm", try r.enumeration("MacAlgorithm", Self.macAlgorithms))
        let mac = try r.required("Mac", try r.blob("Mac", min: 1, max: 6144))
        let key = try await service.verifyMac(try keyID(r), message: message, mac: mac, algorithm: algorithm, in: scope)
        return .object(["KeyId": .string(key.arn), "MacValid": true, "MacAlgorithm": .string(algorithm)])
    }

    private func messageType(_ r: JSONRequest) throws(CofferError) -> SigningMessageType {
        try r.enumeration("MessageType", ["RAW", "DIGEST", "EXTERNAL_MU"]).flatMap(SigningMessageType.init(rawValue:)) ?? .raw
    }

    private func sign(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let message = try r.required("Message", try r.blob("Message", min: 1, max: 4096, sensitive: true))
        let algorithm = try r.required("SigningAlgorithm", try r.enumeration("SigningAlgorithm", Self.signingAlgorithms))
        let result = try await service.sign(try keyID(r), message: message, type: try messageType(r), algorithm: algorithm, in: scope)
        return .object(["KeyId": .string(result.key.arn), "Signature": JSONResponse.base64(result.signature), "SigningAlgorithm": .string(algorithm)])
    }

    private func verify(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let message = try r.required("Message", try r.blob("Message", min: 1, max: 4096, sensitive: true))
        let signature = try r.required("Signature", try r.blob("Signature", min: 1, max: 6144))
        let algorithm = try r.required("SigningAlgorithm", try r.enumeration("SigningAlgorithm", Self.signingAlgorithms))
        let key = try await service.verify(try keyID(r), message: message, type: try messageType(r), signature: signature,
                                           algorithm: algorithm, in: scope)
        return .object(["KeyId": .string(key.arn), "SignatureValid": true, "SigningAlgorithm": .string(algorithm)])
    }

    private func getPublicKey(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let result = try await service.publicKey(try keyID(r), in: scope)
        let key = result.key
        var out: JSONObject = ["KeyId": .string(key.arn), "PublicKey": JSONResponse.base64(result.publicKey),
                               "CustomerMasterKeySpec": .string(key.keySpec.rawValue), "KeySpec": .string(key.keySpec.rawValue),
                               "KeyUsage": .string(key.keyUsage.rawValue)]
        let encryption = key.keySpec.encryptionAlgorithms(for: key.keyUsage)
        if !encryption.isEmpty { out["EncryptionAlgorithms"] = .array(encryption.map(JSONValue.string)) }
        let signing = key.keySpec.signingAlgorithms(for: key.keyUsage)
        if !signing.isEmpty { out["SigningAlgorithms"] = .array(signing.map(JSONValue.string)) }
        let agreement = key.keySpec.keyAgreementAlgorithms(for: key.keyUsage)
        if !agreement.isEmpty { out["KeyAgreementAlgorithms"] = .array(agreement.map(JSONValue.string)) }
        return .object(out)
    }

    private func rotationStatus(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let key = try await service.keyRotationStatus(try keyID(r), in: scope)
        var out: JSONObject = ["KeyRotationEnabled": .bool(key.rotationEnabled), "KeyId": .string(key.arn)]
        if key.rotationEnabled, let days = key.rotationPeriodDays { out["RotationPeriodInDays"] = .number(Double(days)) }
        if key.rotationEnabled, let next = key.nextRotationDate { out["NextRotationDate"] = JSONResponse.timestamp(next) }
        if let onDemand = key.materials.last(where: { $0.rotationType == "ON_DEMAND" }) {
            out["OnDemandRotationStartDate"] = JSONResponse.timestamp(onDemand.createdDate)
        }
        return .object(out)
    }

    private func listKeyRotations(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let includeAll = try r.enumeration("IncludeKeyMaterial", ["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"]) == "ALL_KEY_MATERIAL"
        let page = try await service.listKeyRotations(try keyID(r), includeAll: includeAll, limit: try limit(r), marker: try marker(r), in: scope)
        let current = page.key.currentMaterial?.version
        var out: JSONObject = ["Rotations": .array(page.rotations.map { rotation in
            var entry: JSONObject = ["KeyId": .string(page.key.arn), "KeyMaterialId": .string(rotation.materialID)]
            if let type = rotation.rotationType {
                entry["RotationDate"] = JSONResponse.timestamp(rotation.createdDate)
                entry["RotationType"] = .string(type)
            }
            entry["KeyMaterialState"] = .string(rotation.pendingRotation == true ? "PENDING_ROTATION" : rotation.version == current ? "CURRENT" : "NON_CURRENT")
            if page.key.origin == .external {
                entry["ImportState"] = .string(rotation.imported == true ? "IMPORTED" : "PENDING_IMPORT")
                if let model = rotation.expirationModel { entry["ExpirationModel"] = .string(model) }
                if let validTo = rotation.validTo { entry["ValidTo"] = JSONResponse.timestamp(validTo) }
                if let description = rotation.materialDescription { entry["KeyMaterialDescription"] = .string(description) }
            }
            return .object(entry)
        })]
        paging(&out, page.nextMarker)
        return .object(out)
    }

    private func createGrant(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let operations = try r.required("Operations", try r.stringList("Operations"))
        let allowed = ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "Sign",
                       "Verify", "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey", "GenerateDataKeyPair",
                       "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac", "DeriveSharedSecret"]
        for operation in operations where !allowed.contains(operation) {
            throw CofferError.constraint(operation, member: "operations.member", "Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]")
        }
        var constraints: [String: [String: String]]?
        if let c = try r.structure("Constraints") {
            constraints = [:]
            if let subset = try c.stringMap("EncryptionContextSubset") { constraints?["EncryptionContextSubset"] = subset }
            if let equals = try c.stringMap("EncryptionContextEquals") { constraints?["EncryptionContextEquals"] = equals }
        }
        let result = try await service.createGrant(
            try keyID(r), grantee: try r.requiredString("GranteePrincipal", min: 1, max: 256),
            retiring: try r.string("RetiringPrincipal", min: 1, max: 256), operations: operations, constraints: constraints,
            name: try r.string("Name", min: 1, max: 256), in: scope)
        return .object(["GrantToken": .string(result.token), "GrantId": .string(result.grantID)])
    }

    private func grantObject(_ grant: KMSGrant, key: KMSKey) -> JSONValue {
        var out: JSONObject = ["KeyId": .string(key.arn), "GrantId": .string(grant.grantID)]
        if let name = grant.name { out["Name"] = .string(name) }
        out["CreationDate"] = JSONResponse.timestamp(grant.creationDate)
        out["GranteePrincipal"] = .string(grant.granteePrincipal)
        if let retiring = grant.retiringPrincipal { out["RetiringPrincipal"] = .string(retiring) }
        out["IssuingAccount"] = .string(grant.issuingAccount)
        out["Operations"] = .array(grant.operations.map(JSONValue.string))
        if let constraints = grant.constraints, !constraints.isEmpty {
            var c = JSONObject()
            for (name, map) in constraints.sorted(by: { $0.key < $1.key }) {
                var inner = JSONObject()
                for (k, v) in map.sorted(by: { $0.key < $1.key }) { inner.append(k, .string(v)) }
                c.append(name, .object(inner))
            }
            out["Constraints"] = .object(c)
        }
        return .object(out)
    }

    private func listGrants(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let page = try await service.listGrants(try keyID(r), grantID: try r.string("GrantId", min: 1, max: 128),
                                                grantee: try r.string("GranteePrincipal", min: 1, max: 256),
                                                limit: try limit(r), marker: try marker(r), in: scope)
        var out: JSONObject = ["Grants": .array(page.grants.map { grantObject($0, key: page.key) })]
        paging(&out, page.nextMarker)
        return .object(out)
    }

    private func listRetirableGrants(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let page = try await service.listRetirableGrants(retiringPrincipal: try r.requiredString("RetiringPrincipal", min: 1, max: 256),
                                                         limit: try limit(r), marker: try marker(r), in: scope)
        var out: JSONObject = ["Grants": .array(page.grants.map { grantObject($0.grant, key: $0.key) })]
        paging(&out, page.nextMarker)
        return .object(out)
    }
}

import CofferCore
import CofferServices
import CofferWire
import Foundation

/// Translates Secrets Manager's JSON 1.1 wire shapes to ``SecretsManagerService`` calls and back.
struct SecretsManagerHandler: JSONServiceHandler {
    let service: SecretsManagerService
    let rotation: RotationService
    let access: AccessControl
    let kms: KMSService
    /// Hands a rotation RotateSecret accepted (and claimed) to the runner.
    let rotationAccepted: @Sendable (RotationService.Accepted) -> Void


    func handle(_ operation: String, _ request: JSONRequest, context: CallerContext) async throws -> JSONValue {
        let scope = context.scope
        // The SDKs fill ClientRequestToken in; on the wire AWS requires it of every call that makes a version.
        if operation == "CreateSecret" || operation == "PutSecretValue" || operation == "UpdateSecret", request.body["ClientRequestToken"] == nil,
            request.body["SecretString"] != nil || request.body["SecretBinary"] != nil || operation == "PutSecretValue"
        {
            throw CofferError.invalidRequest("You must provide a ClientRequestToken value. We recommend a UUID-type value.")
        }
        // The secret authorization looked up: a read answers from it rather than looking it up again.
        var authorized: Secret?
        if !context.isRoot || request.body["SecretId"] != nil || operation == "CreateSecret" {
            authorized = try await authorize(operation, request, context)
        }
        switch operation {
        case "CreateSecret": return try await createSecret(request, scope)
        case "GetSecretValue": return try await getSecretValue(request, scope, found: authorized)
        case "BatchGetSecretValue": return try await batchGetSecretValue(request, scope)
        case "PutSecretValue": return try await putSecretValue(request, scope)
        case "UpdateSecret": return try await updateSecret(request, scope)
        case "DescribeSecret": return try await describeSecret(request, scope)
        case "ListSecrets": return try await listSecrets(request, scope)
        case "ListSecretVersionIds": return try await listSecretVersionIds(request, scope)
        case "UpdateSecretVersionStage": return try await updateSecretVersionStage(request, scope)
        case "DeleteSecret": return try await deleteSecret(request, scope)
        case "RestoreSecret": return try await restoreSecret(request, scope)
        case "GetRandomPassword": return try getRandomPassword(request)
        case "TagResource": return try await tagResource(request, scope)
        case "UntagResource": return try await untagResource(request, scope)
        case "PutResourcePolicy": return try await putResourcePolicy(request, scope)
        case "GetResourcePolicy": return try await getResourcePolicy(request, scope)
        case "DeleteResourcePolicy": return try await deleteResourcePolicy(request, scope)
        case "ValidateResourcePolicy": return try await validateResourcePolicy(request, scope)
        case "RotateSecret": return try await rotateSecret(request, context)
        case "CancelRotateSecret": return try await cancelRotateSecret(request, scope)
        case "ReplicateSecretToRegions":
            let primary = try await service.replicate(secretID: try secretID(request), to: try replicaRegions(request) ?? [],
                                                      force: try request.bool("ForceOverwriteReplicaSecret") ?? false, in: scope)
            return .object(["ARN": .string(primary.arn), "ReplicationStatus": SecretShapes.replicationStatus(primary.replicas ?? [])])
        case "RemoveRegionsFromReplication":
            let regions = try request.stringList("RemoveReplicaRegions", min: 1, itemMin: 1, itemMax: 128) ?? []
            let primary = try await service.removeReplicaRegions(secretID: try secretID(request), regions: regions, in: scope)
            return .object(["ARN": .string(primary.arn), "ReplicationStatus": SecretShapes.replicationStatus(primary.replicas ?? [])])
        case "StopReplicationToReplica":
            return .object(["ARN": .string(try await service.promoteReplica(secretID: try secretID(request), in: scope).arn)])
        default:
            throw CofferError.unserved("secretsmanager", operation)
        }
    }

    // MARK: Authorization

    /// Asks the policy engine whether the caller may perform `operation` on the secret it names.
    /// Returns the secret the call names, when it was looked up (every call with a SecretId).
    private func authorize(_ operation: String, _ r: JSONRequest, _ context: CallerContext) async throws -> Secret? {
        let action = "secretsmanager:\(operation)"
        var keys: [String: [String]] = [:]
        var resource = "*"
        var resourcePolicy: String?
        var target: Secret?
        if operation == "CreateSecret" {
            let name = try r.requiredString("Name", min: 1, max: 512)
            resource = ARN(service: "secretsmanager", region: context.scope.region, account: context.scope.account, resource: "secret:\(name)").description
            keys["secretsmanager:Name"] = [name]
            keys.merge(AccessControl.requestTagKeys(try tags(r) ?? [])) { $1 }
            if let key = try r.string("KmsKeyId") { keys["secretsmanager:KmsKeyId"] = [key] }
            if let description = try r.string("Description") { keys["secretsmanager:Description"] = [description] }
        } else if let secretID = try r.string("SecretId", min: 1, max: 2048) {
            let found = try await service.describeSecretIfPresent(secretID: secretID, in: context.scope)
            // The account root is refused only by an explicit deny in a resource policy: allowed with none,
            // or by the decision remembered under one without conditions, before any condition key is gathered.
            if context.isRoot, try found.map({ secret in
                try secret.resourcePolicy.map { try access.rootAllowed(context, action: action, resource: secret.arn, resourcePolicy: $0) } ?? true
            }) ?? true {
                if let found { AccessControl.noteAudited(found.arn) }
                return found
            }
            target = found
            if let secret = found {
                resource = secret.arn
                resourcePolicy = secret.resourcePolicy
                keys.merge(AccessControl.resourceTagKeys(secret.tags, servicePrefix: "secretsmanager")) { $1 }
                keys["secretsmanager:Name"] = [secret.name]
            } else {
                resource = secretID.hasPrefix("arn:") ? secretID : ARN(service: "secretsmanager", region: context.scope.region,
                                                                          account: context.scope.account, resource: "secret:\(secretID)").description
            }
            keys["secretsmanager:SecretId"] = [resource]
            if let stage = try r.string("VersionStage") { keys["secretsmanager:VersionStage"] = [stage] }
            if let version = try r.string("VersionId") { keys["secretsmanager:VersionId"] = [version] }
            if let key = try r.string("KmsKeyId") { keys["secretsmanager:KmsKeyId"] = [key] }
            if let description = try r.string("Description") { keys["secretsmanager:Description"] = [description] }
            if operation == "TagResource" { keys.merge(AccessControl.requestTagKeys(try tags(r) ?? [])) { $1 } }
            if operation == "RotateSecret" {
                if let function = try r.string("RotationLambdaARN") { keys["secretsmanager:RotationLambdaARN"] = [function] }
                if let configured = found?.rotation?.lambdaARN { keys["secretsmanager:resource/AllowRotationLambdaArn"] = [configured] }
            }
            if operation == "UntagResource" { keys["aws:TagKeys"] = try r.stringList("TagKeys") ?? [] }
        }
        try await access.authorize(context, action: action, resource: resource, keys: keys, resourcePolicy: resourcePolicy)
        try await authorizeKeyUse(operation, r, context, secret: target)
        return target
    }

    /// Reading a secret needs kms:Decrypt on its key, writing one kms:GenerateDataKey, both through Secrets Manager.
    private func authorizeKeyUse(_ operation: String, _ r: JSONRequest, _ context: CallerContext, secret: Secret?) async throws {
        if context.isRoot { return }
        let action: String
        var keyID: String?
        switch operation {
        case "GetSecretValue":
            action = "kms:Decrypt"
            guard let secret else { return }
            keyID = secret.kmsKeyID
        case "PutSecretValue", "UpdateSecret":
            guard r.body["SecretString"] != nil || r.body["SecretBinary"] != nil, let secret else { return }
            action = "kms:GenerateDataKey"
            keyID = try r.string("KmsKeyId") ?? secret.kmsKeyID
        case "CreateSecret":
            guard r.body["SecretString"] != nil || r.body["SecretBinary"] != nil else { return }
            action = "kms:GenerateDataKey"
            keyID = try r.string("KmsKeyId")
        default:
            return
        }
        let key: KMSKey
        do {
            if let keyID {
                key = try await kms.resolve(keyID, in: context.scope)
            } else {
                key = try await kms.managedKey(service: "secretsmanager", in: context.scope)
            }
        } catch { return }
        do {
            try await access.authorizeKeyUse(context, key: key, action: action, viaService: "secretsmanager")
        } catch let error as CofferError where error.code == .accessDenied {
            throw CofferError(.accessDenied, "Access to KMS is not allowed")
        }
    }

    // MARK: Readers shared by several operations

    private func secretID(_ r: JSONRequest) throws(CofferError) -> String { try r.requiredString("SecretId", min: 1, max: 2048) }

    private func token(_ r: JSONRequest) throws(CofferError) -> String? { try r.string("ClientRequestToken", min: 32, max: 64) }

    private func value(_ r: JSONRequest) throws(CofferError) -> SecretValue? {
        let string = try r.string("SecretString", min: 1, max: 65_536, sensitive: true)
        let binary = try r.blob("SecretBinary", min: 1, max: 65_536, sensitive: true)
        switch (string, binary) {
        case (let s?, nil): return .string(s)
        case (nil, let b?): return .binary(b)
        case (nil, nil): return nil
        case (_?, _?):
            throw CofferError.invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.")
        }
    }

    private func tags(_ r: JSONRequest) throws(CofferError) -> [Tag]? {
        guard let list = try r.structures("Tags") else { return nil }
        var tags: [Tag] = []
        for item in list {
            tags.append(Tag(key: try item.requiredString("Key"), value: try item.string("Value") ?? ""))
        }
        return tags
    }

    private func filters(_ r: JSONRequest) throws(CofferError) -> [SecretListFilter]? {
        guard let list = try r.structures("Filters", max: 10) else { return nil }
        var filters: [SecretListFilter] = []
        for (index, item) in list.enumerated() {
            guard let key = try item.string("Key") else { throw CofferError.invalidParameter("Invalid filter key") }
            guard SecretListFilter.keys.contains(key) else {
                throw CofferError.validation("1 validation error detected: Value '\(key)' at 'filters.\(index + 1).member.key' failed to satisfy constraint: Member must satisfy enum value set: [all, name, tag-key, description, tag-value]")
            }
            guard let values = try item.stringList("Values", min: 1, max: 10, itemMax: 512) else {
                throw CofferError.invalidParameter("Invalid filter values for key: \(key)")
            }
            for value in values where !Self.isValidFilterValue(value) {
                throw CofferError.constraint(value, member: "filters.\(index + 1).member.values", "Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$")
            }
            filters.append(SecretListFilter(key: key, values: values))
        }
        return filters
    }

    static func isValidFilterValue(_ value: String) -> Bool {
        let body = value.hasPrefix("!") ? value.dropFirst() : Substring(value)
        return body.unicodeScalars.allSatisfy { s in
            s.isASCII && (CharacterSet.alphanumerics.contains(s) || " :_@/+=.-!".unicodeScalars.contains(s))
        }
    }

    // MARK: Operations

    private func createSecret(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let input = CreateSecretInput(
            name: try r.requiredString("Name", min: 1, max: 512), clientRequestToken: try token(r),
            description: try r.string("Description", max: 2048), kmsKeyID: try r.string("KmsKeyId", max: 2048),
            value: try value(r), tags: try tags(r) ?? [])
        let replicas = try replicaRegions(r)
        let result = try await service.createSecret(input, in: scope)
        var out = SecretShapes.arnAndName(result.secret)
        if let id = result.versionID { out["VersionId"] = .string(id) }
        if let replicas, !replicas.isEmpty {
            let primary = try await service.replicate(secretID: result.secret.arn, to: replicas,
                                                      force: try r.bool("ForceOverwriteReplicaSecret") ?? false, in: scope)
            out["ReplicationStatus"] = SecretShapes.replicationStatus(primary.replicas ?? [])
        }
        return .object(out)
    }

    /// AddReplicaRegions: `[{Region, KmsKeyId}]`.
    private func replicaRegions(_ r: JSONRequest) throws -> [SecretsManagerService.ReplicaRegion]? {
        try r.structures("AddReplicaRegions", min: 1)?.map { item in
            SecretsManagerService.ReplicaRegion(region: try item.requiredString("Region", min: 1, max: 128),
                                                kmsKeyID: try item.string("KmsKeyId", max: 2048))
        }
    }

    private func getSecretValue(_ r: JSONRequest, _ scope: ResourceScope, found: Secret?) async throws -> JSONValue {
        let result = try await service.getSecretValue(
            secretID: try secretID(r), versionID: try r.string("VersionId", min: 32, max: 64),
            versionStage: try r.string("VersionStage", min: 1, max: 256), in: scope, found: found)
        return .object(valueObject(result))
    }

    private func valueObject(_ result: SecretValueResult) -> JSONObject {
        let value: (String, JSONValue) = switch result.value {
        case .string(let s): ("SecretString", .string(s))
        case .binary(let b): ("SecretBinary", JSONResponse.base64(b))
        }
        // One literal, its members in one array: member by member, each looked for its key and the
        // array grew twice (~1,700 instructions a read).
        return ["ARN": .string(result.secret.arn), "Name": .string(result.secret.name), "VersionId": .string(result.version.versionID),
                value.0: value.1, "VersionStages": SecretShapes.stages(result.version.stages),
                "CreatedDate": JSONResponse.timestamp(result.version.createdDate)]
    }

    private func batchGetSecretValue(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let result = try await service.batchGetSecretValue(
            secretIDs: try r.stringList("SecretIdList", min: 1, max: 20, itemMin: 1, itemMax: 2048),
            filters: try filters(r), maxResults: try r.integer("MaxResults", min: 1, max: 20),
            nextToken: try r.string("NextToken", min: 1, max: 4096), in: scope)
        var out: JSONObject = [
            "SecretValues": .array(result.values.map { .object(valueObject($0)) }),
            "Errors": .array(result.errors.map { error in
                .object([
                    "SecretId": .string(error.secretID),
                    "ErrorCode": .string(ErrorTable.row(for: error.error.code, service: "secretsmanager").code),
                    "Message": .string(error.error.message),
                ])
            }),
        ]
        if let next = result.nextToken { out["NextToken"] = .string(next) }
        return .object(out)
    }

    private func putSecretValue(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        if let rotationToken = try r.string("RotationToken", min: 36, max: 256, sensitive: true),
            !rotationToken.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        {
            throw CofferError.validation("1 validation error detected: Value at 'rotationToken' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9\\-]+$")
        }
        let input = PutSecretValueInput(
            secretID: try secretID(r), clientRequestToken: try token(r), value: try value(r),
            versionStages: try r.stringList("VersionStages", min: 1, max: 20, itemMin: 1, itemMax: 256))
        let result = try await service.putSecretValue(input, in: scope)
        var out = SecretShapes.arnAndName(result.secret)
        out["VersionId"] = .string(result.versionID ?? "")
        out["VersionStages"] = SecretShapes.stages(result.versionStages)
        return .object(out)
    }

    private func updateSecret(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let input = UpdateSecretInput(
            secretID: try secretID(r), clientRequestToken: try token(r), description: try r.string("Description", max: 2048),
            kmsKeyID: try r.string("KmsKeyId", max: 2048), value: try value(r))
        let result = try await service.updateSecret(input, in: scope)
        var out = SecretShapes.arnAndName(result.secret)
        if let id = result.versionID { out["VersionId"] = .string(id) }
        return .object(out)
    }

    private func describeSecret(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let secret = try await service.describeSecret(secretID: try secretID(r), in: scope)
        return .object(SecretShapes.description(secret))
    }

    private func listSecrets(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        var input = ListSecretsInput()
        input.includePlannedDeletion = try r.bool("IncludePlannedDeletion") ?? false
        input.maxResults = try r.integer("MaxResults", min: 1, max: 100)
        input.nextToken = try r.string("NextToken", min: 1, max: 4096)
        input.filters = try filters(r) ?? []
        if let order = try r.string("SortOrder") {
            guard order == "asc" || order == "desc" else {
                throw CofferError.constraint(order, member: "sortOrder", "Member must satisfy enum value set: [asc, desc]")
            }
            input.descending = order == "desc"
        }
        if let by = try r.string("SortBy") {
            guard let key = SecretSortKey(rawValue: by) else {
                throw CofferError.constraint(by, member: "sortBy", "Member must satisfy enum value set: [created-date, last-accessed-date, last-changed-date, name]")
            }
            input.sortBy = key
        }
        let result = try await service.listSecrets(input, in: scope)
        var out: JSONObject = [
            "SecretList": .array(result.secrets.map { secret in
                var entry = SecretShapes.summary(secret)
                if !secret.versions.isEmpty { entry["SecretVersionsToStages"] = SecretShapes.versionsToStages(secret) }
                return .object(entry)
            }),
        ]
        if let next = result.nextToken { out["NextToken"] = .string(next) }
        return .object(out)
    }

    private func listSecretVersionIds(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let result = try await service.listSecretVersionIDs(
            secretID: try secretID(r), includeDeprecated: try r.bool("IncludeDeprecated") ?? false,
            maxResults: try r.integer("MaxResults", min: 1, max: 100), nextToken: try r.string("NextToken", min: 1, max: 4096),
            in: scope)
        var out = SecretShapes.arnAndName(result.secret)
        out["Versions"] = .array(result.versions.map { version in
            var entry: JSONObject = ["VersionId": .string(version.versionID)]
            if !version.stages.isEmpty { entry["VersionStages"] = SecretShapes.stages(version.stages) }
            if let accessed = version.lastAccessedDate { entry["LastAccessedDate"] = JSONResponse.timestamp(accessed) }
            entry["CreatedDate"] = JSONResponse.timestamp(version.createdDate)
            if let keys = version.kmsKeyIDs { entry["KmsKeyIds"] = .array(keys.map(JSONValue.string)) }
            return .object(entry)
        })
        if let next = result.nextToken { out["NextToken"] = .string(next) }
        return .object(out)
    }

    private func updateSecretVersionStage(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let secret = try await service.updateSecretVersionStage(
            secretID: try secretID(r), stage: try r.requiredString("VersionStage", min: 1, max: 256),
            moveTo: try r.string("MoveToVersionId", min: 32, max: 64), removeFrom: try r.string("RemoveFromVersionId", min: 32, max: 64),
            in: scope)
        return .object(SecretShapes.arnAndName(secret))
    }

    private func deleteSecret(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let result = try await service.deleteSecret(
            secretID: try secretID(r), recoveryWindowDays: try r.integer("RecoveryWindowInDays"),
            forceDelete: try r.bool("ForceDeleteWithoutRecovery") ?? false, in: scope)
        return .object(["ARN": .string(result.arn), "Name": .string(result.name), "DeletionDate": JSONResponse.timestamp(result.deletionDate)])
    }

    private func restoreSecret(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        .object(SecretShapes.arnAndName(try await service.restoreSecret(secretID: try secretID(r), in: scope)))
    }

    private func getRandomPassword(_ r: JSONRequest) throws -> JSONValue {
        var options = PasswordOptions()
        options.length = try r.integer("PasswordLength", min: 1, max: 4096) ?? 32
        options.excludeCharacters = try r.string("ExcludeCharacters", max: 4096) ?? ""
        options.excludeNumbers = try r.bool("ExcludeNumbers") ?? false
        options.excludePunctuation = try r.bool("ExcludePunctuation") ?? false
        options.excludeUppercase = try r.bool("ExcludeUppercase") ?? false
        options.excludeLowercase = try r.bool("ExcludeLowercase") ?? false
        options.includeSpace = try r.bool("IncludeSpace") ?? false
        options.requireEachIncludedType = try r.bool("RequireEachIncludedType") ?? true
        return .object(["RandomPassword": .string(try service.randomPassword(options))])
    }

    private func tagResource(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let id = try secretID(r)
        try await service.tagResource(secretID: id, tags: try r.required("Tags", try tags(r)), in: scope)
        return .object([:])
    }

    private func untagResource(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let id = try secretID(r)
        let keys = try r.required("TagKeys", try r.stringList("TagKeys", itemMin: 1, itemMax: 128))
        try await service.untagResource(secretID: id, keys: keys, in: scope)
        return .object([:])
    }

    private func putResourcePolicy(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let secret = try await service.putResourcePolicy(
            secretID: try secretID(r), policy: try r.requiredString("ResourcePolicy", min: 1, max: 20_480),
            blockPublicPolicy: try r.bool("BlockPublicPolicy") ?? false, in: scope)
        return .object(SecretShapes.arnAndName(secret))
    }

    private func getResourcePolicy(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let secret = try await service.getResourcePolicy(secretID: try secretID(r), in: scope)
        var out = SecretShapes.arnAndName(secret)
        if let policy = secret.resourcePolicy { out["ResourcePolicy"] = .string(policy) }
        return .object(out)
    }

    private func deleteResourcePolicy(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        .object(SecretShapes.arnAndName(try await service.deleteResourcePolicy(secretID: try secretID(r), in: scope)))
    }

    private func rotateSecret(_ r: JSONRequest, _ context: CallerContext) async throws -> JSONValue {
        let id = try secretID(r)
        let token = try token(r)
        let lambdaARN = try r.string("RotationLambdaARN", max: 2048)
        var rules: RotationRules?
        if let structure = try r.structure("RotationRules") {
            rules = RotationRules(
                automaticallyAfterDays: try structure.integer("AutomaticallyAfterDays", min: 1, max: 1000),
                scheduleExpression: try structure.string("ScheduleExpression", min: 1, max: 256),
                duration: try structure.string("Duration", min: 2, max: 3))
        }
        let immediately = try r.bool("RotateImmediately") ?? true
        if let lambdaARN, !context.isRoot {
            // As on AWS, the caller must also be allowed to invoke the function.
            try await access.authorize(context, action: "lambda:InvokeFunction", resource: lambdaARN, keys: [:], resourcePolicy: nil)
        }
        let result = try await rotation.rotateSecret(
            RotateSecretInput(secretID: id, clientRequestToken: token, lambdaARN: lambdaARN, rules: rules, rotateImmediately: immediately),
            in: context.scope)
        rotationAccepted(result)
        var out = SecretShapes.arnAndName(result.secret)
        out["VersionId"] = .string(result.versionID)
        return .object(out)
    }

    private func cancelRotateSecret(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let result = try await rotation.cancelRotateSecret(secretID: try secretID(r), in: scope)
        var out = SecretShapes.arnAndName(result.secret)
        if let version = result.versionID { out["VersionId"] = .string(version) }
        return .object(out)
    }

    private func validateResourcePolicy(_ r: JSONRequest, _ scope: ResourceScope) async throws -> JSONValue {
        let findings = try await service.validateResourcePolicy(
            secretID: try r.string("SecretId", min: 1, max: 2048),
            policy: try r.requiredString("ResourcePolicy", min: 1, max: 20_480), in: scope)
        return .object([
            "PolicyValidationPassed": .bool(findings.isEmpty),
            "ValidationErrors": .array(findings.map { .object(["CheckName": .string($0.checkName), "ErrorMessage": .string($0.message)]) }),
        ])
    }
}

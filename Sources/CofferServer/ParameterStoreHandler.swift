import CofferCore
import CofferServices
import CofferWire
import Foundation

/// Translates Parameter Store's JSON 1.1 wire shapes (`AmazonSSM.*`) to ``ParameterStoreService`` calls.
struct ParameterStoreHandler: JSONServiceHandler {
    let service: ParameterStoreService
    let access: AccessControl
    let kms: KMSService

    func handle(_ operation: String, _ r: JSONRequest, context: CallerContext) async throws -> JSONValue {
        try await authorize(operation, r, context)
        switch operation {
        case "PutParameter": return try await putParameter(r, context)
        case "GetParameter":
            let result = try await service.getParameter(try name(r), withDecryption: try r.bool("WithDecryption") ?? false, context: context)
            return .object(["Parameter": parameter(result)])
        case "GetParameters":
            let names = try r.required("Names", try r.stringList("Names", min: 1, max: 10, itemMin: 1, itemMax: 2048))
            let result = try await service.getParameters(names, withDecryption: try r.bool("WithDecryption") ?? false, context: context)
            return .object(["Parameters": .array(result.parameters.map(parameter)), "InvalidParameters": .array(result.invalid.map(JSONValue.string))])
        case "GetParametersByPath": return try await getParametersByPath(r, context)
        case "DeleteParameter":
            try await service.deleteParameter(try name(r), context: context)
            return .object([:])
        case "DeleteParameters":
            let names = try r.required("Names", try r.stringList("Names", min: 1, max: 10, itemMin: 1, itemMax: 2048))
            let result = try await service.deleteParameters(names, context: context)
            return .object(["DeletedParameters": .array(result.deleted.map(JSONValue.string)), "InvalidParameters": .array(result.invalid.map(JSONValue.string))])
        case "DescribeParameters": return try await describeParameters(r, context)
        case "GetParameterHistory": return try await history(r, context)
        case "LabelParameterVersion":
            let result = try await service.labelParameterVersion(
                try name(r), version: try r.integer("ParameterVersion"), labels: try labels(r), context: context)
            return .object(["InvalidLabels": .array(result.invalid.map(JSONValue.string)), "ParameterVersion": .number(Double(result.version))])
        case "UnlabelParameterVersion":
            let result = try await service.unlabelParameterVersion(
                try name(r), version: try r.required("ParameterVersion", try r.integer("ParameterVersion")), labels: try labels(r), context: context)
            return .object(["RemovedLabels": .array(result.removed.map(JSONValue.string)), "InvalidLabels": .array(result.invalid.map(JSONValue.string))])
        case "AddTagsToResource":
            try await service.addTags(resourceType: try resourceType(r), resourceID: try resourceID(r),
                                      tags: try r.required("Tags", try tags(r)), context: context)
            return .object([:])
        case "RemoveTagsFromResource":
            try await service.removeTags(resourceType: try resourceType(r), resourceID: try resourceID(r),
                                         keys: try r.required("TagKeys", try r.stringList("TagKeys", itemMin: 1, itemMax: 128)), context: context)
            return .object([:])
        case "ListTagsForResource":
            let tags = try await service.listTags(resourceType: try resourceType(r), resourceID: try resourceID(r), context: context)
            return .object(["TagList": .array(tags.map { .object(["Key": .string($0.key), "Value": .string($0.value)]) })])
        default:
            guard ModelValidation.knows(service: "ssm", operation: operation) else { throw CofferError.unserved("ssm", operation) }
            throw CofferError(.notImplemented, "Coffer implements Parameter Store only; ssm:\(operation) is not available.")
        }
    }

    // MARK: Authorization

    /// Parameter Store authorizes against the parameter's ARN (each one, for GetParameters and DeleteParameters).
    private func authorize(_ operation: String, _ r: JSONRequest, _ context: CallerContext) async throws {
        let action = "ssm:\(operation)"
        var names: [String] = []
        if let name = try r.string("Name") { names = [name] }
        if let list = try r.stringList("Names") { names = list }
        if let path = try r.string("Path") { names = [path] }
        if let id = try r.string("ResourceId") { names = [id] }
        if context.isRoot {
            for name in names { AccessControl.noteAudited(Self.parameterARN(name, context.scope)) }
            return
        }
        var keys: [String: [String]] = [:]
        if let tags = try self.tags(r) { keys = AccessControl.requestTagKeys(tags) }
        if names.isEmpty {
            try await access.authorize(context, action: action, resource: "arn:aws:ssm:\(context.scope.region):\(context.scope.account):*", keys: keys)
        }
        for name in names {
            try await access.authorize(context, action: action, resource: Self.parameterARN(name, context.scope), keys: keys)
        }
        try await authorizeKeyUse(operation, r, context, names: names)
    }

    /// The ARN a parameter name (or path, or reference) is authorized against.
    static func parameterARN(_ name: String, _ scope: ResourceScope) -> String {
        let base = (try? ParameterRules.reference(name, scope: scope).name) ?? name
        let path = base.hasSuffix("/") && base != "/" ? String(base.dropLast()) : base
        return ParameterRules.arn(path, scope: scope)
    }

    /// SecureStrings need kms:Decrypt (reading with decryption) or kms:Encrypt (writing) on their key, through SSM.
    private func authorizeKeyUse(_ operation: String, _ r: JSONRequest, _ context: CallerContext, names: [String]) async throws {
        let action: String
        var keyIDs: [String?] = []
        switch operation {
        case "GetParameter", "GetParameters", "GetParameterHistory":
            guard try r.bool("WithDecryption") == true else { return }
            action = "kms:Decrypt"
            for name in names {
                let base = (try? ParameterRules.reference(name, scope: context.scope).name) ?? name
                if let version = try await service.latestVersion(base, scope: context.scope), version.type == .secureString {
                    keyIDs.append(version.keyID)
                }
            }
        case "GetParametersByPath":
            guard try r.bool("WithDecryption") == true else { return }
            action = "kms:Decrypt"
            keyIDs = try await service.secureKeyIDs(under: try r.requiredString("Path"), recursive: try r.bool("Recursive") ?? false,
                                                    scope: context.scope)
        case "PutParameter":
            guard try r.string("Type") == "SecureString" else { return }
            action = "kms:Encrypt"
            keyIDs = [try r.string("KeyId")]
        default:
            return
        }
        for keyID in Set(keyIDs.map { $0 ?? "alias/aws/ssm" }) {
            guard let key = try? await (keyID == "alias/aws/ssm" ? kms.managedKey(service: "ssm", in: context.scope) : kms.resolve(keyID, in: context.scope))
            else { continue }
            try await access.authorizeKeyUse(context, key: key, action: action, viaService: "ssm")
        }
    }

    // MARK: Readers

    private func name(_ r: JSONRequest) throws(CofferError) -> String { try r.requiredString("Name", min: 1, max: 2048) }

    private func labels(_ r: JSONRequest) throws(CofferError) -> [String] {
        try r.required("Labels", try r.stringList("Labels", min: 1, max: 10, itemMin: 1, itemMax: 100))
    }

    private func resourceType(_ r: JSONRequest) throws(CofferError) -> String {
        try r.required("ResourceType", try r.enumeration("ResourceType", ["Document", "ManagedInstance", "MaintenanceWindow", "Parameter", "PatchBaseline", "OpsItem", "OpsMetadata", "Automation", "Association"]))
    }

    private func resourceID(_ r: JSONRequest) throws(CofferError) -> String { try r.requiredString("ResourceId") }

    private func tags(_ r: JSONRequest) throws(CofferError) -> [Tag]? {
        guard let list = try r.structures("Tags", max: 1000) else { return nil }
        var tags: [Tag] = []
        for item in list {
            tags.append(Tag(key: try item.requiredString("Key", min: 1, max: 128), value: try item.required("Value", try item.string("Value", max: 256))))
        }
        return tags
    }

    private func parameterFilters(_ r: JSONRequest) throws(CofferError) -> [ParameterFilter] {
        var filters: [ParameterFilter] = []
        for item in try r.structures("ParameterFilters") ?? [] {
            filters.append(ParameterFilter(
                key: try item.requiredString("Key", min: 1, max: 132), option: try item.string("Option", min: 1, max: 10),
                values: try item.stringList("Values", min: 1, max: 50, itemMin: 1, itemMax: 1024) ?? []))
        }
        return filters
    }

    // MARK: Shapes

    private func parameter(_ result: ParameterResult) -> JSONValue {
        // Appended into one allocation: each subscript set looked for its key first and the array grew
        // twice (GetParameter's answer).
        var out = JSONObject()
        out.reserveCapacity(9)
        out.append("Name", .string(result.name))
        out.append("Type", .string(result.version.type.rawValue))
        out.append("Value", .string(result.value))
        out.append("Version", .number(Double(result.version.version)))
        if let selector = result.selector { out.append("Selector", .string(selector)) }
        if let source = result.source { out.append("SourceResult", .string(JSONWriter.string(SecretShapes.referenceSource(source)))) }
        out.append("LastModifiedDate", JSONResponse.timestamp(result.version.lastModifiedDate))
        out.append("ARN", .string(result.arn))
        out.append("DataType", .string(result.version.dataType))
        return .object(out)
    }

    /// The members ParameterMetadata and ParameterHistory share.
    private func metadata(_ name: String, _ version: ParameterVersion) -> JSONObject {
        var out: JSONObject = ["Name": .string(name), "Type": .string(version.type.rawValue)]
        if let key = version.keyID { out["KeyId"] = .string(key) }
        out["LastModifiedDate"] = JSONResponse.timestamp(version.lastModifiedDate)
        out["LastModifiedUser"] = .string(version.lastModifiedUser)
        if let description = version.description { out["Description"] = .string(description) }
        if let pattern = version.allowedPattern { out["AllowedPattern"] = .string(pattern) }
        out["Version"] = .number(Double(version.version))
        out["Tier"] = .string(version.tier)
        out["Policies"] = .array((version.policies.flatMap { try? ParameterPolicies.parse($0, now: .distantPast) } ?? []).map { policy in
            .object(["PolicyText": .string(policy.text), "PolicyType": .string(policy.kind.rawValue), "PolicyStatus": .string("Pending")])
        })
        out["DataType"] = .string(version.dataType)
        return out
    }

    // MARK: Operations

    private func putParameter(_ r: JSONRequest, _ context: CallerContext) async throws -> JSONValue {
        var input = PutParameterInput(name: try name(r), value: try r.required("Value", try r.string("Value", sensitive: true)))
        if let type = try r.enumeration("Type", ParameterType.allCases.map(\.rawValue)) { input.type = ParameterType(rawValue: type) }
        input.description = try r.string("Description", max: 1024)
        input.keyID = try r.string("KeyId", min: 1, max: 256)
        input.overwrite = try r.bool("Overwrite") ?? false
        input.allowedPattern = try r.string("AllowedPattern", max: 1024)
        input.tags = try tags(r) ?? []
        input.tier = try r.enumeration("Tier", ParameterRules.tiers)
        input.policies = try r.string("Policies", min: 1, max: 4096)
        input.dataType = try r.string("DataType", max: 128)
        let result = try await service.putParameter(input, context: context)
        return .object(["Version": .number(Double(result.version)), "Tier": .string(result.tier)])
    }

    private func getParametersByPath(_ r: JSONRequest, _ context: CallerContext) async throws -> JSONValue {
        let result = try await service.getParametersByPath(
            try r.requiredString("Path", min: 1, max: 2048), recursive: try r.bool("Recursive") ?? false, filters: try parameterFilters(r),
            withDecryption: try r.bool("WithDecryption") ?? false, maxResults: try r.integer("MaxResults", min: 1, max: 10),
            nextToken: try r.string("NextToken"), context: context)
        var out: JSONObject = ["Parameters": .array(result.parameters.map(parameter))]
        if let next = result.nextToken { out["NextToken"] = .string(next) }
        return .object(out)
    }

    private func describeParameters(_ r: JSONRequest, _ context: CallerContext) async throws -> JSONValue {
        var filters: [ParameterFilter] = []
        for item in try r.structures("Filters") ?? [] {
            let key = try item.required("Key", try item.enumeration("Key", ["Name", "Type", "KeyId"]))
            let values = try item.required("Values", try item.stringList("Values", min: 1, max: 50, itemMin: 1, itemMax: 1024))
            filters.append(ParameterFilter(key: key, option: key == "Name" ? "BeginsWith" : "Equals", values: values))
        }
        if try r.bool("Shared") == true { return .object(["Parameters": []]) }
        let result = try await service.describeParameters(
            filters: filters, parameterFilters: try parameterFilters(r), maxResults: try r.integer("MaxResults", min: 1, max: 50),
            nextToken: try r.string("NextToken"), context: context)
        var out: JSONObject = ["Parameters": .array(result.parameters.compactMap { parameter in
            parameter.latest.map { latest in
                var entry = metadata(parameter.name, latest)
                entry["ARN"] = .string(parameter.arn)
                return .object(entry)
            }
        })]
        if let next = result.nextToken { out["NextToken"] = .string(next) }
        return .object(out)
    }

    private func history(_ r: JSONRequest, _ context: CallerContext) async throws -> JSONValue {
        let result = try await service.history(
            try name(r), withDecryption: try r.bool("WithDecryption") ?? false, maxResults: try r.integer("MaxResults", min: 1, max: 50),
            nextToken: try r.string("NextToken"), context: context)
        var out: JSONObject = ["Parameters": .array(result.versions.map { version, value in
            var entry = metadata(result.parameter.name, version)
            entry["Value"] = .string(value)
            entry["Labels"] = .array(version.labels.map(JSONValue.string))
            return .object(entry)
        })]
        if let next = result.nextToken { out["NextToken"] = .string(next) }
        return .object(out)
    }
}

public import CofferCore
public import Foundation

/// One version of a secret, as GetSecretValue returns it.
public struct FetchedSecret: Sendable {
    public let arn: String
    public let name: String
    public let versionID: String
    public let stages: [String]
    public let string: Redacted<String>?
    public let binary: Redacted<[UInt8]>?

    /// The secret's JSON fields, when its string is a JSON object (numbers and booleans as text).
    public func fields() throws(AWSClientError) -> [(name: String, value: Redacted<String>)] {
        guard let text = string?.value, case .object(let object)? = try? JSONParser.parse(text) else {
            throw .configuration("secret \(name) is not a JSON object, so it has no fields")
        }
        return object.members.compactMap { member in
            switch member.value {
            case .string(let s): (member.key, Redacted(s))
            case .number, .bool: (member.key, Redacted(JSONWriter.string(member.value)))
            case .null: nil
            case .array, .object: (member.key, Redacted(JSONWriter.string(member.value)))
            }
        }
    }
}

/// Secrets Manager's reads and the writes the tools need, over JSON 1.1.
public struct SecretsManagerClient: Sendable {
    public let caller: SignedCaller

    public init(caller: SignedCaller) { self.caller = caller }

    public func getSecretValue(_ id: String, versionStage: String? = nil, versionID: String? = nil) async throws(AWSClientError) -> FetchedSecret {
        var body: JSONObject = ["SecretId": .string(id)]
        if let versionStage { body["VersionStage"] = .string(versionStage) }
        if let versionID { body["VersionId"] = .string(versionID) }
        let answer = try await caller.call(.secretsManager, target: "secretsmanager.GetSecretValue", body)
        return FetchedSecret(arn: answer["ARN"]?.stringValue ?? id, name: answer["Name"]?.stringValue ?? id,
                           versionID: answer["VersionId"]?.stringValue ?? "",
                           stages: (answer["VersionStages"]?.arrayValue ?? []).compactMap(\.stringValue),
                           string: answer["SecretString"]?.stringValue.map(Redacted.init),
                           binary: answer["SecretBinary"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { Redacted([UInt8]($0)) })
    }

    /// Version id to staging labels, from DescribeSecret (which reads no value).
    public func versionStages(_ id: String) async throws(AWSClientError) -> [String: [String]] {
        let answer = try await caller.call(.secretsManager, target: "secretsmanager.DescribeSecret", ["SecretId": .string(id)])
        var out: [String: [String]] = [:]
        for member in answer["VersionIdsToStages"]?.objectValue?.members ?? [] {
            out[member.key] = (member.value.arrayValue ?? []).compactMap(\.stringValue)
        }
        return out
    }

    @discardableResult
    public func putSecretValue(_ id: String, string: String, clientRequestToken: String? = nil) async throws(AWSClientError) -> String {
        // As the SDKs do: AWS requires a token on every call that makes a version.
        let body: JSONObject = ["SecretId": .string(id), "SecretString": .string(string),
                                "ClientRequestToken": .string(clientRequestToken ?? UUID().uuidString.lowercased())]
        return try await caller.call(.secretsManager, target: "secretsmanager.PutSecretValue", body)["VersionId"]?.stringValue ?? ""
    }

    @discardableResult
    public func createSecret(_ name: String, string: String, tags: [String: String] = [:], clientRequestToken: String? = nil) async throws(AWSClientError) -> String {
        var body: JSONObject = ["Name": .string(name), "SecretString": .string(string)]
        if !tags.isEmpty { body["Tags"] = .array(tags.sorted { $0.key < $1.key }.map { .object(["Key": .string($0.key), "Value": .string($0.value)]) }) }
        body["ClientRequestToken"] = .string(clientRequestToken ?? UUID().uuidString.lowercased())
        return try await caller.call(.secretsManager, target: "secretsmanager.CreateSecret", body)["ARN"]?.stringValue ?? ""
    }
}

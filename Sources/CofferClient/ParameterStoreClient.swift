public import CofferCore

/// One parameter as GetParameter returns it; a SecureString's value is decrypted only when asked.
public struct FetchedParameter: Sendable {
    public let name: String
    public let type: String
    public let version: Int
    public let value: Redacted<String>
    public var isSecure: Bool { type == "SecureString" }
}

/// Parameter Store's reads and writes over JSON 1.1.
public struct ParameterStoreClient: Sendable {
    public let caller: SignedCaller

    public init(caller: SignedCaller) { self.caller = caller }

    public func getParameter(_ name: String, decrypt: Bool = true) async throws(AWSClientError) -> FetchedParameter {
        let answer = try await caller.call(.ssm, target: "AmazonSSM.GetParameter", ["Name": .string(name), "WithDecryption": .bool(decrypt)])
        guard let parameter = answer["Parameter"]?.objectValue, let value = Self.parameter(parameter) else {
            throw .service(code: "MalformedResponse", message: "GetParameter answered without a parameter", status: 200)
        }
        return value
    }

    /// Every parameter under `path` (recursively by default), all pages.
    public func parameters(under path: String, recursive: Bool = true, decrypt: Bool = true) async throws(AWSClientError) -> [FetchedParameter] {
        var out: [FetchedParameter] = []
        var token: String?
        repeat {
            var body: JSONObject = ["Path": .string(path), "Recursive": .bool(recursive), "WithDecryption": .bool(decrypt), "MaxResults": .number(10)]
            if let token { body["NextToken"] = .string(token) }
            let page = try await caller.call(.ssm, target: "AmazonSSM.GetParametersByPath", body)
            out += (page["Parameters"]?.arrayValue ?? []).compactMap { $0.objectValue.flatMap(Self.parameter) }
            token = page["NextToken"]?.stringValue
        } while token != nil
        return out
    }

    @discardableResult
    public func putParameter(_ name: String, value: String, type: String, overwrite: Bool) async throws(AWSClientError) -> Int {
        let answer = try await caller.call(.ssm, target: "AmazonSSM.PutParameter", [
            "Name": .string(name), "Value": .string(value), "Type": .string(type), "Overwrite": .bool(overwrite),
        ])
        return Int(answer["Version"]?.numberValue ?? 0)
    }

    static func parameter(_ object: JSONObject) -> FetchedParameter? {
        guard let name = object["Name"]?.stringValue, let value = object["Value"]?.stringValue else { return nil }
        return FetchedParameter(name: name, type: object["Type"]?.stringValue ?? "String", version: Int(object["Version"]?.numberValue ?? 0), value: Redacted(value))
    }
}

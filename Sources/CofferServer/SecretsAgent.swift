public import CofferClient
import CofferCore
import Foundation
public import Logging

/// `coffer agent`: the AWS Secrets Manager Agent's local HTTP protocol (and the Parameters and
/// Secrets Lambda extension's parameter path) in front of Coffer or AWS, so that programs written
/// for that agent work unchanged. Loopback only; every request must carry the SSRF token.
public final class SecretsAgent: Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port = 2773
        public var cache = SecretCache.Settings()
        /// The value `X-Aws-Parameters-Secrets-Token` (or `X-Vault-Token`) must carry.
        public var token: String

        public init(token: String) { self.token = token }
    }

    private let server: HTTPServer

    public init(settings: Settings, secrets: SecretsManagerClient, parameters: ParameterStoreClient, logger: Logger) async throws {
        let responder = AgentResponder(cache: SecretCache(client: secrets, settings: settings.cache),
                                       parameters: ParameterCache(client: parameters, ttlSeconds: settings.cache.ttlSeconds), token: settings.token)
        server = try await HTTPServer(host: settings.host, port: settings.port, processor: responder, logger: logger)
    }

    public var localPort: Int? { server.localPort }

    public func shutdown() async { await server.shutdown(grace: .seconds(2)) }
}

/// Parameters for a TTL, for the extension's `/systemsmanager/parameters/get` path.
actor ParameterCache {
    let client: ParameterStoreClient
    let ttlSeconds: Double
    var entries: [String: (value: FetchedParameter, fetched: Date)] = [:]

    init(client: ParameterStoreClient, ttlSeconds: Double) {
        self.client = client
        self.ttlSeconds = ttlSeconds
    }

    func parameter(_ name: String, decrypt: Bool) async throws(AWSClientError) -> FetchedParameter {
        let key = "\(decrypt ? "d" : "p"):\(name)"
        if ttlSeconds > 0, let entry = entries[key], Date().timeIntervalSince(entry.fetched) < ttlSeconds { return entry.value }
        let value = try await client.getParameter(name, decrypt: decrypt)
        if ttlSeconds > 0 { entries[key] = (value, Date()) }
        return value
    }
}

struct AgentResponder: HTTPResponder {
    let cache: SecretCache
    let parameters: ParameterCache
    let token: String

    func process(_ request: HTTPRequestData) async -> HTTPResponseData {
        let (path, query) = RequestProcessor.split(request.uri)
        guard request.method == "GET" else { return Self.error(405, "MethodNotAllowed", "the agent answers GET only") }
        let presented = request.headers.first { ["x-aws-parameters-secrets-token", "x-vault-token"].contains($0.name.lowercased()) }?.value
        guard let presented, Self.same(presented, token) else {
            return Self.error(403, "Forbidden", "missing or wrong X-Aws-Parameters-Secrets-Token")
        }
        let members = RequestProcessor.members(query)
        let refresh = members["refreshNow"]?.stringValue == "true"
        do {
            if path == "/secretsmanager/get" || path.hasPrefix("/v1/") {
                let id = path.hasPrefix("/v1/") ? String(path.dropFirst(4)).removingPercentEncoding ?? "" : members["secretId"]?.stringValue ?? ""
                guard !id.isEmpty else { return Self.error(400, "ValidationException", "secretId is required") }
                let secret = try await cache.secret(id, versionStage: members["versionStage"]?.stringValue, versionID: members["versionId"]?.stringValue,
                                                    refreshNow: refresh)
                var body: JSONObject = ["ARN": .string(secret.arn), "Name": .string(secret.name), "VersionId": .string(secret.versionID),
                                        "VersionStages": SecretShapes.stages(secret.stages)]
                if let string = secret.string { body["SecretString"] = .string(string.value) }
                if let binary = secret.binary { body["SecretBinary"] = .string(Data(binary.value).base64EncodedString()) }
                return HTTPResponseData(status: 200, headers: [("Content-Type", "application/json")], body: JSONWriter.bytes(.object(body)))
            }
            if path == "/systemsmanager/parameters/get" {
                guard let name = members["name"]?.stringValue, !name.isEmpty else { return Self.error(400, "ValidationException", "name is required") }
                let parameter = try await parameters.parameter(name, decrypt: members["withDecryption"]?.stringValue == "true")
                let body: JSONValue = .object(["Parameter": .object([
                    "Name": .string(parameter.name), "Type": .string(parameter.type), "Value": .string(parameter.value.value),
                    "Version": .number(Double(parameter.version)),
                ])])
                return HTTPResponseData(status: 200, headers: [("Content-Type", "application/json")], body: JSONWriter.bytes(body))
            }
            return Self.error(404, "NotFound", "the agent serves /secretsmanager/get, /v1/SECRET and /systemsmanager/parameters/get")
        } catch {
            switch error {
            case .service(let code, let message, let status): return Self.error(status, code, message)
            default: return Self.error(502, "BadGateway", error.description)
            }
        }
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> HTTPResponseData {
        HTTPResponseData(status: status, headers: [("Content-Type", "application/json")],
                         body: JSONWriter.bytes(.object(["__type": .string(code), "message": .string(message)])))
    }

    /// Compared in constant time: the token guards every secret the agent can read.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

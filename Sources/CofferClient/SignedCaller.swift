public import CofferCore
public import Foundation

/// An access key pair, as the AWS SDKs hold one; the secret halves never print.
public struct AWSCredentials: Sendable {
    public let accessKeyID: String
    public let secretAccessKey: Redacted<String>
    public let sessionToken: Redacted<String>?

    public init(accessKeyID: String, secretAccessKey: Redacted<String>, sessionToken: Redacted<String>? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// SigV4-signed calls to Coffer or AWS over its two wire protocols (query for STS and IAM, JSON
/// 1.1 for Secrets Manager, SSM, KMS), signed with Coffer's own signer. The seed of the client
/// library: the CLI's commands, the scanner's `--verify` and the access-key rotation's test use it.
public struct SignedCaller: Sendable {
    public let endpoint: URL
    public let region: String
    public let credentials: AWSCredentials
    public var timeout: Double = 10
    /// Sends the signed request instead of URLSession: the web console hands its calls to the
    /// server's own request path in process.
    public var transport: (@Sendable (SigV4Request) async throws -> Answer)?
    /// Sent (and signed) as User-Agent when set; the trail records it.
    public var userAgent: String?
    /// Sends the call without a signature: STS's AssumeRoleWithWebIdentity, whose token is the credential.
    public var unsigned = false

    public init(endpoint: URL, region: String, credentials: AWSCredentials) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
    }

    public struct Answer: Sendable {
        public let status: Int
        public let body: [UInt8]
        public init(status: Int, body: [UInt8]) {
            self.status = status
            self.body = body
        }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// A query-protocol call: `Action=...&Version=...` form, XML answer.
    public func query(service: String, _ form: String) async throws -> Answer {
        try await send(service: service, body: Array(form.utf8),
                       headers: [(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")])
    }

    /// A JSON 1.1 call: `X-Amz-Target: PREFIX.Operation`.
    public func json(service: String, target: String, _ body: [UInt8]) async throws -> Answer {
        try await send(service: service, body: body,
                       headers: [(name: "Content-Type", value: "application/x-amz-json-1.1"), (name: "X-Amz-Target", value: target)])
    }

    func send(service: String, body: [UInt8], headers: [(name: String, value: String)]) async throws -> Answer {
        var host = endpoint.host ?? "localhost"
        if let port = endpoint.port { host += ":\(port)" }
        var signed = SigV4Request(method: "POST", path: "/", query: "",
                                  headers: [(name: "Host", value: host)] + (userAgent.map { [(name: "User-Agent", value: $0)] } ?? []) + headers, body: body)
        if !unsigned {
            SigV4.sign(&signed, accessKeyID: credentials.accessKeyID, secret: credentials.secretAccessKey.value, region: region,
                       service: service, date: Date(), sessionToken: credentials.sessionToken?.value)
        }
        if let transport { return try await transport(signed) }
        let response = try await HTTPFetch.send("POST", to: endpoint, headers: signed.headers.filter { $0.name != "Host" }, body: body, timeout: timeout)
        return Answer(status: response.status, body: response.body)
    }
}

public import CofferClient
import CofferCore
public import Foundation

/// `--verify ENDPOINT`: asks the endpoint (Coffer or AWS) whether a found AWS key pair is live,
/// with a signed STS GetCallerIdentity made with that pair, and nothing is sent without the flag.
/// With the operator's own credentials (the AWS CLI's environment or shared credentials file) it
/// also asks IAM whose key it is, how old it is and when it was last used, and says how to
/// rotate it with Coffer. Query-protocol calls only; this is the seed of the client library.
public struct KeyVerifier: Sendable {
    public let endpoint: URL
    public let region: String
    /// The operator's credentials, for the IAM questions; nil asks only STS.
    public let operatorCredentials: AWSCredentials?

    public init(endpoint: URL, region: String, operatorCredentials: AWSCredentials?) {
        self.endpoint = endpoint
        self.region = region
        self.operatorCredentials = operatorCredentials
    }

    /// One line for the report.
    public func verify(keyID: String, secret: [UInt8]) async -> String {
        let secretText = String(decoding: secret, as: UTF8.self)
        let identity: (status: Int, body: String)
        do {
            identity = try await call(service: "sts", "Action=GetCallerIdentity&Version=2011-06-15",
                                      as: AWSCredentials(accessKeyID: keyID, secretAccessKey: Redacted(secretText)))
        } catch {
            return "not verified: \(endpoint.absoluteString) could not be reached"
        }
        guard identity.status == 200, let arn = QueryXML.value("Arn", in: identity.body) else {
            let code = QueryXML.value("Code", in: identity.body) ?? "HTTP \(identity.status)"
            return code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" || code == "UnrecognizedClientException"
                ? "not live: \(endpoint.absoluteString) refuses the key (\(code)): it is deleted, inactive or never existed there"
                : "not verified: \(code)"
        }
        var line = "LIVE: the key works as \(arn)"
        if let details = await keyDetails(keyID: keyID) { line += "; " + details }
        line += ". Rotate it: store the pair in a secret and run `aws secretsmanager rotate-secret` with an iam-access-key rotation function (README, Rotate secrets), or deactivate it now with `aws iam update-access-key --status Inactive`."
        return line
    }

    /// Owner, age and last use, asked with the operator's credentials.
    func keyDetails(keyID: String) async -> String? {
        guard let op = operatorCredentials else { return nil }
        guard let lastUsed = try? await call(service: "iam", "Action=GetAccessKeyLastUsed&Version=2010-05-08&AccessKeyId=\(keyID)", as: op),
            lastUsed.status == 200, let user = QueryXML.value("UserName", in: lastUsed.body)
        else { return nil }
        var parts = ["user \(user)"]
        if let keys = try? await call(service: "iam", "Action=ListAccessKeys&Version=2010-05-08&UserName=\(user)", as: op), keys.status == 200,
            let member = keys.body.components(separatedBy: "<member>").first(where: { $0.contains("<AccessKeyId>\(keyID)</AccessKeyId>") })
        {
            if let created = QueryXML.value("CreateDate", in: member) {
                parts.append("created \(created)")
                if let date = SigV4Timestamp.parse(created) ?? ISO8601DateFormatter().date(from: created) {
                    parts.append("\(Int(Date().timeIntervalSince(date) / 86_400)) days old")
                }
            }
            if let status = QueryXML.value("Status", in: member) { parts.append(status) }
        }
        if let used = QueryXML.value("LastUsedDate", in: lastUsed.body) {
            parts.append("last used \(used)" + (QueryXML.value("ServiceName", in: lastUsed.body).map { " (\($0))" } ?? ""))
        } else {
            parts.append("never used")
        }
        return parts.joined(separator: ", ")
    }

    func call(service: String, _ body: String, as credentials: AWSCredentials) async throws -> (status: Int, body: String) {
        let answer = try await SignedCaller(endpoint: endpoint, region: region, credentials: credentials).query(service: service, body)
        return (answer.status, answer.text)
    }

}

import CofferClient
import CofferCore
import Foundation

/// The console's calls: AWS API requests signed with the signed-in user's session credentials and
/// sent through the same request path as any SDK's (verified, authorized, rate-limited, audited),
/// in process. The console itself never reads storage.
struct ConsoleCalls: Sendable {
    /// The client library's signed caller, its transport the server's own request path.
    let caller: SignedCaller

    static let userAgent = "coffer-console/1.0"

    init(api: any HTTPResponder, credentials: ConsoleCredentials, region: String, sourceIP: String?) {
        var caller = SignedCaller(endpoint: URL(string: "http://console.coffer.internal")!, region: region,
                                  credentials: AWSCredentials(accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey,
                                                              sessionToken: credentials.sessionToken))
        caller.userAgent = Self.userAgent
        // The browser's address, so the trail and aws:SourceIp see who looked.
        caller.transport = { signed in
            let answer = await api.process(HTTPRequestData(method: signed.method, uri: "/", headers: signed.fields, body: signed.body, remoteAddress: sourceIP))
            return SignedCaller.Answer(status: answer.status, body: answer.body)
        }
        self.caller = caller
    }

    var region: String { caller.region }

    /// A failed call, as AWS answered it: code and message, shown in the page.
    struct Failure: Error, Sendable {
        let code: String
        let message: String

        init(code: String, message: String) {
            self.code = code
            self.message = message
        }

        /// AWS's error as the client library reads it from an answer.
        init(_ error: AWSClientError) {
            switch error {
            case .service(let code, let message, let status):
                self.init(code: code, message: message.isEmpty ? "The call failed (HTTP \(status))." : message)
            default:
                self.init(code: "InternalFailure", message: error.description)
            }
        }

        var isExpiredSession: Bool { ["ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException", "InvalidClientTokenId"].contains(code) }
        var isDenied: Bool { code == "AccessDeniedException" || code == "AccessDenied" }
    }

    /// A JSON 1.1 call (Secrets Manager, SSM, KMS, CloudTrail).
    func json(_ service: String, target: String, _ body: JSONObject) async throws(Failure) -> JSONValue {
        let answer: SignedCaller.Answer
        do {
            answer = try await caller.json(service: service, target: target, JSONWriter.bytes(.object(body)))
        } catch {
            throw Failure(code: "InternalFailure", message: "The call could not be made.")
        }
        let parsed = (try? JSONParser.parse(answer.body)) ?? .object(JSONObject())
        guard answer.status == 200 else { throw Failure(SignedCaller.jsonError(answer, parsed)) }
        return parsed
    }

    /// A query-protocol call (STS, IAM); answers the XML text.
    func query(_ service: String, _ parameters: [(String, String)]) async throws(Failure) -> String {
        let form = parameters.map { "\(SignedCaller.formEncode($0.0))=\(SignedCaller.formEncode($0.1))" }.joined(separator: "&")
        let answer: SignedCaller.Answer
        do {
            answer = try await caller.query(service: service, form)
        } catch {
            throw Failure(code: "InternalFailure", message: "The call could not be made.")
        }
        let text = answer.text
        guard answer.status == 200 else {
            throw Failure(code: QueryXML.value("Code", in: text) ?? "InternalFailure",
                          message: QueryXML.value("Message", in: text) ?? "The call failed (HTTP \(answer.status)).")
        }
        return text
    }

}

/// Credentials a console session signs with: the key pair given at sign-in.
struct ConsoleCredentials: Sendable {
    let accessKeyID: String
    let secretAccessKey: Redacted<String>
    let sessionToken: Redacted<String>?
}

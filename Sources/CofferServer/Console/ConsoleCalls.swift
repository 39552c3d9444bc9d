import CofferClient
import CofferCore
import Foundation

/// The console's calls: AWS API requests signed with the signed-in user's session credentials and
/// sent through the same request path as any SDK's (verified, authorized, rate-limited, audited),
/// in process. The console itself never reads storage.
struct ConsoleCalls: Sendable {
    let api: any HTTPResponder
    let credentials: ConsoleCredentials
    let region: String
    /// The browser's address, so the trail and aws:SourceIp see who looked.
    let sourceIP: String?

    static let userAgent = "coffer-console/1.0"

    /// A failed call, as AWS answered it: code and message, shown in the page.
    struct Failure: Error, Sendable {
        let code: String
        let message: String

        var isExpiredSession: Bool { ["ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException", "InvalidClientTokenId"].contains(code) }
        var isDenied: Bool { code == "AccessDeniedException" || code == "AccessDenied" }
    }

    /// A JSON 1.1 call (Secrets Manager, SSM, KMS, CloudTrail).
    func json(_ service: String, target: String, _ body: JSONObject) async throws(Failure) -> JSONValue {
        let answer = await send(service: service, body: JSONWriter.bytes(.object(body)),
                                headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", target)])
        let parsed = (try? JSONParser.parse(answer.body)) ?? .object(JSONObject())
        guard answer.status == 200 else {
            let object = parsed.objectValue
            let type = object?["__type"]?.stringValue ?? "InternalFailure"
            let code = String(type.split(separator: "#").last ?? Substring(type))
            let message = object?["message"]?.stringValue ?? object?["Message"]?.stringValue ?? "The call failed (HTTP \(answer.status))."
            throw Failure(code: code, message: message)
        }
        return parsed
    }

    /// A query-protocol call (STS, IAM); answers the XML text.
    func query(_ service: String, _ parameters: [(String, String)]) async throws(Failure) -> String {
        let form = parameters.map { "\(Self.formEscape($0.0))=\(Self.formEscape($0.1))" }.joined(separator: "&")
        let answer = await send(service: service, body: Array(form.utf8), headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")])
        let text = String(decoding: answer.body, as: UTF8.self)
        guard answer.status == 200 else {
            throw Failure(code: QueryXML.value("Code", in: text) ?? "InternalFailure",
                          message: QueryXML.value("Message", in: text) ?? "The call failed (HTTP \(answer.status)).")
        }
        return text
    }

    private func send(service: String, body: [UInt8], headers: [(String, String)]) async -> HTTPResponseData {
        var signed = SigV4Request(method: "POST", path: "/", query: "",
                                  headers: [(name: "Host", value: "console.coffer.internal"), (name: "User-Agent", value: Self.userAgent)]
                                    + headers.map { (name: $0.0, value: $0.1) },
                                  body: body)
        SigV4.sign(&signed, accessKeyID: credentials.accessKeyID, secret: credentials.secretAccessKey.value, region: region, service: service,
                   date: Date(), sessionToken: credentials.sessionToken?.value)
        return await api.process(HTTPRequestData(method: "POST", uri: "/", headers: signed.headers, body: body, remoteAddress: sourceIP))
    }

    static func formEscape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

/// Credentials a console session signs with: the temporary ones GetSessionToken gave at sign-in.
struct ConsoleCredentials: Sendable {
    let accessKeyID: String
    let secretAccessKey: Redacted<String>
    let sessionToken: Redacted<String>?
}

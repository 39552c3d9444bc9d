public import CofferCore
import Foundation

extension SignedCaller {
    /// Retries throttling and transient failures as the SDKs' standard mode does: at most `maxAttempts`
    /// tries, exponential backoff with full jitter from 100 ms, capped at 20 s.
    public static let maxAttempts = 3
    static let retryableCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
        "RequestTimeout", "RequestTimeoutException", "InternalFailure", "InternalServiceError", "ServiceUnavailable",
    ]

    /// A JSON 1.1 call answered with an object, or AWS's error.
    public func call(_ service: AWSService, target: String, _ body: JSONObject) async throws(AWSClientError) -> JSONObject {
        let bytes = JSONWriter.bytes(.object(body))
        let answer = try await retrying { try await json(service: service.signingName, target: target, bytes) }
        let parsed = try? JSONParser.parse(answer.body)
        guard answer.status == 200, case .object(let object)? = parsed else { throw Self.jsonError(answer, parsed) }
        return object
    }

    /// A query-protocol call (IAM, STS) answered with its XML, or AWS's error.
    public func call(_ service: AWSService, action: String, version: String, _ parameters: [(String, String)] = []) async throws(AWSClientError) -> String {
        var form = "Action=\(action)&Version=\(version)"
        for (name, value) in parameters { form += "&\(name)=\(Self.formEncode(value))" }
        let answer = try await retrying { try await query(service: service.signingName, form) }
        guard answer.status == 200 else {
            throw .service(code: QueryXML.value("Code", in: answer.text) ?? "HTTP \(answer.status)",
                           message: QueryXML.value("Message", in: answer.text) ?? "", status: answer.status)
        }
        return answer.text
    }

    func retrying(_ send: () async throws -> Answer) async throws(AWSClientError) -> Answer {
        var attempt = 0
        while true {
            attempt += 1
            let answer: Answer
            do { answer = try await send() } catch {
                if attempt < Self.maxAttempts { await Self.backoff(attempt); continue }
                throw .unreachable(endpoint: endpoint.absoluteString, reason: error.localizedDescription)
            }
            guard attempt < Self.maxAttempts, Self.retryable(answer) else { return answer }
            await Self.backoff(attempt)
        }
    }

    static func retryable(_ answer: Answer) -> Bool {
        if [500, 502, 503, 504, 429].contains(answer.status) { return true }
        guard answer.status == 400 else { return false }
        let text = answer.text
        return retryableCodes.contains { text.contains("\"\($0)\"") || text.contains("#\($0)\"") || text.contains("<Code>\($0)</Code>") }
    }

    static func backoff(_ attempt: Int) async {
        let ceiling = min(20.0, 0.1 * Double(1 << attempt))
        try? await Task.sleep(nanoseconds: UInt64(Double.random(in: 0...ceiling) * 1_000_000_000))
    }

    /// AWS's error from a JSON 1.1 answer that is not a 200 (`__type` after its `#`, and `message`).
    public static func jsonError(_ answer: Answer, _ parsed: JSONValue?) -> AWSClientError {
        let object = parsed?.objectValue
        let type = object?["__type"]?.stringValue ?? object?["code"]?.stringValue
        let code = type.map { String($0.split(separator: "#").last ?? Substring($0)) } ?? "HTTP \(answer.status)"
        let message = object?["message"]?.stringValue ?? object?["Message"]?.stringValue ?? ""
        return .service(code: code, message: message, status: answer.status)
    }

    /// A form value or query-string value, percent-encoded as SigV4 and AWS's query protocol want it.
    public static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

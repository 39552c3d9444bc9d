import CofferCore
import CofferServices
import CofferWire
import Foundation
import Logging

/// An HTTP request as the server hands it over: already fully read.
struct HTTPRequestData: Sendable {
    var method: String
    var uri: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
}

struct HTTPResponseData: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
}

/// One AWS JSON 1.1 service: its operations, in wire shapes.
protocol JSONServiceHandler: Sendable {
    func handle(_ operation: String, _ request: JSONRequest, context: CallerContext) async throws -> JSONValue
}

/// A JSON 1.1 service as the router sees it: the SigV4 signing name and the handler.
struct JSONService: Sendable {
    let signingName: String
    let handler: any JSONServiceHandler
}

/// The request path: route, authenticate, decode, call the service, encode the answer or AWS's error.
struct RequestProcessor: Sendable {
    let verifier: SigV4Verifier
    let credentials: CredentialDirectory
    /// In `--dev`, every access key acts for this account.
    let devAccount: String?
    /// JSON 1.1 services by X-Amz-Target prefix.
    let jsonServices: [String: JSONService]
    let random: any RandomSource
    let logger: Logger
    let version: String

    /// Prefixes that later issues serve; named so an SDK gets a clear answer.
    static let pendingServices: [String: String] = ["CloudTrail_20131101": "cloudtrail"]

    func process(_ request: HTTPRequestData) async -> HTTPResponseData {
        let requestID = random.uuidString()
        let (path, query) = Self.split(request.uri)
        if request.method == "GET", path == "/health" {
            return HTTPResponseData(
                status: 200, headers: [("Content-Type", "application/json")],
                body: JSONWriter.bytes(.object(["status": "ok", "version": .string(version)])))
        }
        let target = request.headers.first { $0.name.lowercased() == "x-amz-target" }?.value
        var service: String?
        var operation = "unknown"
        do {
            guard let target, let dot = target.firstIndex(of: ".") else {
                throw CofferError(.unknownOperation, "")
            }
            let prefix = String(target[..<dot])
            operation = String(target[target.index(after: dot)...])
            if let pending = Self.pendingServices[prefix] {
                service = pending
                throw CofferError(.notImplemented, "Coffer does not implement \(pending):\(operation) yet.")
            }
            guard let target = jsonServices[prefix] else { throw CofferError(.unknownOperation, "") }
            let signingName = target.signingName
            service = signingName
            let signed = SigV4Request(method: request.method, path: path, query: query, headers: request.headers, body: request.body)
            let verified = try await verifier.verify(signed, expectedService: signingName, secrets: credentials)
            let account: String
            let principal: String
            if let devAccount {
                account = devAccount
                principal = "arn:aws:iam::\(devAccount):root"
            } else if let entry = try await credentials.entry(for: verified.accessKeyID) {
                account = entry.account
                principal = entry.principalARN
            } else {
                throw CofferError(.unrecognizedClient, "The security token included in the request is invalid.")
            }
            let context = CallerContext(scope: ResourceScope(account: account, region: verified.scope.region),
                                        principalARN: principal, accessKeyID: verified.accessKeyID)
            let body = try JSONRequest(body: request.body)
            let result = try await target.handler.handle(operation, body, context: context)
            logger.debug("request", metadata: ["request-id": "\(requestID)", "operation": "\(signingName):\(operation)", "status": "200"])
            return HTTPResponseData(status: 200, headers: jsonHeaders(requestID), body: JSONWriter.bytes(result))
        } catch let error as CofferError {
            return errorResponse(error, service: service, operation: operation, requestID: requestID)
        } catch {
            // Details stay in the log; the client gets the request id to quote.
            logger.error("internal failure", metadata: ["request-id": "\(requestID)", "operation": "\(operation)", "error": "\(String(describing: type(of: error)))"])
            return errorResponse(CofferError(.internalFailure, "An internal error occurred. Request id: \(requestID)"),
                                 service: service, operation: operation, requestID: requestID)
        }
    }

    private func errorResponse(_ error: CofferError, service: String?, operation: String, requestID: String) -> HTTPResponseData {
        let row = ErrorTable.row(for: error.code, service: service)
        let message = error.message
        logger.debug("request", metadata: ["request-id": "\(requestID)", "operation": "\(service ?? "-"):\(operation)", "status": "\(row.status)", "error": "\(row.code)"])
        var headers = jsonHeaders(requestID)
        headers.append(("x-amzn-ErrorType", row.code))
        return HTTPResponseData(status: row.status, headers: headers, body: JSONResponse.errorBody(code: row.code, message: message))
    }

    private func jsonHeaders(_ requestID: String) -> [(String, String)] {
        [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", requestID)]
    }

    static func split(_ uri: String) -> (path: String, query: String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }
}

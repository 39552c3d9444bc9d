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
    /// The client's address, for aws:SourceIp.
    var remoteAddress: String? = nil
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

/// One AWS query-protocol service (IAM, STS): its actions, answering XML result elements.
protocol QueryServiceHandler: Sendable {
    func handle(_ action: String, _ request: QueryRequest, context: CallerContext) async throws -> [XMLNode]
}

/// A JSON 1.1 service as the router sees it: the SigV4 signing name and the handler.
struct JSONService: Sendable {
    let signingName: String
    let handler: any JSONServiceHandler
}

/// The request path: route, authenticate, decode, call the service, encode the answer or AWS's error.
struct RequestProcessor: Sendable {
    let verifier: SigV4Verifier
    let clock: any WallClock
    let credentials: CredentialDirectory
    /// In `--dev`, every access key acts for this account.
    let devAccount: String?
    /// JSON 1.1 services by X-Amz-Target prefix.
    let jsonServices: [String: JSONService]
    /// Query-protocol services by SigV4 signing name.
    let queryServices: [String: any QueryServiceHandler]
    let random: any RandomSource
    let logger: Logger
    let version: String

    func process(_ request: HTTPRequestData) async -> HTTPResponseData {
        let requestID = random.uuidString()
        let (path, query) = Self.split(request.uri)
        if request.method == "GET", path == "/health" {
            return HTTPResponseData(
                status: 200, headers: [("Content-Type", "application/json")],
                body: JSONWriter.bytes(.object(["status": "ok", "version": .string(version)])))
        }
        let signed = SigV4Request(method: request.method, path: path, query: query, headers: request.headers, body: request.body)
        if let target = signed.header("x-amz-target") {
            return await processJSON(target: target, signed, sourceIP: request.remoteAddress, requestID: requestID)
        }
        return await processQuery(signed, sourceIP: request.remoteAddress, requestID: requestID)
    }

    /// AWS JSON 1.1 services, routed by X-Amz-Target.
    private func processJSON(target: String, _ signed: SigV4Request, sourceIP: String?, requestID: String) async -> HTTPResponseData {
        var service: String?
        var operation = "unknown"
        do {
            // The operation follows the last dot: CloudTrail's prefix has dots of its own.
            guard let dot = target.lastIndex(of: ".") else { throw CofferError(.unknownOperation, "") }
            let prefix = String(target[..<dot])
            operation = String(target[target.index(after: dot)...])
            guard let target = jsonServices[prefix] else { throw CofferError(.unknownOperation, "") }
            service = target.signingName
            let context = try await authenticate(signed, service: target.signingName, sourceIP: sourceIP)
            let body = try JSONRequest(body: signed.body)
            let result = try await target.handler.handle(operation, body, context: context)
            logOutcome(requestID, "\(target.signingName):\(operation)", status: 200)
            return HTTPResponseData(status: 200, headers: jsonHeaders(requestID), body: JSONWriter.bytes(result))
        } catch {
            return errorResponse(Self.cofferError(error, requestID: requestID, logger: logger, operation: operation),
                                 service: service, operation: operation, requestID: requestID)
        }
    }

    /// Query-protocol services (IAM, STS), routed by the service in the SigV4 credential scope.
    private func processQuery(_ signed: SigV4Request, sourceIP: String?, requestID: String) async -> HTTPResponseData {
        var parameters = QueryRequest.parse(signed.query).parameters
        let contentType = signed.header("content-type")?.lowercased() ?? ""
        if signed.method == "POST", contentType.hasPrefix("application/x-www-form-urlencoded") || contentType.isEmpty {
            parameters.merge(QueryRequest.parse(String(decoding: signed.body, as: UTF8.self)).parameters) { $1 }
        }
        let request = QueryRequest(parameters: parameters)
        let action = request.action ?? "unknown"
        let service = SigV4Verifier.claimedService(signed) ?? (STSHandler.actions.contains(action) ? "sts" : "iam")
        do {
            guard let handler = queryServices[service] else {
                if SigV4Verifier.claimedService(signed) == nil { throw CofferError(.missingAuthenticationToken, "Request is missing Authentication Token") }
                throw CofferError(.unknownOperation, "Could not find operation \(action)")
            }
            let context = try await authenticate(signed, service: service, sourceIP: sourceIP)
            guard request.action != nil else { throw CofferError(.invalidInput, "Missing Action") }
            let result = try await handler.handle(action, request, context: context)
            logOutcome(requestID, "\(service):\(action)", status: 200)
            return HTTPResponseData(status: 200, headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestID)],
                                    body: QueryResponse.success(service: service, action: action, result: result, requestID: requestID))
        } catch {
            let failure = Self.cofferError(error, requestID: requestID, logger: logger, operation: action)
            let row = ErrorTable.row(for: failure.code, service: service)
            logOutcome(requestID, "\(service):\(action)", status: row.status, error: row.code)
            return HTTPResponseData(status: row.status, headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestID)],
                                    body: QueryResponse.error(service: service, code: row.code, message: failure.message, status: row.status,
                                                              requestID: requestID))
        }
    }

    /// Verifies SigV4 and says who is calling.
    private func authenticate(_ signed: SigV4Request, service: String, sourceIP: String?) async throws -> CallerContext {
        let verified = try await verifier.verify(signed, expectedService: service, secrets: credentials)
        let now = clock.now()
        let account: String
        let principal: String
        if let devAccount {
            account = devAccount
            principal = "arn:aws:iam::\(devAccount):root"
        } else if let entry = try await credentials.entry(for: verified.accessKeyID) {
            if let digest = entry.tokenDigest {
                guard let token = verified.sessionToken,
                    constantTimeEquals(Array(STSService.tokenDigest(token).utf8), Array(digest.utf8))
                else { throw CofferError(.unrecognizedClient, "The security token included in the request is invalid.") }
                if let expiration = entry.expiration, expiration <= now {
                    throw CofferError(.expiredToken, "The security token included in the request is expired")
                }
            }
            account = entry.account
            principal = entry.principalARN
            await credentials.noteUse(verified.accessKeyID, service: service, region: verified.scope.region, at: now)
        } else {
            throw CofferError(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        return CallerContext(scope: ResourceScope(account: account, region: verified.scope.region),
                             principalARN: principal, accessKeyID: verified.accessKeyID, sourceIP: sourceIP,
                             userAgent: signed.header("user-agent"), requestTime: now)
    }

    /// Any error as a CofferError; unexpected ones are logged by type and become InternalFailure.
    static func cofferError(_ error: any Error, requestID: String, logger: Logger, operation: String) -> CofferError {
        if let error = error as? CofferError { return error }
        // Details stay in the log; the client gets the request id to quote.
        logger.error("internal failure", metadata: ["request-id": "\(requestID)", "operation": "\(operation)", "error": "\(String(describing: type(of: error)))"])
        return CofferError(.internalFailure, "An internal error occurred. Request id: \(requestID)")
    }

    private func errorResponse(_ error: CofferError, service: String?, operation: String, requestID: String) -> HTTPResponseData {
        let row = ErrorTable.row(for: error.code, service: service)
        let message = error.message
        logOutcome(requestID, "\(service ?? "-"):\(operation)", status: row.status, error: row.code)
        var headers = jsonHeaders(requestID)
        headers.append(("x-amzn-ErrorType", row.code))
        return HTTPResponseData(status: row.status, headers: headers, body: JSONResponse.errorBody(code: row.code, message: message))
    }

    /// One debug line per request: never parameters or values, only what was called and how it ended.
    private func logOutcome(_ requestID: String, _ operation: String, status: Int, error: String? = nil) {
        var metadata: Logger.Metadata = ["request-id": "\(requestID)", "operation": "\(operation)", "status": "\(status)"]
        if let error { metadata["error"] = "\(error)" }
        logger.debug("request", metadata: metadata)
    }

    private func jsonHeaders(_ requestID: String) -> [(String, String)] {
        [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", requestID)]
    }

    static func split(_ uri: String) -> (path: String, query: String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }
}

import CofferCore
import CofferServices
import CofferStorage
import CofferWire
import Foundation
import Logging
import NIOHTTP1

/// An HTTP request as the server hands it over: already fully read.
struct HTTPRequestData: Sendable {
    var method: String
    var uri: String
    var headers: HeaderFields
    var body: [UInt8]
    /// The client's address, for aws:SourceIp.
    var remoteAddress: String? = nil
}

struct HTTPResponseData: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// Which AWS call this answered, for the metrics.
    var call: CallLabel? = nil

    func labelled(_ call: CallLabel) -> HTTPResponseData {
        var labelled = self
        labelled.call = call
        return labelled
    }
}

/// An answered call as the metrics count it.
struct CallLabel: Sendable {
    let service: String
    let operation: String
    let error: String?
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
/// A class, not a struct: each request's task captures it, and a struct of this many references
/// cost a retain and a release per reference per capture (two captures a request).
final class RequestProcessor: HTTPResponder {
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
    let recorder: AuditRecorder
    let metrics: CofferMetrics?
    let limits: RateLimits?

    init(verifier: SigV4Verifier, clock: any WallClock, credentials: CredentialDirectory, devAccount: String?,
         jsonServices: [String: JSONService], queryServices: [String: any QueryServiceHandler], random: any RandomSource,
         logger: Logger, version: String, recorder: AuditRecorder, metrics: CofferMetrics? = nil, limits: RateLimits? = nil) {
        self.verifier = verifier
        self.clock = clock
        self.credentials = credentials
        self.devAccount = devAccount
        self.jsonServices = jsonServices
        self.queryServices = queryServices
        self.random = random
        self.logger = logger
        self.version = version
        self.recorder = recorder
        self.metrics = metrics
        self.limits = limits
    }

    func process(_ request: HTTPRequestData) async -> HTTPResponseData {
        let (path, query) = Self.split(request.uri)
        if request.method == "GET", path == "/health" {
            return HTTPResponseData(
                status: 200, headers: [("Content-Type", "application/json")],
                body: JSONWriter.bytes(.object(["status": "ok", "version": .string(version)])))
        }
        if request.method == "GET", path == "/metrics", let metrics {
            return HTTPResponseData(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: await metrics.render())
        }
        guard let metrics else { return await serve(request, path: path, query: query) }
        let arrival = ContinuousClock.now
        let response = await serve(request, path: path, query: query)
        if let call = response.call {
            metrics.request(service: call.service, operation: call.operation, status: response.status, error: call.error, duration: .now - arrival)
        }
        return response
    }

    func answersOnLoop(_ request: HTTPRequestData) -> Bool {
        // By the value's bytes: a String of the target and its hash cost ~1,400 instructions a request.
        request.method == "POST" && request.headers.firstValue(named: "x-amz-target") { target in
            Self.loopTargets.contains { literal in
                literal.utf8CodeUnitCount == target.count && memcmp(literal.utf8Start, target.baseAddress!, target.count) == 0
            }
        }
    }

    /// The calls answered on the event loop (see ``HTTPResponder/answersOnLoop(_:)``): the reads and
    /// writes applications make all day. Each is a lookup in memory, a cipher over at most 64 KiB and
    /// an await on storage; key generation, lint, simulation and everything else run on the shared pool.
    static let loopTargets: [StaticString] = [
        "secretsmanager.GetSecretValue", "secretsmanager.BatchGetSecretValue", "secretsmanager.DescribeSecret",
        "secretsmanager.PutSecretValue", "AmazonSSM.GetParameter", "AmazonSSM.GetParameters", "AmazonSSM.PutParameter",
        "TrentService.Encrypt", "TrentService.Decrypt", "TrentService.GenerateDataKey",
        "TrentService.GenerateDataKeyWithoutPlaintext", "TrentService.DescribeKey",
    ]

    private func serve(_ request: HTTPRequestData, path: String, query: String) async -> HTTPResponseData {
        let requestID = random.uuidString()
        let signed = SigV4Request(method: request.method, path: path, query: query, fields: request.headers, body: request.body)
        if let limits, !limits.admitSource(request.remoteAddress, now: clock.now()) {
            return throttled(signed, requestID: requestID)
        }
        // REST-JSON services name the operation by method and path; the query carries paging members.
        // JSON 1.1 and query calls post to `/`: only another path can name a REST-JSON operation.
        if path != "/", let operation = Self.restOperations["\(request.method) \(path)"] {
            return await processJSON(target: operation, signed, sourceIP: request.remoteAddress, requestID: requestID, queryMembers: Self.members(query))
        }
        if let target = signed.header("x-amz-target") {
            return await processJSON(target: target, signed, sourceIP: request.remoteAddress, requestID: requestID)
        }
        return await processQuery(signed, sourceIP: request.remoteAddress, requestID: requestID)
    }

    /// AWS JSON 1.1 services, routed by X-Amz-Target.
    static let restOperations = ["POST /policy/validation": "AccessAnalyzer.ValidatePolicy"]

    /// `a=1&b=x` as JSON members (numbers where they parse), merged into a REST call's body.
    static func members(_ query: String) -> JSONObject {
        var out = JSONObject()
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            guard let name = parts.first, !name.isEmpty else { continue }
            let value = parts.count > 1 ? parts[1] : ""
            out[name] = Int(value).map { .number(Double($0)) } ?? .string(value)
        }
        return out
    }

    private func processJSON(target: String, _ signed: SigV4Request, sourceIP: String?, requestID: String,
                             queryMembers: JSONObject = JSONObject()) async -> HTTPResponseData {
        var service: String?
        var operation = "unknown"
        do {
            guard let parts = Self.serviceAndOperation(target) else { throw CofferError(.unknownOperation, "") }
            operation = parts.operation
            guard let target = jsonServices[parts.prefix] else { throw CofferError(.unknownOperation, "") }
            service = target.signingName
            let caller = try await authenticate(signed, service: target.signingName, operation: operation, sourceIP: sourceIP, requestID: requestID)
            var draft = recorder.draft(service: target.signingName, operation: operation, context: caller.context, entry: caller.entry,
                                       requestID: requestID)
            let result = try await audited(&draft, service: target.signingName) { draft in
                var body = try JSONRequest(body: signed.body)
                if !queryMembers.isEmpty {
                    var merged = body.body
                    for (name, value) in queryMembers.members { merged[name] = value }
                    body = JSONRequest(object: merged)
                }
                draft.requestParameters = recorder.parameters(body.body)
                // The model's constraints come first, as on AWS: before the handler and before authorization.
                if let invalid = ModelValidation.check(service: target.signingName, operation: operation, body: body.body) { throw invalid }
                return body
            } operation: { body in
                try await target.handler.handle(operation, body, context: caller.context)
            }
            return HTTPResponseData(status: 200, headers: jsonHeaders(requestID), body: JSONWriter.bytes(result))
                .labelled(logOutcome(requestID, service: target.signingName, operation: operation, status: 200))
        } catch {
            return errorResponse(Self.cofferError(error, requestID: requestID, logger: logger, operation: operation),
                                 service: service, operation: operation, requestID: requestID)
        }
    }

    /// Runs an authenticated call in its audit scope and makes its record durable before it is
    /// answered, whatever the outcome. `decode` reads the request (and fills the record's request
    /// parameters); a failure there is recorded like any other.
    private func audited<Input, Output>(_ draft: inout AuditDraft, service: String, decode: (inout AuditDraft) throws -> Input,
                                        operation: (Input) async throws -> Output) async throws -> Output {
        var scope: AuditScope?
        do {
            let input = try decode(&draft)
            let running = recorder.scope(for: draft)
            scope = running
            let output = try await AuditScope.$current.withValue(running) { try await operation(input) }
            try await recorder.finish(draft, scope: running, error: nil)
            return output
        } catch let failure as CofferError {
            try await recorder.finish(draft, scope: scope, error: (ErrorTable.row(for: failure.code, service: service).code, failure.message))
            throw failure
        } catch {
            // Storage or internal failures: the client sees InternalFailure, and so does the trail.
            let failure = Self.cofferError(error, requestID: draft.requestID, logger: logger, operation: draft.name)
            try await recorder.finish(draft, scope: scope, error: (ErrorTable.row(for: failure.code, service: service).code, failure.message))
            throw failure
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
        let claimedService = SigV4Verifier.claimedService(signed)
        let service = claimedService ?? (STSHandler.actions.contains(action) ? "sts" : "iam")
        do {
            guard let handler = queryServices[service] else {
                if claimedService == nil { throw CofferError(.missingAuthenticationToken, "Request is missing Authentication Token") }
                throw CofferError(.unknownOperation, "Could not find operation \(action)")
            }
            let caller = claimedService == nil && STSHandler.unsignedActions.contains(action)
                ? (context: tokenCaller(request, signed, sourceIP: sourceIP), entry: nil)
                : try await authenticate(signed, service: service, operation: action, sourceIP: sourceIP, requestID: requestID)
            var draft = recorder.draft(service: service, operation: action, context: caller.context, entry: caller.entry, requestID: requestID)
            let result = try await audited(&draft, service: service) { draft in
                guard request.action != nil else { throw CofferError(.invalidInput, "Missing Action") }
                draft.requestParameters = recorder.parameters(query: request.parameters)
                if let invalid = ModelValidation.check(service: service, operation: action, query: request.parameters) { throw invalid }
            } operation: { _ in
                try await handler.handle(action, request, context: caller.context)
            }
            return HTTPResponseData(status: 200, headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestID)],
                                    body: QueryResponse.success(service: service, action: action, result: result, requestID: requestID))
                .labelled(logOutcome(requestID, service: service, operation: action, status: 200))
        } catch {
            return queryErrorResponse(Self.cofferError(error, requestID: requestID, logger: logger, operation: action),
                                      service: service, action: action, requestID: requestID)
        }
    }

    /// Verifies SigV4 and says who is calling. A failure that names a known access key is
    /// recorded in the trail under that key.
    private func authenticate(_ signed: SigV4Request, service: String, operation: String, sourceIP: String?, requestID: String) async throws
        -> (context: CallerContext, entry: CredentialDirectory.Entry?)
    {
        do {
            let caller = try await verifyCaller(signed, service: service, sourceIP: sourceIP)
            if let limits, !limits.admitKey(caller.context.accessKeyID, operation: operation, now: caller.context.requestTime) {
                throw CofferError(.throttling, "Rate exceeded")
            }
            return caller
        } catch let failure as CofferError {
            guard let claimed = SigV4Verifier.claimedKey(signed),
                let entry = try? await credentials.entry(for: claimed.accessKeyID)
            else { throw failure }
            let context = CallerContext(scope: ResourceScope(account: entry.account, region: claimed.region), principalARN: entry.principalARN,
                                        accessKeyID: claimed.accessKeyID, sourceIP: sourceIP, userAgent: signed.header("user-agent"),
                                        requestTime: clock.now())
            let draft = recorder.draft(service: service, operation: operation, context: context, entry: entry, requestID: requestID)
            try await recorder.finish(draft, scope: nil, error: (ErrorTable.row(for: failure.code, service: service).code, failure.message))
            throw failure
        }
    }

    private func verifyCaller(_ signed: SigV4Request, service: String, sourceIP: String?) async throws
        -> (context: CallerContext, entry: CredentialDirectory.Entry?)
    {
        let verified = try await verifier.verify(signed, expectedService: service, secrets: credentials)
        let now = clock.now()
        let account: String
        let principal: String
        var found: CredentialDirectory.Entry?
        if let entry = try await credentials.entry(for: verified.accessKeyID) {
            if let digest = entry.tokenDigest {
                guard let token = verified.sessionToken,
                    constantTimeEquals(Array(STSService.tokenDigest(token).utf8), Array(digest.utf8))
                else { throw CofferError(.unrecognizedClient, "The security token included in the request is invalid.") }
                if let expiration = entry.expiration, expiration <= now {
                    throw CofferError(.expiredToken, "The security token included in the request is expired")
                }
                if entry.refusedByIAM, service == "iam" {
                    throw CofferError(.unrecognizedClient, "The security token included in the request is invalid")
                }
            }
            account = entry.account
            principal = entry.principalARN
            found = entry
            await credentials.noteUse(verified.accessKeyID, service: service, region: verified.scope.region, at: now)
        } else if let devAccount {
            // --dev: a key Coffer did not issue is the dummy caller, the account's root.
            account = devAccount
            principal = "arn:aws:iam::\(devAccount):root"
        } else {
            throw CofferError(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        let context = CallerContext(scope: ResourceScope(account: account, region: verified.scope.region),
                                    principalARN: principal, accessKeyID: verified.accessKeyID, sourceIP: sourceIP,
                                    userAgent: signed.header("user-agent"), requestTime: now)
        return (context, found)
    }

    /// The caller of an unsigned AssumeRoleWithWebIdentity: nobody yet, in the account of the role
    /// it names; the token it carries is checked by the call itself.
    private func tokenCaller(_ request: QueryRequest, _ signed: SigV4Request, sourceIP: String?) -> CallerContext {
        let account = request.parameters["RoleArn"].flatMap { ARN($0)?.account }.flatMap { AccountID.isValid($0) ? $0 : nil }
        return CallerContext(scope: ResourceScope(account: account ?? devAccount ?? "", region: "us-east-1"), principalARN: "", accessKeyID: "",
                             sourceIP: sourceIP, userAgent: signed.header("user-agent"), requestTime: clock.now())
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
        var headers = jsonHeaders(requestID)
        headers.append(("x-amzn-ErrorType", row.code))
        return HTTPResponseData(status: row.status, headers: headers, body: JSONResponse.errorBody(code: row.code, message: message, service: service))
            .labelled(logOutcome(requestID, service: service ?? "-", operation: operation, status: row.status, error: row.code))
    }

    /// `X-Amz-Target`'s service prefix and operation. The operation follows the last dot:
    /// CloudTrail's prefix has dots of its own.
    private static func serviceAndOperation(_ target: String) -> (prefix: String, operation: String)? {
        target.split(atLast: UInt8(ascii: ".")).map { (String($0.before), String($0.after)) }
    }

    /// The answer to a request refused before anything else was read: the throttling error in the
    /// shape of the service it was meant for (JSON by X-Amz-Target, else the query protocol's XML).
    private func throttled(_ signed: SigV4Request, requestID: String) -> HTTPResponseData {
        let failure = CofferError(.throttling, "Rate exceeded")
        if let target = signed.header("x-amz-target") {
            let parts = Self.serviceAndOperation(target)
            return errorResponse(failure, service: jsonServices[parts?.prefix ?? target]?.signingName, operation: parts?.operation ?? "unknown",
                                 requestID: requestID)
        }
        let action = QueryRequest.parse(signed.query).action ?? QueryRequest.parse(String(decoding: signed.body, as: UTF8.self)).action ?? "unknown"
        return queryErrorResponse(failure, service: SigV4Verifier.claimedService(signed) ?? "sts", action: action, requestID: requestID)
    }

    private func queryErrorResponse(_ failure: CofferError, service: String, action: String, requestID: String) -> HTTPResponseData {
        let row = ErrorTable.row(for: failure.code, service: service)
        return HTTPResponseData(status: row.status, headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestID)],
                                body: QueryResponse.error(service: service, code: row.code, message: failure.message, status: row.status,
                                                          requestID: requestID))
            .labelled(logOutcome(requestID, service: service, operation: action, status: row.status, error: row.code))
    }

    /// One debug line per request: never parameters or values, only what was called and how it ended.
    private func logOutcome(_ requestID: String, service: String, operation: String, status: Int, error: String? = nil) -> CallLabel {
        let call = CallLabel(service: service, operation: operation, error: error)
        guard logger.logLevel <= .debug else { return call }
        var metadata: Logger.Metadata = ["request-id": "\(requestID)", "operation": "\(service):\(operation)", "status": "\(status)"]
        if let error { metadata["error"] = "\(error)" }
        logger.debug("request", metadata: metadata)
        return call
    }

    private func jsonHeaders(_ requestID: String) -> [(String, String)] {
        [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", requestID)]
    }

    static func split(_ uri: String) -> (path: String, query: String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }
}

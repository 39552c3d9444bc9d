import CofferClient
import CofferCore
import CofferServices
import Foundation
import NIOHTTP1

/// The web console under `/console`, on the API's own port; everything else goes to the API.
///
/// Sign-in checks an access key pair with GetCallerIdentity and keeps it server-side for an hour in
/// a session the browser names by an HttpOnly, SameSite=Strict cookie. Every page then calls the
/// AWS APIs signed with that key through the ordinary request path (``ConsoleCalls``), so a user
/// sees only what its policies allow, and every look is in the trail as the user's own call.
/// A class for the reason ``RequestProcessor`` is one: every request's task captures it. Not
/// generic: a generic class's methods run unspecialized, and every API call passes through here.
final class ConsoleRouter: HTTPResponder {
    let api: RequestProcessor
    let sessions: ConsoleSessions
    let clock: any WallClock
    /// Cookies are marked Secure when the server speaks TLS.
    let secureCookies: Bool
    let defaultRegion: String
    /// The audit chain's check (`coffer audit verify`'s), run on a click by a user who may read the trail.
    let verifyTrail: @Sendable () async throws -> AuditTrail.Verification

    init(api: RequestProcessor, sessions: ConsoleSessions, clock: any WallClock, secureCookies: Bool, defaultRegion: String,
         verifyTrail: @escaping @Sendable () async throws -> AuditTrail.Verification) {
        self.api = api
        self.sessions = sessions
        self.clock = clock
        self.secureCookies = secureCookies
        self.defaultRegion = defaultRegion
        self.verifyTrail = verifyTrail
    }

    func answersOnLoop(_ request: HTTPRequestData) -> Bool {
        !request.uri.hasBytePrefix("/console") && api.answersOnLoop(request)
    }

    func process(_ request: HTTPRequestData) async -> HTTPResponseData {
        guard request.uri.hasBytePrefix("/console") else { return await api.process(request) }
        let (path, query) = RequestProcessor.split(request.uri)
        let form = request.method == "POST" ? Self.form(String(decoding: request.body, as: UTF8.self)) : [:]
        let parameters = Self.form(query)
        if path == "/console/static/console.css" {
            return ConsoleHTTP.respond(200, ConsoleHTML.stylesheet, type: "text/css; charset=utf-8", cache: "max-age=3600")
        }
        if path == "/console/sign-in" {
            return request.method == "POST" ? await signIn(request, form: form) : ConsoleHTTP.html(200, ConsolePages.signIn(error: parameters["reason"].map(Self.reason), region: defaultRegion))
        }
        guard let id = Self.cookie(request), let session = sessions.session(id, now: clock.now()) else {
            let expired = Self.cookie(request) != nil
            return ConsoleHTTP.redirect("/console/sign-in" + (expired ? "?reason=expired" : ""), clearCookie: expired)
        }
        if request.method == "POST" {
            guard constantTimeEquals(Array((form["csrf"] ?? "").utf8), Array(session.csrf.utf8)), Self.sameOrigin(request) else {
                return ConsoleHTTP.html(403, ConsoleHTML.page(title: "Refused", section: nil, session: session,
                                                       body: ConsoleHTML.message("The form was not sent from this console page (missing or wrong CSRF token). Reload the page and try again.")))
            }
        }
        let calls = ConsoleCalls(api: api, credentials: session.credentials, region: session.region, sourceIP: request.remoteAddress)
        let pages = ConsolePages(calls: calls, session: session, verifyTrail: verifyTrail)
        let response: HTTPResponseData
        switch (request.method, path) {
        case ("POST", "/console/sign-out"):
            sessions.close(id)
            return ConsoleHTTP.redirect("/console/sign-in?reason=signed-out", clearCookie: true)
        case ("GET", "/console"), ("GET", "/console/"):
            return ConsoleHTTP.redirect("/console/secrets")
        case ("GET", "/console/secrets"): response = await pages.secrets(search: parameters["q"] ?? "", next: parameters["next"])
        case ("GET", "/console/secrets/new"): response = pages.newSecret(form: [:], failure: nil)
        case ("POST", "/console/secrets/new"): response = await pages.createSecret(form)
        case ("GET", "/console/secret"): response = await pages.secret(id: parameters["id"] ?? "", reveal: nil, notice: parameters["done"])
        case ("POST", "/console/secret/reveal"): response = await pages.secret(id: form["id"] ?? "", reveal: form["stage"] ?? "AWSCURRENT", notice: nil)
        case ("POST", "/console/secret/action"): response = await pages.secretAction(form)
        case ("GET", "/console/audit"): response = await pages.audit(parameters)
        case ("GET", "/console/parameters"): response = await pages.parameters(path: parameters["path"] ?? "/", next: parameters["next"])
        case ("GET", "/console/parameter"): response = await pages.parameter(name: parameters["name"] ?? "", reveal: false)
        case ("POST", "/console/parameter/reveal"): response = await pages.parameter(name: form["name"] ?? "", reveal: true)
        case ("GET", "/console/keys"): response = await pages.keys(next: parameters["next"])
        case ("GET", "/console/rotation"): response = await pages.rotation(next: parameters["next"])
        case ("GET", "/console/iam"): response = await pages.iam()
        case ("GET", "/console/findings"): response = await pages.findings(run: parameters["run"])
        case ("GET", "/console/key"): response = await pages.key(id: parameters["id"] ?? "")
        default:
            response = ConsoleHTTP.html(404, ConsoleHTML.page(title: "Not found", section: nil, session: session,
                                                       body: ConsoleHTML.message("There is no console page at this address.")))
        }
        // A session whose credentials were refused (expired or revoked) ends here.
        if response.status == 401 {
            sessions.close(id)
            return ConsoleHTTP.redirect("/console/sign-in?reason=expired", clearCookie: true)
        }
        return response
    }

    // MARK: Sign-in

    private func signIn(_ request: HTTPRequestData, form: [String: String]) async -> HTTPResponseData {
        let region = (form["region"].flatMap { $0.isEmpty ? nil : $0 }) ?? defaultRegion
        guard Self.sameOrigin(request) else { return ConsoleHTTP.html(403, ConsolePages.signIn(error: "The sign-in form was sent from another site.", region: region)) }
        let keyID = (form["access_key_id"] ?? "").trimmingCharacters(in: .whitespaces)
        let secret = form["secret_access_key"] ?? ""
        guard !keyID.isEmpty, !secret.isEmpty else {
            return ConsoleHTTP.html(400, ConsolePages.signIn(error: "Enter an access key id and its secret access key.", region: region))
        }
        // The key pair itself signs the session's calls, not GetSessionToken credentials: AWS refuses
        // those every IAM call without MFA, and the IAM and findings pages are made of IAM calls. The
        // server already holds every key's secret opened in its credential cache, so keeping it in the
        // session's memory exposes nothing new; a key deactivated or deleted ends the session.
        let credentials = ConsoleCredentials(accessKeyID: keyID, secretAccessKey: Redacted(secret), sessionToken: nil)
        let calls = ConsoleCalls(api: api, credentials: credentials, region: region, sourceIP: request.remoteAddress)
        do throws(ConsoleCalls.Failure) {
            let identity = try await calls.query("sts", [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")])
            let expiration = clock.now().addingTimeInterval(ConsoleSessions.lifetime)
            let session = ConsoleSession(credentials: credentials, region: region, principalARN: QueryXML.value("Arn", in: identity) ?? keyID,
                                         expiration: expiration, csrf: ConsoleSessions.randomToken())
            let id = sessions.open(session, now: clock.now())
            var response = ConsoleHTTP.redirect("/console/secrets")
            response.headers.append(("Set-Cookie", "\(ConsoleHTTP.cookieName)=\(id); Path=/console; HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"))
            return response
        } catch {
            // The key or the secret is wrong, or the user may not get a session: say so without repeating either.
            let reason = ["InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"].contains(error.code)
                ? "The access key id or the secret access key is not right." : "\(error.code): \(error.message)"
            return ConsoleHTTP.html(401, ConsolePages.signIn(error: reason, region: region))
        }
    }

    static func reason(_ code: String) -> String {
        switch code {
        case "expired": "Your session has ended. Sign in again."
        case "signed-out": "You are signed out."
        default: "Sign in to continue."
        }
    }

    // MARK: HTTP pieces

    /// `a=1&b=x+y` as a form sends it.
    static func form(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String { String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            guard let name = parts.first.map(decode), !name.isEmpty else { continue }
            out[name] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }

    static func cookie(_ request: HTTPRequestData) -> String? {
        for header in request.headers where header.name.lowercased() == "cookie" {
            for part in header.value.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == ConsoleHTTP.cookieName { return String(pair[1]) }
            }
        }
        return nil
    }

    /// A POST's Origin (or Referer), when the browser sends one, must be this server.
    static func sameOrigin(_ request: HTTPRequestData) -> Bool {
        let header = { (name: String) in request.headers.first { $0.name.lowercased() == name }?.value }
        guard let host = header("host") else { return false }
        guard let origin = header("origin") ?? header("referer") else { return true }
        guard let url = URL(string: origin), let originHost = url.host else { return false }
        return (url.port.map { "\(originHost):\($0)" } ?? originHost) == host
    }
}

/// The console's HTTP answers: every one carries the security headers, and pages are never cached.
enum ConsoleHTTP {
    static let cookieName = "coffer_console"

    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
    ]

    static func respond(_ status: Int, _ body: String, type: String, cache: String = "no-store") -> HTTPResponseData {
        HTTPResponseData(status: status, headers: [("Content-Type", type), ("Cache-Control", cache)] + securityHeaders, body: Array(body.utf8))
    }

    static func html(_ status: Int, _ body: String) -> HTTPResponseData { respond(status, body, type: "text/html; charset=utf-8") }

    static func redirect(_ location: String, clearCookie: Bool = false) -> HTTPResponseData {
        var headers: [(String, String)] = [("Location", location), ("Cache-Control", "no-store")] + securityHeaders
        if clearCookie { headers.append(("Set-Cookie", "\(ConsoleHTTP.cookieName)=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0")) }
        return HTTPResponseData(status: 303, headers: headers, body: [])
    }
}

import CofferCore
import CofferServices
import Foundation
import CofferClient
import Synchronization

/// The signing keys of OpenID Connect issuers: a configured JWKS (a file, or a URL) per issuer, or
/// else the issuer's own discovery document and `jwks_uri`, as AWS fetches them. Keys are kept for
/// an hour; a token naming a key id not seen makes one fresh fetch (issuers rotate keys).
final class WebIdentityKeys: WebIdentityKeySource {
    private let configured: [String: String]
    private let cache = Mutex<[String: (keys: [JSONObject], fetched: Date)]>([:])
    static let lifetime: TimeInterval = 3600
    /// A refresh forced by an unknown key id waits at least this long after the last fetch.
    static let refreshSpacing: TimeInterval = 10

    init(configured: [String: String]) {
        self.configured = Dictionary(configured.map { (Self.normalized($0.key), $0.value) }, uniquingKeysWith: { $1 })
    }

    static func normalized(_ issuer: String) -> String {
        var issuer = issuer
        while issuer.hasSuffix("/") { issuer.removeLast() }
        return issuer
    }

    func keys(issuer: String, refresh: Bool) async throws -> [JSONObject] {
        let issuer = Self.normalized(issuer)
        let now = Date()
        if let cached = cache.withLock({ $0[issuer] }) {
            let age = now.timeIntervalSince(cached.fetched)
            if age < Self.lifetime, !refresh || age < Self.refreshSpacing { return cached.keys }
        }
        let keys = try await fetch(issuer)
        cache.withLock { $0[issuer] = (keys, now) }
        return keys
    }

    private func fetch(_ issuer: String) async throws -> [JSONObject] {
        let source: String
        if let configured = configured[issuer] {
            source = configured
        } else {
            guard issuer.hasPrefix("https://") else { throw Self.unreachable }
            let discovery = try await Self.object(at: issuer + "/.well-known/openid-configuration")
            guard case .string(let uri)? = discovery["jwks_uri"], uri.hasPrefix("https://") else { throw Self.unreachable }
            source = uri
        }
        let document = source.hasPrefix("http://") || source.hasPrefix("https://")
            ? try await Self.object(at: source) : try Self.object(file: source)
        guard case .array(let keys)? = document["keys"] else { throw Self.unreachable }
        return keys.compactMap { if case .object(let key) = $0 { key } else { nil } }
    }

    static let unreachable = CofferError(
        .idpCommunication, "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")

    private static func object(at address: String) async throws -> JSONObject {
        guard let url = URL(string: address) else { throw unreachable }
        guard let response = try? await HTTPFetch.send("GET", to: url, timeout: 5, maximumBody: 1 << 20), response.status == 200,
            case .object(let object)? = try? JSONParser.parse(response.body)
        else { throw unreachable }
        return object
    }

    private static func object(file path: String) throws -> JSONObject {
        guard let data = FileManager.default.contents(atPath: path), case .object(let object)? = try? JSONParser.parse(Array(data)) else {
            throw unreachable
        }
        return object
    }
}

public import CofferCore
import CofferStorage
import Foundation

/// IAM's OpenID Connect providers: the issuers whose ID tokens STS exchanges for role sessions.
extension IAMService {
    static let maximumClientIDs = 100
    static let maximumThumbprints = 5

    public func createOIDCProvider(url: String, clientIDs: [String], thumbprints: [String], tags: [Tag], account: String) async throws
        -> OIDCProvider
    {
        let host = try Self.providerHost(url)
        try Self.validate(clientIDs: clientIDs, thumbprints: thumbprints)
        try IAMRules.validateTags(tags)
        let provider = OIDCProvider(partition: Self.partition, account: account, url: host, clientIDs: Self.unique(clientIDs), thumbprints: Self.unique(thumbprints),
                                    createDate: clock.now(), tags: tags)
        do {
            try await store.write(RecordWrite(.create, scope: Self.scope(account), record: provider))
        } catch StorageError.nameTaken {
            throw CofferError(.entityAlreadyExists, "Provider with url \(url) already exists.")
        }
        return provider
    }

    public func oidcProvider(arn: String, account: String) async throws -> OIDCProvider {
        guard let provider = try await store.record(OIDCProvider.self, arn: arn), ARN(arn)?.account == account else {
            throw CofferError(.noSuchEntity, "OpenIDConnect Provider not found for arn \(arn)")
        }
        return provider
    }

    /// The provider for an issuer (`iss`), in the account that owns the role.
    public func oidcProvider(issuer: String, account: String) async throws -> OIDCProvider? {
        guard let host = try? Self.providerHost(issuer) else { return nil }
        return try await store.record(OIDCProvider.self, named: host.lowercased(), in: Self.scope(account))
    }

    public func oidcProviders(account: String) async throws -> [OIDCProvider] {
        try await store.records(OIDCProvider.self, in: Self.scope(account)).sorted { $0.arn < $1.arn }
    }

    /// Idempotent, as AWS documents it: deleting a provider that does not exist is not an error.
    public func deleteOIDCProvider(arn: String, account: String) async throws {
        let provider: OIDCProvider
        do { provider = try await oidcProvider(arn: arn, account: account) } catch let error as CofferError where error.code == .noSuchEntity { return }
        try await store.removeRecord(arn: provider.arn)
    }

    public func changeOIDCProvider(arn: String, account: String, _ apply: @escaping @Sendable (inout OIDCProvider) throws -> Void) async throws {
        try await updating(store, in: Self.scope(account), read: { try await oidcProvider(arn: arn, account: account) }) { provider in
            try apply(&provider)
            try Self.validate(clientIDs: provider.clientIDs, thumbprints: provider.thumbprints)
            try IAMRules.validateTags(provider.tags)
        }
    }

    /// `https://host[/path]` without the scheme; AWS refuses any other scheme, a query or a fragment.
    static func providerHost(_ url: String) throws(CofferError) -> String {
        guard url.lowercased().hasPrefix("https://"), url.count <= 255 else {
            throw CofferError.validation("Invalid Open ID Connect Provider URL")
        }
        var host = String(url.dropFirst("https://".count))
        while host.hasSuffix("/") { host.removeLast() }
        guard !host.isEmpty, !host.contains("?"), !host.contains("#"), !host.contains(" ") else {
            throw CofferError.validation("Invalid Open ID Connect Provider URL")
        }
        return host
    }

    static func validate(clientIDs: [String], thumbprints: [String]) throws(CofferError) {
        if clientIDs.count > maximumClientIDs {
            throw CofferError(.limitExceeded, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: \(maximumClientIDs)")
        }
        for id in clientIDs where id.isEmpty || id.count > 255 {
            throw CofferError.constraint(id, member: "clientIDList", "Member must have length less than or equal to 255")
        }
        if thumbprints.count > maximumThumbprints {
            throw CofferError(.invalidInput, "Thumbprint list must contain fewer than \(maximumThumbprints) entries.")
        }
        for print in thumbprints where print.count != 40 || !print.allSatisfy(\.isHexDigit) {
            throw CofferError.constraint(print, member: "thumbprintList",
                                         print.count != 40 ? "Member must have length greater than or equal to 40" : "Member must be 40 hexadecimal characters")
        }
    }

    static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}

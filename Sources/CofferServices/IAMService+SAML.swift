public import CofferCore
import CofferStorage
import Foundation

/// IAM's SAML providers: identity providers whose signed responses STS exchanges for role sessions.
extension IAMService {
    static let maximumSAMLProviders = 100

    public func createSAMLProvider(name: String, metadata: String, tags: [Tag], encryptionMode: String?, account: String) async throws
        -> SAMLProvider
    {
        try IAMRules.validateTags(tags)
        let parsed = try SAMLMetadata(document: metadata)
        if encryptionMode == "Required" { throw Self.noPrivateKey }
        if try await store.records(SAMLProvider.self, in: Self.scope(account)).count >= Self.maximumSAMLProviders {
            throw CofferError(.limitExceeded, "Cannot exceed quota for SAMLProvidersPerAccount: \(Self.maximumSAMLProviders)")
        }
        var provider = SAMLProvider(partition: Self.partition, account: account, providerName: name,
                                    uuid: IAMRules.uniqueID(prefix: "SSPN", random: random) + IAMRules.uniqueID(prefix: "", random: random),
                                    metadataDocument: metadata, createDate: clock.now(), validUntil: parsed.validUntil, tags: tags)
        provider.assertionEncryptionMode = encryptionMode
        do {
            try await store.write(RecordWrite(.create, scope: Self.scope(account), record: provider))
        } catch StorageError.nameTaken {
            throw CofferError(.entityAlreadyExists, "SAMLProvider named \(name) already exists")
        }
        return provider
    }

    public func samlProvider(arn: String, account: String) async throws -> SAMLProvider {
        guard let provider = try await store.record(SAMLProvider.self, arn: arn), ARN(arn)?.account == account else {
            throw CofferError(.noSuchEntity, "Manifest not found for arn \(arn)")
        }
        return provider
    }

    public func samlProviders(account: String) async throws -> [SAMLProvider] {
        try await store.records(SAMLProvider.self, in: Self.scope(account)).sorted { $0.arn < $1.arn }
    }

    public func deleteSAMLProvider(arn: String, account: String) async throws {
        let provider = try await samlProvider(arn: arn, account: account)
        try await store.removeRecord(arn: provider.arn)
    }

    /// UpdateSAMLProvider: a new metadata document, an encryption mode, or both.
    public func updateSAMLProvider(arn: String, metadata: String?, encryptionMode: String?, account: String) async throws -> SAMLProvider {
        guard metadata != nil || encryptionMode != nil else {
            throw CofferError(.invalidInput, "Unable to update identity provider. No updates are defined for metadata or encryption assertion.")
        }
        let parsed = try metadata.map { document throws(CofferError) in try SAMLMetadata(document: document) }
        if encryptionMode == "Required" { throw Self.noPrivateKey }
        return try await changeSAMLProvider(arn: arn, account: account) { provider in
            if let metadata, let parsed {
                provider.metadataDocument = metadata
                provider.validUntil = parsed.validUntil
            }
            if let encryptionMode { provider.assertionEncryptionMode = encryptionMode }
        }
    }

    @discardableResult
    public func changeSAMLProvider(arn: String, account: String, _ apply: @escaping @Sendable (inout SAMLProvider) throws -> Void) async throws
        -> SAMLProvider
    {
        try await updating(store, in: Self.scope(account), read: { try await samlProvider(arn: arn, account: account) }) { provider in
            try apply(&provider)
            try IAMRules.validateTags(provider.tags)
        }
    }

    /// Coffer keeps no private keys for SAML providers, so it cannot require encrypted assertions.
    static let noPrivateKey = CofferError(.invalidInput, "Unable to set assertion encryption mode to Required because no private key is provided.")
}

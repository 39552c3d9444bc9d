import CofferCore
import CofferServices
import CofferWire

/// IAM's OpenID Connect and SAML providers over the query protocol.
extension IAMHandler {
    /// Answers the OpenID Connect and SAML provider actions; nil for any other action.
    func handleFederation(_ action: String, _ r: QueryRequest, account: String) async throws -> [XMLNode]? {
        switch action {
        case "CreateOpenIDConnectProvider":
            let provider = try await service.createOIDCProvider(
                url: try r.requiredString("Url", min: 1, max: 255), clientIDs: r.list("ClientIDList"), thumbprints: r.list("ThumbprintList"),
                tags: try tags(r), account: account)
            var result: [XMLNode] = [.text("OpenIDConnectProviderArn", provider.arn)]
            if !provider.tags.isEmpty { result.append(.element("Tags", provider.tags.map(tagNode))) }
            return result
        case "GetOpenIDConnectProvider":
            let provider = try await service.oidcProvider(arn: try providerARN(r), account: account)
            return [.text("Url", provider.url), .element("ClientIDList", provider.clientIDs.map { .text("member", $0) }),
                    .element("ThumbprintList", provider.thumbprints.map { .text("member", $0) }),
                    .text("CreateDate", Self.date(provider.createDate)), .element("Tags", provider.tags.map(tagNode))]
        case "ListOpenIDConnectProviders":
            let providers = try await service.oidcProviders(account: account)
            return [.element("OpenIDConnectProviderList", providers.map { .element("member", [.text("Arn", $0.arn)]) })]
        case "DeleteOpenIDConnectProvider":
            try await service.deleteOIDCProvider(arn: try providerARN(r), account: account)
            return []
        case "UpdateOpenIDConnectProviderThumbprint":
            let thumbprints = r.list("ThumbprintList")
            try await service.changeOIDCProvider(arn: try providerARN(r), account: account) { $0.thumbprints = thumbprints }
            return []
        case "AddClientIDToOpenIDConnectProvider":
            let id = try r.requiredString("ClientID", min: 1, max: 255)
            try await service.changeOIDCProvider(arn: try providerARN(r), account: account) { provider in
                if !provider.clientIDs.contains(id) { provider.clientIDs.append(id) }
            }
            return []
        case "RemoveClientIDFromOpenIDConnectProvider":
            let id = try r.requiredString("ClientID", min: 1, max: 255)
            try await service.changeOIDCProvider(arn: try providerARN(r), account: account) { $0.clientIDs.removeAll { $0 == id } }
            return []
        case "TagOpenIDConnectProvider":
            let tags = try tags(r)
            try await service.changeOIDCProvider(arn: try providerARN(r), account: account) { $0.tags.merge(tags) }
            return []
        case "UntagOpenIDConnectProvider":
            let keys = r.list("TagKeys")
            try await service.changeOIDCProvider(arn: try providerARN(r), account: account) { $0.tags.removeAll { keys.contains($0.key) } }
            return []
        case "ListOpenIDConnectProviderTags":
            let provider = try await service.oidcProvider(arn: try providerARN(r), account: account)
            return try paged(r, "Tags", provider.tags.map(tagNode))
        default:
            return try await handleSAML(action, r, account: account)
        }
    }

    private func handleSAML(_ action: String, _ r: QueryRequest, account: String) async throws -> [XMLNode]? {
        switch action {
        case "CreateSAMLProvider":
            let name = try r.requiredString("Name", min: 1, max: 128)
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw CofferError.constraint(name, member: "name", "Member must satisfy regular expression pattern: [\\w._-]+")
            }
            let metadata = try r.requiredString("SAMLMetadataDocument", min: 1000, max: 10_000_000)
            let mode = try encryptionMode(r)
            let tags = try tags(r)
            let provider = try await service.createSAMLProvider(name: name, metadata: metadata, tags: tags, encryptionMode: mode, account: account)
            var result: [XMLNode] = [.text("SAMLProviderArn", provider.arn)]
            if !provider.tags.isEmpty { result.append(.element("Tags", provider.tags.map(tagNode))) }
            return result
        case "GetSAMLProvider":
            let provider = try await service.samlProvider(arn: try samlARN(r), account: account)
            var result: [XMLNode] = [.text("SAMLProviderUUID", provider.uuid), .text("SAMLMetadataDocument", provider.metadataDocument),
                                     .text("CreateDate", Self.date(provider.createDate))]
            if let until = provider.validUntil { result.append(.text("ValidUntil", Self.date(until))) }
            result += [.element("Tags", provider.tags.map(tagNode)), .text("AssertionEncryptionMode", provider.assertionEncryptionMode ?? "Allowed"),
                       .element("PrivateKeyList", [])]
            return result
        case "ListSAMLProviders":
            let providers = try await service.samlProviders(account: account)
            return [.element("SAMLProviderList", providers.map { provider in
                var fields: [XMLNode] = [.text("Arn", provider.arn)]
                if let until = provider.validUntil { fields.append(.text("ValidUntil", Self.date(until))) }
                fields.append(.text("CreateDate", Self.date(provider.createDate)))
                return .element("member", fields)
            })]
        case "UpdateSAMLProvider":
            let arn = try samlARN(r)
            let metadata = try r.string("SAMLMetadataDocument", min: 1000, max: 10_000_000)
            let mode = try encryptionMode(r)
            let provider = try await service.updateSAMLProvider(arn: arn, metadata: metadata, encryptionMode: mode, account: account)
            return [.text("SAMLProviderArn", provider.arn)]
        case "DeleteSAMLProvider":
            try await service.deleteSAMLProvider(arn: try samlARN(r), account: account)
            return []
        case "TagSAMLProvider":
            let tags = try tags(r)
            try await service.changeSAMLProvider(arn: try samlARN(r), account: account) { $0.tags.merge(tags) }
            return []
        case "UntagSAMLProvider":
            let keys = r.list("TagKeys")
            try await service.changeSAMLProvider(arn: try samlARN(r), account: account) { $0.tags.removeAll { keys.contains($0.key) } }
            return []
        case "ListSAMLProviderTags":
            let provider = try await service.samlProvider(arn: try samlARN(r), account: account)
            return try paged(r, "Tags", provider.tags.map(tagNode))
        default:
            return nil
        }
    }

    private func samlARN(_ r: QueryRequest) throws -> String {
        try r.requiredString("SAMLProviderArn", min: 20, max: 2048)
    }

    /// AssertionEncryptionMode; AddPrivateKey is refused, as Coffer does not decrypt assertions.
    private func encryptionMode(_ r: QueryRequest) throws -> String? {
        if try r.string("AddPrivateKey", min: 1, max: 16_384, sensitive: true) != nil || r.string("RemovePrivateKey", min: 22, max: 64) != nil {
            throw CofferError(.notImplemented, "Coffer does not decrypt SAML assertions, so it keeps no private keys for SAML providers yet.")
        }
        guard let mode = try r.string("AssertionEncryptionMode") else { return nil }
        guard mode == "Allowed" || mode == "Required" else {
            throw CofferError.constraint(mode, member: "assertionEncryptionMode", "Member must satisfy enum value set: [Required, Allowed]")
        }
        return mode
    }

    private func providerARN(_ r: QueryRequest) throws -> String {
        try r.requiredString("OpenIDConnectProviderArn", min: 20, max: 2048)
    }
}

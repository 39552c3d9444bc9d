import CofferCore
import CofferServices
import CofferWire

/// IAM's OpenID Connect providers over the query protocol.
extension IAMHandler {
    /// Answers the OpenID Connect provider actions; nil for any other action.
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
            try await service.changeOIDCProvider(arn: try providerARN(r), account: account) { provider in
                for tag in tags {
                    if let i = provider.tags.firstIndex(where: { $0.key == tag.key }) { provider.tags[i].value = tag.value } else { provider.tags.append(tag) }
                }
            }
            return []
        case "UntagOpenIDConnectProvider":
            let keys = r.list("TagKeys")
            try await service.changeOIDCProvider(arn: try providerARN(r), account: account) { $0.tags.removeAll { keys.contains($0.key) } }
            return []
        case "ListOpenIDConnectProviderTags":
            let provider = try await service.oidcProvider(arn: try providerARN(r), account: account)
            return try paged(r, "Tags", provider.tags.map(tagNode))
        default:
            return nil
        }
    }

    private func providerARN(_ r: QueryRequest) throws -> String {
        try r.requiredString("OpenIDConnectProviderArn", min: 20, max: 2048)
    }
}

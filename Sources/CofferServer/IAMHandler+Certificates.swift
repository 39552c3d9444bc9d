import CofferCore
import CofferServices
import CofferWire

/// Server and signing certificates over the query protocol.
extension IAMHandler {
    /// Answers those actions; nil for any other action.
    func handleCertificates(_ action: String, _ r: QueryRequest, context: CallerContext) async throws -> [XMLNode]? {
        let account = context.scope.account
        switch action {
        case "UploadServerCertificate":
            let certificate = try await service.uploadServerCertificate(
                name: try serverCertificateName(r), body: try r.requiredString("CertificateBody", min: 1, max: 16384),
                privateKey: try r.requiredString("PrivateKey", min: 1, max: 16384), chain: try r.string("CertificateChain", min: 1, max: 2_097_152),
                path: try r.string("Path", min: 1, max: 512), tags: try tags(r), account: account)
            var nodes = [serverCertificateMetadata(certificate)]
            if !certificate.tags.isEmpty { nodes.append(.element("Tags", certificate.tags.map(tagNode))) }
            return nodes
        case "GetServerCertificate":
            let certificate = try await service.serverCertificate(try serverCertificateName(r), account: account)
            var children = [serverCertificateMetadata(certificate), XMLNode.text("CertificateBody", certificate.body)]
            if let chain = certificate.chain { children.append(.text("CertificateChain", chain)) }
            children.append(.element("Tags", certificate.tags.map(tagNode)))
            return [.element("ServerCertificate", children)]
        case "ListServerCertificates":
            let certificates = try await service.serverCertificates(pathPrefix: try r.string("PathPrefix", min: 1, max: 512), account: account)
            return try paged(r, "ServerCertificateMetadataList", certificates.map { serverCertificateMetadata($0, tag: "member") })
        case "UpdateServerCertificate":
            try await service.updateServerCertificate(try serverCertificateName(r), newName: try r.string("NewServerCertificateName", min: 1, max: 128),
                                                      newPath: try r.string("NewPath", min: 1, max: 512), account: account)
            return []
        case "DeleteServerCertificate":
            try await service.deleteServerCertificate(try serverCertificateName(r), account: account)
            return []
        case "UploadSigningCertificate":
            let userName = try await signingUser(r, context)
            let certificate = try await service.uploadSigningCertificate(userName: userName, body: try r.requiredString("CertificateBody", min: 1, max: 16384),
                                                                         account: account)
            return [signingCertificateNode(certificate, userName: userName)]
        case "ListSigningCertificates":
            let user = try await service.user(try await signingUser(r, context), account: account)
            return try paged(r, "Certificates", (user.signingCertificates ?? []).map { signingCertificateNode($0, userName: user.userName, tag: "member") })
        case "UpdateSigningCertificate", "DeleteSigningCertificate":
            let status = try r.string("Status")
            if action == "UpdateSigningCertificate", !["Active", "Inactive"].contains(status ?? "") {
                throw CofferError.constraint(status ?? "null", member: "status", "Member must satisfy enum value set: [Active, Inactive]")
            }
            try await service.changeSigningCertificate(userName: try await signingUser(r, context),
                                                       id: try r.requiredString("CertificateId", min: 24, max: 128), account: account,
                                                       remove: action == "DeleteSigningCertificate", status: status)
            return []
        default:
            return nil
        }
    }

    private func serverCertificateName(_ r: QueryRequest) throws -> String { try r.requiredString("ServerCertificateName", min: 1, max: 128) }

    /// The user a signing-certificate call names, or the calling user.
    private func signingUser(_ r: QueryRequest, _ context: CallerContext) async throws -> String {
        if try r.string("UserName") == nil, context.isRoot {
            throw CofferError(.notImplemented, "Coffer keeps signing certificates for IAM users only; name one with UserName.")
        }
        return try await userName(r, context)
    }

    private func serverCertificateMetadata(_ certificate: ServerCertificate, tag: String = "ServerCertificateMetadata") -> XMLNode {
        .element(tag, [.text("Path", certificate.path), .text("ServerCertificateName", certificate.serverCertificateName),
                       .text("ServerCertificateId", certificate.serverCertificateID), .text("Arn", certificate.arn),
                       .text("UploadDate", Self.date(certificate.uploadDate)), .text("Expiration", Self.date(certificate.expiration))])
    }

    private func signingCertificateNode(_ certificate: SigningCertificate, userName: String, tag: String = "Certificate") -> XMLNode {
        .element(tag, [.text("UserName", userName), .text("CertificateId", certificate.id), .text("CertificateBody", certificate.body),
                       .text("Status", certificate.status), .text("UploadDate", Self.date(certificate.uploadDate))])
    }
}

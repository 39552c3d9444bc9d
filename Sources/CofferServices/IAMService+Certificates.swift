public import CofferCore
import CofferStorage
import Foundation

/// Server certificates (per account) and signing certificates (per user), with IAM's checks.
extension IAMService {
    static let maximumServerCertificates = 20
    static let maximumSigningCertificates = 2
    static let certificateIDAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    func serverCertificateARN(_ path: String, _ name: String, account: String) -> String {
        "arn:\(Self.partition):iam::\(account):server-certificate\(path)\(name)"
    }

    public func uploadServerCertificate(name: String, body: String, privateKey: String, chain: String?, path: String?, tags: [Tag],
                                        account: String) async throws -> ServerCertificate {
        try IAMRules.validateName(name, member: "serverCertificateName", maximum: 128)
        let path = path ?? "/"
        try IAMRules.validatePath(path)
        try IAMRules.validateTags(tags)
        let certificate = try X509Certificate(pem: body)
        if let chain {
            let blocks = X509Certificate.pemBlocks(chain, label: "CERTIFICATE")
            guard !blocks.isEmpty else { throw CofferError(.malformedCertificate, "Unable to parse certificate chain. Please ensure the chain is in PEM format.") }
            for block in blocks { _ = try X509Certificate(der: block) }
        }
        guard try certificate.matches(privateKeyPEM: privateKey) else {
            throw CofferError(.keyPairMismatch, "The private key does not match the certificate.")
        }
        if try await store.records(ServerCertificate.self, in: Self.scope(account)).count >= Self.maximumServerCertificates {
            throw CofferError(.limitExceeded, "Cannot exceed quota for ServerCertificatesPerAccount: \(Self.maximumServerCertificates)")
        }
        let id = IAMRules.uniqueID(prefix: "ASCA", random: random)
        let record = ServerCertificate(
            arn: serverCertificateARN(path, name, account: account), serverCertificateName: name, serverCertificateID: id, path: path,
            uploadDate: clock.now(), expiration: certificate.notAfter, body: body, chain: chain,
            sealedPrivateKey: try root.seal(Array(privateKey.utf8), purpose: "iam-server-certificate", context: id), tags: tags)
        do {
            try await store.write(RecordWrite(.create, scope: Self.scope(account), record: record))
        } catch StorageError.nameTaken {
            throw CofferError(.entityAlreadyExists, "The Server Certificate with name \(name) already exists.")
        }
        return record
    }

    public func serverCertificate(_ name: String, account: String) async throws -> ServerCertificate {
        guard let found = try await store.record(ServerCertificate.self, named: name.lowercased(), in: Self.scope(account)) else {
            throw CofferError(.noSuchEntity, "The Server Certificate with name \(name) cannot be found.")
        }
        return found
    }

    public func serverCertificates(pathPrefix: String?, account: String) async throws -> [ServerCertificate] {
        try await store.records(ServerCertificate.self, in: Self.scope(account))
            .filter { $0.path.hasPrefix(pathPrefix ?? "/") }
            .sorted { $0.name < $1.name }
    }

    /// A new name or path: the certificate moves to its new ARN (the sealed key is bound to its id, which stays).
    public func updateServerCertificate(_ name: String, newName: String?, newPath: String?, account: String) async throws {
        if let newName { try IAMRules.validateName(newName, member: "newServerCertificateName", maximum: 128) }
        if let newPath { try IAMRules.validatePath(newPath) }
        let old = try await serverCertificate(name, account: account)
        var moved = old
        moved.serverCertificateName = newName ?? old.serverCertificateName
        moved.name = moved.serverCertificateName.lowercased()
        moved.path = newPath ?? old.path
        moved.arn = serverCertificateARN(moved.path, moved.serverCertificateName, account: account)
        guard moved.arn != old.arn else { return }
        try await moving(store, from: old, to: moved, in: Self.scope(account),
                         taken: CofferError(.entityAlreadyExists, "The Server Certificate with name \(moved.serverCertificateName) already exists."))
    }

    public func deleteServerCertificate(_ name: String, account: String) async throws {
        try await store.removeRecord(arn: try await serverCertificate(name, account: account).arn)
    }

    // MARK: Signing certificates

    public func uploadSigningCertificate(userName: String, body: String, account: String) async throws -> SigningCertificate {
        let certificate = try X509Certificate(pem: body)
        let now = clock.now()
        guard certificate.notBefore <= now, now <= certificate.notAfter else {
            throw CofferError(.invalidCertificate, "The certificate is expired or not yet valid.")
        }
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        for user in try await store.records(IAMUser.self, in: Self.scope(account)) {
            if (user.signingCertificates ?? []).contains(where: { (try? X509Certificate(pem: $0.body))?.der == certificate.der }) {
                throw CofferError(.duplicateCertificate, "The request was rejected because the same certificate is associated with an IAM user in the account.")
            }
        }
        let added = SigningCertificate(id: String((0..<32).map { _ in Self.certificateIDAlphabet[random.uniform(Self.certificateIDAlphabet.count)] }),
                                       body: trimmed, uploadDate: now)
        try await changeUser(userName, account: account) { user in
            let certificates = user.signingCertificates ?? []
            if certificates.count >= Self.maximumSigningCertificates {
                throw CofferError(.limitExceeded, "Cannot exceed quota for SigningCertificatesPerUser: \(Self.maximumSigningCertificates)")
            }
            user.signingCertificates = certificates + [added]
        }
        return added
    }

    public func changeSigningCertificate(userName: String, id: String, account: String, remove: Bool, status: String?) async throws {
        try await changeUserItem(\.signingCertificates, userName: userName, id: id, account: account, remove: remove, status: status,
                                 missing: "The Certificate with id \(id) cannot be found.")
    }
}

public import CofferCore
import Crypto
import Foundation

/// Service-linked roles and SSH public keys.
extension IAMService {
    /// The names AWS gives the service-linked roles of common services; others are
    /// `AWSServiceRoleFor` and the service's first label, capitalised.
    static let serviceLinkedNames: [String: String] = [
        "autoscaling.amazonaws.com": "AutoScaling", "elasticbeanstalk.amazonaws.com": "ElasticBeanstalk", "ecs.amazonaws.com": "ECS",
        "rds.amazonaws.com": "RDS", "elasticloadbalancing.amazonaws.com": "ElasticLoadBalancing", "spot.amazonaws.com": "EC2Spot",
        "organizations.amazonaws.com": "Organizations", "config.amazonaws.com": "Config", "guardduty.amazonaws.com": "AmazonGuardDuty",
        "cloudtrail.amazonaws.com": "CloudTrail", "access-analyzer.amazonaws.com": "AccessAnalyzer", "sso.amazonaws.com": "SSO",
        "es.amazonaws.com": "AmazonElasticsearchService", "replicator.lambda.amazonaws.com": "LambdaReplicator",
        "support.amazonaws.com": "Support", "trustedadvisor.amazonaws.com": "TrustedAdvisor", "kafka.amazonaws.com": "Kafka",
        "eks.amazonaws.com": "AmazonEKS", "securityhub.amazonaws.com": "SecurityHub", "ssm.amazonaws.com": "AmazonSSM",
    ]

    public func createServiceLinkedRole(service: String, description: String?, customSuffix: String?, account: String) async throws -> IAMRole {
        guard service.hasSuffix(".amazonaws.com"), service.count > ".amazonaws.com".count else {
            throw CofferError(.invalidInput, "Invalid service name: \(service)")
        }
        let base = Self.serviceLinkedNames[service] ?? {
            let label = service.split(separator: ".").first.map(String.init) ?? service
            return label.prefix(1).uppercased() + label.dropFirst()
        }()
        let name = "AWSServiceRoleFor" + base + (customSuffix.map { "_" + $0 } ?? "")
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["\#(service)"]},"Action":["sts:AssumeRole"]}]}"#
        return try await createRole(name, trustPolicy: trust, path: "/aws-service-role/\(service)/", description: description,
                                    maxSessionDuration: nil, tags: [], boundaryARN: nil, account: account)
    }

    /// DeleteServiceLinkedRole: done at once; the task id names the role so its status can be asked.
    public func deleteServiceLinkedRole(_ name: String, account: String) async throws -> String {
        let role = try await holder(IAMRole.self, name, account: account)
        guard role.path.hasPrefix("/aws-service-role/") else {
            throw CofferError(.invalidInput, "Role \(name) is not a service-linked role.")
        }
        let service = role.path.split(separator: "/").dropFirst().first.map(String.init) ?? ""
        try await deleteRole(name, account: account, serviceLinked: true)
        return "task/aws-service-role/\(service)/\(role.roleName)/\(random.uuidString())"
    }

    // MARK: SSH public keys

    static let maximumSSHKeys = 5

    /// The MD5 fingerprint of an `ssh-rsa AAAA...` key's blob, as AWS shows it.
    static func sshFingerprint(_ body: String) throws(CofferError) -> String {
        let parts = body.split(separator: " ")
        guard parts.count >= 2, ["ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"].contains(String(parts[0])),
            let blob = Data(base64Encoded: String(parts[1])), blob.count > 16
        else { throw CofferError(.invalidPublicKey, "Public key is malformed.") }
        return Insecure.MD5.hash(data: blob).map { String(format: "%02x", $0) }.joined(separator: ":")
    }

    public func uploadSSHPublicKey(userName: String, body: String, account: String) async throws -> SSHPublicKey {
        let fingerprint = try Self.sshFingerprint(body.trimmingCharacters(in: .whitespacesAndNewlines))
        let key = SSHPublicKey(id: IAMRules.uniqueID(prefix: "APKA", random: random), body: body.trimmingCharacters(in: .whitespacesAndNewlines),
                               fingerprint: fingerprint, uploadDate: clock.now())
        try await changeUser(userName, account: account) { user in
            let keys = user.sshPublicKeys ?? []
            if keys.contains(where: { $0.fingerprint == fingerprint }) {
                throw CofferError(.duplicateSSHPublicKey, "The public key is already associated with user \(userName).")
            }
            if keys.count >= Self.maximumSSHKeys { throw CofferError(.limitExceeded, "Cannot exceed quota for PublicKeysPerUser: \(Self.maximumSSHKeys)") }
            user.sshPublicKeys = keys + [key]
        }
        return key
    }

    public func sshPublicKey(userName: String, id: String, account: String) async throws -> SSHPublicKey {
        guard let key = try await user(userName, account: account).sshPublicKeys?.first(where: { $0.id == id }) else {
            throw CofferError(.noSuchEntity, "The Public Key with id \(id) cannot be found.")
        }
        return key
    }

    public func changeSSHPublicKey(userName: String, id: String, account: String, remove: Bool, status: String?) async throws {
        try await changeUserItem(\.sshPublicKeys, userName: userName, id: id, account: account, remove: remove, status: status,
                                 missing: "The Public Key with id \(id) cannot be found.")
    }

    /// Sets the status of, or removes, one of a user's keys or certificates.
    func changeUserItem<Item: UserCredentialItem>(_ list: any WritableKeyPath<IAMUser, [Item]?> & Sendable, userName: String, id: String, account: String,
                                                  remove: Bool, status: String?, missing: String) async throws {
        try await changeUser(userName, account: account) { user in
            guard let index = user[keyPath: list]?.firstIndex(where: { $0.id == id }) else { throw CofferError(.noSuchEntity, missing) }
            if remove { user[keyPath: list]?.remove(at: index) } else if let status { user[keyPath: list]?[index].status = status }
        }
    }
}

public import CofferCore
import CofferStorage
import Crypto
import Foundation

extension STSService {
    public struct SAMLInput: Sendable {
        public var roleARN: String
        public var principalARN: String
        public var assertion: String
        public var durationSeconds: Int?
        public var policy: String?
        public var policyARNs: [String] = []
        public init(roleARN: String, principalARN: String, assertion: String) {
            self.roleARN = roleARN
            self.principalARN = principalARN
            self.assertion = assertion
        }
    }

    public struct SAMLIssued: Sendable {
        public let issued: Issued
        public let response: SAMLResponse
        public let nameQualifier: String
    }

    static let samlDenied = CofferError(.accessDenied, "Not authorized to perform sts:AssumeRoleWithSAML")
    static let samlAttributes = "https://aws.amazon.com/SAML/Attributes/"

    /// SAML attributes that become `SAML:` condition keys in a trust policy (IAM's table of them).
    static let samlConditionAttributes: [String: String] = [
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": "SAML:edupersonaffiliation", "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "SAML:edupersonprincipalname",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.7": "SAML:edupersonentitlement", "urn:oid:1.3.6.1.4.1.5923.1.1.1.9": "SAML:edupersonscopedaffiliation",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "SAML:edupersontargetedid", "urn:oid:1.3.6.1.4.1.5923.1.1.1.5": "SAML:edupersonprimaryaffiliation",
        "urn:oid:2.5.4.3": "SAML:cn", "urn:oid:2.5.4.42": "SAML:givenName", "urn:oid:2.5.4.4": "SAML:surname",
        "urn:oid:0.9.2342.19200300.100.1.3": "SAML:mail", "urn:oid:0.9.2342.19200300.100.1.1": "SAML:uid",
        "urn:oid:2.16.840.1.113730.3.1.241": "SAML:displayName", "urn:oid:2.5.4.10": "SAML:organizationStatus",
    ]

    /// AssumeRoleWithSAML: a response signed by the IdP of an IAM SAML provider, naming the role and
    /// provider in its Role attribute, exchanged for a role session the trust policy allows.
    public func assumeRoleWithSAML(_ input: SAMLInput, sourceIP: String?, region: String) async throws -> SAMLIssued {
        guard let role = try await iam.role(arn: input.roleARN), let account = ARN(role.arn)?.account else { throw Self.samlDenied }
        let missing = CofferError(.invalidIdentityToken, "Specified provider doesn't exist.")
        guard ARN(input.principalARN)?.account == account else { throw missing }
        let provider: SAMLProvider
        do { provider = try await iam.samlProvider(arn: input.principalARN, account: account) } catch let error as CofferError where error.code == .noSuchEntity {
            throw missing
        }
        let metadata = try SAMLMetadata(document: provider.metadataDocument)
        let response = try SAMLResponse(base64: input.assertion, signingKeys: metadata.signingKeys)
        guard response.issuer == metadata.entityID else { throw CofferError(.invalidIdentityToken, "Issuer not present in specified provider") }
        let now = clock.now()
        try response.check(at: now)

        let pairs = (response.attributes[Self.samlAttributes + "Role"] ?? []).map {
            Set($0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
        }
        guard pairs.contains([input.roleARN, input.principalARN]) else { throw Self.samlDenied }
        guard let sessionName = response.attributes[Self.samlAttributes + "RoleSessionName"]?.first else {
            throw CofferError(.invalidIdentityToken, "RoleSessionName is required in AuthnResponse")
        }
        guard Self.isSessionIdentifier(sessionName) else {
            throw CofferError(.invalidIdentityToken, "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
        }
        let sourceIdentity = response.attributes[Self.samlAttributes + "SourceIdentity"]?.first
        if let sourceIdentity, !Self.isSessionIdentifier(sourceIdentity) || sourceIdentity.lowercased().hasPrefix("aws:") {
            throw CofferError(.invalidIdentityToken, "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"")
        }
        let providerName = String(provider.arn.split(separator: "/").last ?? "")
        let nameQualifier = Data(Insecure.SHA1.hash(data: Array("\(response.issuer)\(account)/\(providerName)".utf8))).base64EncodedString()

        // The trust policy, asked as IAM asks it: the provider is the principal, the response's values are `SAML:` keys.
        var keys: [String: [String]] = [
            "SAML:aud": [response.recipient], "SAML:iss": [response.issuer], "SAML:sub": [response.nameID],
            "SAML:sub_type": [response.subjectType], "SAML:namequalifier": [nameQualifier], "SAML:doc": ["\(account)/\(providerName)"],
            "sts:RoleSessionName": [sessionName], "aws:RequestedRegion": [region], "aws:FederatedProvider": [provider.arn],
        ]
        // Session tags come from PrincipalTag attributes, as AWS takes them from an IdP.
        let tagPrefix = Self.samlAttributes + "PrincipalTag:"
        let tags = response.attributes.filter { $0.key.hasPrefix(tagPrefix) }.sorted { $0.key < $1.key }
            .map { Tag(key: String($0.key.dropFirst(tagPrefix.count)), value: $0.value.first ?? "") }
        let transitive = response.attributes[Self.samlAttributes + "TransitiveTagKeys"] ?? []
        try Self.checkSessionTags(tags, transitive: transitive)
        keys.merge(AccessControl.requestTagKeys(tags)) { _, new in new }
        if !transitive.isEmpty { keys["sts:TransitiveTagKeys"] = transitive }
        if let sourceIdentity { keys["sts:SourceIdentity"] = [sourceIdentity] }
        if let sourceIP { keys["aws:SourceIp"] = [sourceIP] }
        for (name, values) in response.attributes {
            if let key = Self.samlConditionAttributes[name] { keys[key] = values }
        }
        let principal = PrincipalIdentity(kind: .webIdentity, arn: provider.arn, account: account)
        let trust = try PolicyDocument.parse(role.assumeRolePolicy, kind: .resource)
        let request = RequestContext(principal: principal, action: "sts:AssumeRoleWithSAML", resource: role.arn, keys: keys, time: now)
        let trustSet = PolicySet(resource: NamedPolicy(name: "trust policy", document: trust))
        guard PolicyEvaluator.evaluate(request, trustSet).isAllowed else { throw Self.samlDenied }
        if !tags.isEmpty {
            let tagging = RequestContext(principal: principal, action: "sts:TagSession", resource: role.arn, keys: keys, time: now)
            guard PolicyEvaluator.evaluate(tagging, trustSet).isAllowed else { throw Self.samlDenied }
        }

        let issued = try await federatedSession(role: role, account: account, sessionName: sessionName, duration: input.durationSeconds ?? 3600,
                                                limit: response.sessionNotOnOrAfter, policy: input.policy, policyARNs: input.policyARNs,
                                                tags: tags, sourceIdentity: sourceIdentity, region: region)
        return SAMLIssued(issued: issued, response: response, nameQualifier: nameQualifier)
    }

    /// RoleSessionName's and SourceIdentity's pattern: [a-zA-Z_0-9+=,.@-]{2,64}.
    /// `[a-zA-Z_0-9+=,.@-]{2,64}`: IAM's name rule, at least two characters.
    static func isSessionIdentifier(_ text: String) -> Bool {
        text.utf8.count >= 2 && IAMRules.isName(text, maximum: 64)
    }
}

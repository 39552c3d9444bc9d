public import CofferCore
import CofferStorage
import Foundation

/// Where the signing keys of an OpenID Connect issuer come from (configured, or its JWKS endpoint).
public protocol WebIdentityKeySource: Sendable {
    /// The issuer's keys, a JWKS's `keys`; `refresh` asks past any cache (a key id not seen before).
    /// Throws ``CofferError/Code/idpCommunication`` when the issuer cannot be reached.
    func keys(issuer: String, refresh: Bool) async throws -> [JSONObject]
}

extension STSService {
    public struct WebIdentityInput: Sendable {
        public var roleARN: String
        public var sessionName: String
        public var token: String
        public var durationSeconds: Int?
        public var policy: String?
        public var policyARNs: [String] = []
        public init(roleARN: String, sessionName: String, token: String) {
            self.roleARN = roleARN
            self.sessionName = sessionName
            self.token = token
        }
    }

    public struct WebIdentityIssued: Sendable {
        public let issued: Issued
        public let subject: String
        public let audience: String
        /// The token's issuer (`iss`), as AWS's `Provider` answers it.
        public let provider: String
    }

    static let webIdentityDenied = CofferError(.accessDenied, "Not authorized to perform sts:AssumeRoleWithWebIdentity")

    /// AssumeRoleWithWebIdentity: an OpenID Connect ID token, verified against the issuer's keys and
    /// the account's IAM provider (audience, expiry), and the role's trust policy with the token's
    /// claims as `ISSUER:aud`, `ISSUER:sub` and the like, is exchanged for a role session.
    public func assumeRoleWithWebIdentity(_ input: WebIdentityInput, keys source: any WebIdentityKeySource, sourceIP: String?,
                                          region: String) async throws -> WebIdentityIssued {
        try IAMRules.validateName(input.sessionName, member: "roleSessionName", maximum: 64, inIAM: false)
        guard input.sessionName.count >= 2 else {
            throw CofferError.constraint(input.sessionName, member: "roleSessionName", "Member must have length greater than or equal to 2")
        }
        let token: WebIdentityToken
        do { token = try WebIdentityToken(input.token) } catch {
            throw CofferError(.invalidIdentityToken, "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
        }
        guard let role = try await iam.role(arn: input.roleARN), let account = ARN(role.arn)?.account else { throw Self.webIdentityDenied }
        guard let issuer = token.string("iss"), let provider = try await iam.oidcProvider(issuer: issuer, account: account) else {
            throw CofferError(.invalidIdentityToken, "No OpenIDConnect provider found in your account for \(token.string("iss") ?? "the token's issuer")")
        }
        let now = clock.now()
        guard let expiry = token.date("exp") else { throw CofferError(.invalidIdentityToken, "The token does not have an expiration (exp) claim.") }
        if expiry <= now {
            throw CofferError(.expiredIdentityToken,
                              "Token expired: current date/time \(Int(now.timeIntervalSince1970)) must be before the expiration date/time\(Int(expiry.timeIntervalSince1970))")
        }
        if let notBefore = token.date("nbf"), notBefore > now.addingTimeInterval(300) {
            throw CofferError(.invalidIdentityToken, "The token is not yet valid (nbf).")
        }
        guard let audience = token.audiences.first(where: provider.clientIDs.contains) else {
            throw CofferError(.invalidIdentityToken, "Incorrect token audience")
        }
        var signed = token.isSigned(byOneOf: try await source.keys(issuer: issuer, refresh: false))
        if !signed { signed = token.isSigned(byOneOf: try await source.keys(issuer: issuer, refresh: true)) }
        guard signed else {
            throw CofferError(.invalidIdentityToken, "The web identity token's signature could not be verified with the keys of its issuer.")
        }
        let subject = token.string("sub") ?? ""

        // The trust policy, asked as IAM asks it: the provider is the principal, the claims are keys.
        var keys: [String: [String]] = ["sts:RoleSessionName": [input.sessionName], "aws:RequestedRegion": [region],
                                        "aws:FederatedProvider": [provider.arn]]
        if let sourceIP { keys["aws:SourceIp"] = [sourceIP] }
        for (claim, value) in token.claims.members {
            switch value {
            case .string(let text): keys["\(provider.url):\(claim)"] = [text]
            case .array(let items): keys["\(provider.url):\(claim)"] = items.compactMap { if case .string(let s) = $0 { s } else { nil } }
            default: continue
            }
        }
        keys["\(provider.url):aud"] = [audience]
        let principal = PrincipalIdentity(kind: .webIdentity, arn: provider.arn, account: account)
        let trust = try PolicyDocument.parse(role.assumeRolePolicy, kind: .resource)
        let request = RequestContext(principal: principal, action: "sts:AssumeRoleWithWebIdentity", resource: role.arn, keys: keys, time: now)
        guard PolicyEvaluator.evaluate(request, PolicySet(resource: NamedPolicy(name: "trust policy", document: trust))).isAllowed else {
            throw Self.webIdentityDenied
        }

        let duration = input.durationSeconds ?? 3600
        guard duration >= 900 else {
            throw CofferError.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        let issued = try await federatedSession(role: role, account: account, sessionName: input.sessionName, duration: duration, policy: input.policy,
                                                policyARNs: input.policyARNs, sourceIdentity: nil, region: region)
        return WebIdentityIssued(issued: issued, subject: subject, audience: audience, provider: issuer)
    }

    /// The session a federated caller (web identity, SAML) gets once the trust policy allowed it:
    /// within the role's maximum duration, with its session policies packed as AWS packs them.
    func federatedSession(role: IAMRole, account: String, sessionName: String, duration: Int, limit: Date? = nil, policy: String?,
                          policyARNs: [String], tags: [Tag] = [], sourceIdentity: String?, region: String) async throws -> Issued {
        guard duration <= role.maxSessionDuration else {
            throw CofferError.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        var duration = duration
        if let limit { duration = min(duration, Int(limit.timeIntervalSince(clock.now()))) }
        guard duration > 0 else { throw CofferError(.expiredIdentityToken, "The session the identity provider allowed has ended.") }
        let sessionPolicies = try await sessionPolicies(policy, policyARNs, account: account)
        let packed = Self.packedSize(sessionPolicies)
        if packed > 2048 {
            throw CofferError(.packedPolicyTooLarge, "Packed policy consumes \(packed * 100 / 2048)% of allotted space, please use smaller policy for your request.")
        }
        let sessionARN = "arn:\(Partition.of(region: region)):sts::\(account):assumed-role/\(role.roleName)/\(sessionName)"
        try await noteRoleUse(role, region: region)
        return try await issue(account: account, principalARN: sessionARN, roleARN: role.arn, principalID: "\(role.roleID):\(sessionName)",
                               policies: sessionPolicies, tags: tags, sourceIdentity: sourceIdentity, duration: duration,
                               packed: packed > 0 ? packed * 100 / 2048 : nil)
    }
}

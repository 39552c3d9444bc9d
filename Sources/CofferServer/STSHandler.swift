import CofferCore
import CofferServices
import CofferWire

/// STS over the query protocol.
struct STSHandler: QueryServiceHandler {
    let credentials: CredentialDirectory
    let access: AccessControl
    let service: STSService
    let webIdentityKeys: any WebIdentityKeySource

    /// The calls AWS takes unsigned: the token they carry is the credential.
    static let unsignedActions: Set<String> = ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"]

    static let actions: Set<String> = [
        "GetCallerIdentity", "AssumeRole", "GetSessionToken", "GetAccessKeyInfo", "AssumeRoleWithWebIdentity",
        "AssumeRoleWithSAML", "GetFederationToken", "DecodeAuthorizationMessage", "AssumeRoot", "GetDelegatedAccessToken",
    ]

    func handle(_ action: String, _ request: QueryRequest, context: CallerContext) async throws -> [XMLNode] {
        switch action {
        case "GetCallerIdentity":
            // The account root is named in the partition of the region it is called in.
            let arn = context.isRoot ? "arn:\(Partition.of(region: context.scope.region)):iam::\(context.scope.account):root" : context.principalARN
            let userID = arn.hasSuffix(":root") ? context.scope.account : (try await credentials.entry(for: context.accessKeyID)?.userID ?? context.scope.account)
            return [.text("Arn", arn), .text("UserId", userID), .text("Account", context.scope.account)]
        case "GetAccessKeyInfo":
            try await access.authorize(context, action: "sts:GetAccessKeyInfo", resource: "*")
            let keyID = try request.requiredString("AccessKeyId", min: 16, max: 128)
            // A key this server did not issue is answered as AWS answers any key: with the account its ID encodes.
            if let entry = try await credentials.entry(for: keyID) { return [.text("Account", entry.account)] }
            guard let account = AccessKeyID.account(of: keyID) else {
                throw CofferError(.invalidInput, "The access key ID \(keyID) is not valid.")
            }
            return [.text("Account", account)]
        case "AssumeRole":
            var input = STSService.AssumeRoleInput(roleARN: try request.requiredString("RoleArn", min: 20, max: 2048),
                                                   sessionName: try request.requiredString("RoleSessionName", min: 2, max: 64))
            (input.durationSeconds, input.policy, input.policyARNs) = try Self.sessionLimits(request)
            input.externalID = try request.string("ExternalId", min: 2, max: 1224)
            input.tags = Self.tags(request)
            input.transitiveTagKeys = request.list("TransitiveTagKeys")
            input.sourceIdentity = try request.string("SourceIdentity", min: 2, max: 64)
            input.mfa = try Self.mfa(request)
            return roleSessionNodes(try await service.assumeRole(input, caller: context))
        case "AssumeRoleWithWebIdentity":
            var input = STSService.WebIdentityInput(roleARN: try request.requiredString("RoleArn", min: 20, max: 2048),
                                                    sessionName: try request.requiredString("RoleSessionName", min: 2, max: 64),
                                                    token: try request.requiredString("WebIdentityToken", min: 4, max: 20_000))
            (input.durationSeconds, input.policy, input.policyARNs) = try Self.sessionLimits(request)
            if request.parameters["ProviderId"] != nil {
                throw CofferError(.invalidParameter, "Coffer accepts OpenID Connect ID tokens only; OAuth 2.0 access tokens (ProviderId) are not supported.")
            }
            let answer = try await service.assumeRoleWithWebIdentity(input, keys: webIdentityKeys, sourceIP: context.sourceIP,
                                                                     region: context.scope.region)
            return roleSessionNodes(answer.issued) + [.text("SubjectFromWebIdentityToken", answer.subject), .text("Provider", answer.provider),
                                                      .text("Audience", answer.audience)]
        case "AssumeRoleWithSAML":
            var input = STSService.SAMLInput(roleARN: try request.requiredString("RoleArn", min: 20, max: 2048),
                                             principalARN: try request.requiredString("PrincipalArn", min: 20, max: 2048),
                                             assertion: try request.requiredString("SAMLAssertion", min: 4, max: 100_000))
            (input.durationSeconds, input.policy, input.policyARNs) = try Self.sessionLimits(request)
            let answer = try await service.assumeRoleWithSAML(input, sourceIP: context.sourceIP, region: context.scope.region)
            return roleSessionNodes(answer.issued) + [.text("Subject", answer.response.nameID), .text("SubjectType", answer.response.subjectType),
                                                      .text("Issuer", answer.response.issuer), .text("Audience", answer.response.recipient),
                                                      .text("NameQualifier", answer.nameQualifier)]
        case "GetFederationToken":
            let issued = try await service.getFederationToken(
                name: try request.requiredString("Name", min: 2, max: 32), policies: try request.string("Policy", min: 1, max: 2048),
                policyARNs: request.structures("PolicyArns").compactMap { $0["arn"] }, tags: Self.tags(request),
                durationSeconds: try request.integer("DurationSeconds", min: 900, max: 129_600), caller: context)
            var result = [credentialsNode(issued),
                          XMLNode.element("FederatedUser", [.text("FederatedUserId", issued.session.principalID),
                                                            .text("Arn", issued.session.principalARN)])]
            if let size = issued.packedPolicySize { result.append(.text("PackedPolicySize", String(size))) }
            return result
        case "GetSessionToken":
            let issued = try await service.getSessionToken(durationSeconds: try request.integer("DurationSeconds", min: 900, max: 129_600),
                                                           mfa: try Self.mfa(request), caller: context)
            return [credentialsNode(issued)]
        default:
            throw CofferError.unserved("sts", action, unknownMessage: "Could not find operation \(action) for version 2011-06-15")
        }
    }
}

extension STSHandler {
    /// SerialNumber and TokenCode, which come together.
    static func mfa(_ request: QueryRequest) throws -> (serial: String, code: String)? {
        let serial = try request.string("SerialNumber", min: 9, max: 256)
        let code = try request.string("TokenCode", min: 6, max: 6)
        switch (serial, code) {
        case (nil, nil): return nil
        case (let serial?, let code?): return (serial, code)
        default: throw CofferError.validation("SerialNumber and TokenCode must be given together.")
        }
    }

    static func tags(_ request: QueryRequest) -> [Tag] {
        request.structures("Tags").compactMap { fields in fields["Key"].map { Tag(key: $0, value: fields["Value"] ?? "") } }
    }

    /// What every AssumeRole* call may narrow its session by: DurationSeconds, Policy, PolicyArns.
    static func sessionLimits(_ request: QueryRequest) throws -> (duration: Int?, policy: String?, policyARNs: [String]) {
        (try request.integer("DurationSeconds", min: 900, max: 43_200), try request.string("Policy", min: 1, max: 2048),
         request.structures("PolicyArns").compactMap { $0["arn"] })
    }

    /// What every AssumeRole* call answers: the credentials, the session's user, the packed policy
    /// size and the source identity when there are some.
    func roleSessionNodes(_ issued: STSService.Issued) -> [XMLNode] {
        var nodes = [credentialsNode(issued),
                     XMLNode.element("AssumedRoleUser", [.text("AssumedRoleId", issued.session.principalID), .text("Arn", issued.session.principalARN)])]
        if let size = issued.packedPolicySize { nodes.append(.text("PackedPolicySize", String(size))) }
        if let source = issued.session.sourceIdentity { nodes.append(.text("SourceIdentity", source)) }
        return nodes
    }

    func credentialsNode(_ issued: STSService.Issued) -> XMLNode {
        .element("Credentials", [.text("AccessKeyId", issued.accessKeyID), .text("SecretAccessKey", issued.secret.value),
                                 .text("SessionToken", issued.token.value), .text("Expiration", IAMHandler.date(issued.session.expiration))])
    }
}

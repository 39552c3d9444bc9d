public import CofferCore

/// The STS calls the client needs: who am I, and a role's temporary credentials.
public struct STSClient: Sendable {
    public let caller: SignedCaller

    public init(caller: SignedCaller) { self.caller = caller }

    public func callerIdentity() async throws(AWSClientError) -> (account: String, arn: String) {
        let xml = try await caller.call(.sts, action: "GetCallerIdentity", version: "2011-06-15")
        return (QueryXML.value("Account", in: xml) ?? "", QueryXML.value("Arn", in: xml) ?? "")
    }

    public func assumeRole(arn: String, sessionName: String, externalID: String? = nil, durationSeconds: Int? = nil) async throws(AWSClientError) -> AWSCredentials {
        var parameters = [("RoleArn", arn), ("RoleSessionName", sessionName)]
        if let externalID { parameters.append(("ExternalId", externalID)) }
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        return try Self.credentials(try await caller.call(.sts, action: "AssumeRole", version: "2011-06-15", parameters), action: "AssumeRole")
    }

    /// AssumeRoleWithWebIdentity, sent unsigned: the token (an OIDC ID token, as a Kubernetes service
    /// account's or a CI job's) is the credential.
    public func assumeRoleWithWebIdentity(arn: String, sessionName: String, token: String, durationSeconds: Int? = nil) async throws(AWSClientError)
        -> AWSCredentials
    {
        var parameters = [("RoleArn", arn), ("RoleSessionName", sessionName), ("WebIdentityToken", token)]
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        var unsigned = caller
        unsigned.unsigned = true
        return try Self.credentials(try await unsigned.call(.sts, action: "AssumeRoleWithWebIdentity", version: "2011-06-15", parameters),
                                    action: "AssumeRoleWithWebIdentity")
    }

    static func credentials(_ xml: String, action: String) throws(AWSClientError) -> AWSCredentials {
        guard let key = QueryXML.value("AccessKeyId", in: xml), let secret = QueryXML.value("SecretAccessKey", in: xml) else {
            throw .service(code: "MalformedResponse", message: "\(action) answered without credentials", status: 200)
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: Redacted(secret), sessionToken: QueryXML.value("SessionToken", in: xml).map(Redacted.init))
    }
}

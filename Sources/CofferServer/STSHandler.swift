import CofferCore
import CofferServices
import CofferWire

/// STS over the query protocol.
struct STSHandler: QueryServiceHandler {
    let credentials: CredentialDirectory
    let access: AccessControl

    static let actions: Set<String> = [
        "GetCallerIdentity", "AssumeRole", "GetSessionToken", "GetAccessKeyInfo", "AssumeRoleWithWebIdentity",
        "AssumeRoleWithSAML", "GetFederationToken", "DecodeAuthorizationMessage", "AssumeRoot", "GetDelegatedAccessToken",
    ]

    func handle(_ action: String, _ request: QueryRequest, context: CallerContext) async throws -> [XMLNode] {
        switch action {
        case "GetCallerIdentity":
            let arn = context.principalARN
            let userID = arn.hasSuffix(":root") ? context.scope.account : (try await credentials.entry(for: context.accessKeyID)?.userID ?? context.scope.account)
            return [.text("Arn", arn), .text("UserId", userID), .text("Account", context.scope.account)]
        case "GetAccessKeyInfo":
            try await access.authorize(context, action: "sts:GetAccessKeyInfo", resource: "*")
            let keyID = try request.requiredString("AccessKeyId", min: 16, max: 128)
            guard let entry = try await credentials.entry(for: keyID) else {
                throw CofferError(.invalidInput, "The access key ID \(keyID) is not valid.")
            }
            return [.text("Account", entry.account)]
        default:
            if Self.actions.contains(action) { throw CofferError(.notImplemented, "Coffer does not implement sts:\(action) yet.") }
            throw CofferError(.unknownOperation, "Could not find operation \(action) for version 2011-06-15")
        }
    }
}

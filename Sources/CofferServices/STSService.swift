public import CofferCore
public import CofferStorage
import Foundation

/// Temporary credentials: AssumeRole (the role's trust policy decides) and GetSessionToken.
public struct STSService: Sendable {
    let iam: IAMService
    let access: AccessControl
    let store: any CofferStore
    let root: RootKey
    let clock: any WallClock
    let random: any RandomSource

    public init(iam: IAMService, access: AccessControl, store: any CofferStore, root: RootKey, clock: any WallClock, random: any RandomSource) {
        self.iam = iam
        self.access = access
        self.store = store
        self.root = root
        self.clock = clock
        self.random = random
    }

    public struct Issued: Sendable {
        public let session: STSSession
        public let accessKeyID: String
        public let secret: Redacted<String>
        public let token: Redacted<String>
        public let packedPolicySize: Int?
    }

    public struct AssumeRoleInput: Sendable {
        public var roleARN: String
        public var sessionName: String
        public var durationSeconds: Int?
        public var externalID: String?
        public var policy: String?
        public var policyARNs: [String] = []
        public var tags: [Tag] = []
        public var transitiveTagKeys: [String] = []
        public var sourceIdentity: String?
        public init(roleARN: String, sessionName: String) {
            self.roleARN = roleARN
            self.sessionName = sessionName
        }
    }

    static let secretPurpose = "sts-sessions"

    public static func tokenDigest(_ token: String) -> String { SigV4.sha256Hex(Array("coffer-sts\n\(token)".utf8)) }

    public func assumeRole(_ input: AssumeRoleInput, caller: CallerContext) async throws -> Issued {
        try IAMRules.validateName(input.sessionName, member: "roleSessionName", maximum: 64)
        guard input.sessionName.count >= 2 else {
            throw CofferError.constraint(input.sessionName, member: "roleSessionName", "Member must have length greater than or equal to 2")
        }
        if caller.isRoot { throw CofferError(.accessDenied, "Roles may not be assumed by root accounts.") }
        guard let role = try await iam.role(arn: input.roleARN) else {
            throw CofferError(.accessDenied, "User: \(caller.principalARN) is not authorized to perform: sts:AssumeRole on resource: \(input.roleARN)")
        }
        let duration = input.durationSeconds ?? 3600
        guard duration >= 900, duration <= role.maxSessionDuration else {
            throw CofferError.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        var sessionPolicies: [String] = []
        if let policy = input.policy {
            _ = try PolicyDocument.parse(policy, kind: .identity)
            sessionPolicies.append(policy)
        }
        for arn in input.policyARNs {
            guard let document = try await iam.policy(arn, account: caller.scope.account).defaultDocument else { continue }
            sessionPolicies.append(document)
        }
        let packed = sessionPolicies.reduce(0) { $0 + $1.unicodeScalars.filter { !$0.properties.isWhitespace }.count }
        if packed > 2048 {
            throw CofferError(.packedPolicyTooLarge, "Packed policy consumes \(packed * 100 / 2048)% of allotted space, please use smaller policy for your request.")
        }
        var keys = AccessControl.requestTagKeys(input.tags)
        keys["sts:RoleSessionName"] = [input.sessionName]
        if let externalID = input.externalID { keys["sts:ExternalId"] = [externalID] }
        if let source = input.sourceIdentity { keys["sts:SourceIdentity"] = [source] }
        if !input.transitiveTagKeys.isEmpty { keys["sts:TransitiveTagKeys"] = input.transitiveTagKeys }
        try await access.authorize(caller, action: "sts:AssumeRole", resource: role.arn, keys: keys, resourcePolicy: role.assumeRolePolicy)
        if !input.tags.isEmpty {
            try await access.authorize(caller, action: "sts:TagSession", resource: role.arn, keys: keys, resourcePolicy: role.assumeRolePolicy)
        }
        let sessionARN = "arn:aws:sts::\(caller.scope.account):assumed-role/\(role.roleName)/\(input.sessionName)"
        return try await issue(account: caller.scope.account, principalARN: sessionARN, roleARN: role.arn,
                               principalID: "\(role.roleID):\(input.sessionName)", policies: sessionPolicies, tags: input.tags,
                               sourceIdentity: input.sourceIdentity, duration: duration, packed: packed > 0 ? packed * 100 / 2048 : nil)
    }

    /// Credentials of `roleARN` for work Coffer does as a service (a rotation command runs with
    /// its execution role's credentials, as a Lambda does). The operator named the role when
    /// registering the function, so no caller's trust is checked; the session's policies are the role's.
    public func serviceSession(roleARN: String, sessionName: String, durationSeconds: Int) async throws -> Issued {
        guard let role = try await iam.role(arn: roleARN), let account = ARN(roleARN)?.account else {
            throw CofferError(.noSuchEntity, "The role \(roleARN) cannot be found.")
        }
        let sessionARN = "arn:aws:sts::\(account):assumed-role/\(role.roleName)/\(sessionName)"
        return try await issue(account: account, principalARN: sessionARN, roleARN: role.arn, principalID: "\(role.roleID):\(sessionName)",
                               policies: [], tags: [], sourceIdentity: nil, duration: durationSeconds, packed: nil)
    }

    public func getSessionToken(durationSeconds: Int?, caller: CallerContext) async throws -> Issued {
        let duration = durationSeconds ?? (caller.isRoot ? 3600 : 43_200)
        guard duration >= 900, duration <= (caller.isRoot ? 3600 : 129_600) else {
            throw CofferError.validation("1 validation error detected: Value '\(duration)' at 'durationSeconds' failed to satisfy constraint: Member must have value \(duration < 900 ? "greater than or equal to 900" : "less than or equal to 129600")")
        }
        if caller.principalARN.contains(":assumed-role/") {
            throw CofferError(.accessDenied, "Cannot call GetSessionToken with session credentials")
        }
        let principalID = try await iam.user(arn: caller.principalARN)?.userID ?? caller.scope.account
        return try await issue(account: caller.scope.account, principalARN: caller.principalARN, roleARN: nil, principalID: principalID,
                               policies: [], tags: [], sourceIdentity: nil, duration: duration, packed: nil)
    }

    private func issue(account: String, principalARN: String, roleARN: String?, principalID: String, policies: [String], tags: [Tag],
                       sourceIdentity: String?, duration: Int, packed: Int?) async throws -> Issued {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let keyID = "ASIA" + String((0..<16).map { _ in alphabet[random.uniform(alphabet.count)] })
        let secret = String((0..<40).map { _ in secretAlphabet[random.uniform(secretAlphabet.count)] })
        let token = "IQoJb3JpZ2luX2VjE" + Data(random.bytes(96)).base64EncodedString()
        let now = clock.now()
        let session = STSSession(accessKeyID: keyID, account: account, principalARN: principalARN, roleARN: roleARN,
                                 principalID: principalID, sessionPolicies: policies, sessionTags: tags, sourceIdentity: sourceIdentity,
                                 issued: now, expiration: now.addingTimeInterval(Double(duration)), tokenDigest: Self.tokenDigest(token))
        let sealed = try root.seal(Array(secret.utf8), purpose: Self.secretPurpose, context: session.arn)
        try await store.write(RecordWrite(.create, scope: ResourceScope(account: account, region: "global"), record: session,
                                          newValues: [("secret", sealed)]))
        return Issued(session: session, accessKeyID: keyID, secret: Redacted(secret), token: Redacted(token), packedPolicySize: packed)
    }

    /// The session behind temporary credentials, and its secret opened.
    public static func session(accessKeyID: String, store: any CofferStore, root: RootKey) async throws
        -> (session: STSSession, secret: Redacted<String>)?
    {
        guard let session = try await store.record(STSSession.self, arn: STSSession.arn(accessKeyID: accessKeyID)),
            let sealed = try await store.sealedValue(arn: session.arn, versionID: "secret")
        else { return nil }
        let secret = try root.open(sealed, purpose: Self.secretPurpose, context: session.arn)
        return (session, Redacted(String(decoding: secret, as: UTF8.self)))
    }

    /// Removes sessions past their expiry; the background job calls it.
    public func purgeExpired() async throws -> Int {
        let due = try await store.recordsDue(forDeletionAt: clock.now()).filter { $0.kind == STSSession.kind }
        for record in due { try await store.removeRecord(arn: record.arn) }
        return due.count
    }
}

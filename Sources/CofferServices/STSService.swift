public import CofferCore
public import CofferStorage
import Crypto
import Foundation

/// Temporary credentials: AssumeRole (the role's trust policy decides) and GetSessionToken.
public struct STSService: Sendable {
    let iam: IAMService
    let access: AccessControl
    let store: any CofferStore
    let root: RootKey
    let clock: any WallClock
    let random: any RandomSource
    /// `--dev`'s account: its root is the dummy caller that emulator users' tests sign as, and may
    /// assume any role without the trust policy being asked (AWS forbids the root to assume roles).
    let devAccount: String?

    public init(iam: IAMService, access: AccessControl, store: any CofferStore, root: RootKey, clock: any WallClock, random: any RandomSource,
                devAccount: String? = nil) {
        self.devAccount = devAccount
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
        /// An MFA device's serial number and a code from it, when the trust policy wants MFA.
        public var mfa: (serial: String, code: String)?
        public init(roleARN: String, sessionName: String) {
            self.roleARN = roleARN
            self.sessionName = sessionName
        }
    }

    static let secretPurpose = "sts-sessions"

    public static func tokenDigest(_ token: String) -> String { SigV4.sha256Hex(Array("coffer-sts\n\(token)".utf8)) }

    public func assumeRole(_ input: AssumeRoleInput, caller: CallerContext) async throws -> Issued {
        try Self.checkRoleARN(input.roleARN)
        try IAMRules.validateName(input.sessionName, member: "roleSessionName", maximum: 64, inIAM: false)
        guard input.sessionName.count >= 2 else {
            throw CofferError.constraint(input.sessionName, member: "roleSessionName", "Member must have length greater than or equal to 2")
        }
        let dummyCaller = isDummyCaller(caller)
        if caller.isRoot, !dummyCaller { throw CofferError(.accessDenied, "Roles may not be assumed by root accounts.") }
        let role: IAMRole
        if let found = try await iam.role(arn: input.roleARN) {
            role = found
        } else if dummyCaller, let named = Self.namedRole(input.roleARN) {
            role = named
        } else {
            throw CofferError(.accessDenied, "User: \(caller.principalARN) is not authorized to perform: sts:AssumeRole on resource: \(input.roleARN)")
        }
        let duration = input.durationSeconds ?? 3600
        guard duration >= 900, duration <= role.maxSessionDuration else {
            throw CofferError.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        let sessionPolicies = try await sessionPolicies(input.policy, input.policyARNs, account: caller.scope.account)
        let packed = Self.packedSize(sessionPolicies)
        if packed > 2048 {
            throw CofferError(.packedPolicyTooLarge, "Packed policy consumes \(packed * 100 / 2048)% of allotted space, please use smaller policy for your request.")
        }
        try Self.checkSessionTags(input.tags, transitive: input.transitiveTagKeys)
        var keys = AccessControl.requestTagKeys(input.tags)
        keys["sts:RoleSessionName"] = [input.sessionName]
        if let externalID = input.externalID { keys["sts:ExternalId"] = [externalID] }
        if let source = input.sourceIdentity { keys["sts:SourceIdentity"] = [source] }
        if !input.transitiveTagKeys.isEmpty { keys["sts:TransitiveTagKeys"] = input.transitiveTagKeys }
        var proved: Date?
        if let mfa = input.mfa {
            proved = try await iam.verifyMFACode(userARN: caller.principalARN, serial: mfa.serial, code: mfa.code)
            keys["aws:MultiFactorAuthPresent"] = ["true"]
            keys["aws:MultiFactorAuthAge"] = ["0"]
        }
        if !dummyCaller {
            try await access.authorize(caller, action: "sts:AssumeRole", resource: role.arn, keys: keys, resourcePolicy: role.assumeRolePolicy)
            if !input.tags.isEmpty {
                try await access.authorize(caller, action: "sts:TagSession", resource: role.arn, keys: keys, resourcePolicy: role.assumeRolePolicy)
            }
        }
        try await noteRoleUse(role, region: caller.scope.region)
        // The session belongs to the role's account, which for a cross-account role is not the caller's.
        let account = ARN(role.arn)?.account ?? caller.scope.account
        let sessionARN = "arn:\(Partition.of(region: caller.scope.region)):sts::\(account):assumed-role/\(role.roleName)/\(input.sessionName)"
        return try await issue(account: account, principalARN: sessionARN, roleARN: role.arn,
                               principalID: "\(role.roleID):\(input.sessionName)", policies: sessionPolicies, tags: input.tags,
                               sourceIdentity: input.sourceIdentity, duration: duration, packed: packed > 0 ? packed * 100 / 2048 : nil,
                               mfaAuthenticated: proved)
    }

    /// Records the role's last use (GetRole's RoleLastUsed), at most hourly per region: AWS itself
    /// reports it only to the day.
    func noteRoleUse(_ role: IAMRole, region: String) async throws {
        let now = clock.now()
        guard role.lastUsedRegion != region || role.lastUsedDate.map({ now.timeIntervalSince($0) > 3600 }) ?? true,
            let account = ARN(role.arn)?.account
        else { return }
        _ = try? await AuditScope.unaudited {
            try await iam.changeHolder(IAMRole.self, role.roleName, account: account) { role in
                role.lastUsedDate = now
                role.lastUsedRegion = region
            }
        }
    }

    func isDummyCaller(_ caller: CallerContext) -> Bool { caller.isRoot && devAccount == caller.scope.account }

    /// In `--dev`, a role the dummy caller names that does not exist: a session of it has the
    /// permissions of a role with no policies (none), but its identity is what the caller asked for.
    static func namedRole(_ arn: String) -> IAMRole? {
        guard let parsed = ARN(arn), parsed.service == "iam", AccountID.isValid(parsed.account), parsed.resource.hasPrefix("role/") else { return nil }
        let full = parsed.resource.dropFirst("role/".count)
        let name = full.split(separator: "/").last.map(String.init) ?? ""
        guard !name.isEmpty, (try? IAMRules.validateName(name, member: "roleName", maximum: 64)) != nil else { return nil }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let digest = Array(SHA256.hash(data: Array(arn.utf8)))
        let id = "AROA" + String(digest.prefix(17).map { alphabet[Int($0) % alphabet.count] })
        let path = "/" + full.dropLast(name.count)
        return IAMRole(arn: arn, roleName: name, roleID: id, path: String(path), createDate: Date(timeIntervalSince1970: 0), assumeRolePolicy: "{}")
    }

    /// Credentials of `roleARN` for work Coffer does as a service (a rotation command runs with
    /// its execution role's credentials, as a Lambda does). The operator named the role when
    /// registering the function, so no caller's trust is checked; the session's policies are the role's.
    public func serviceSession(roleARN: String, sessionName: String, durationSeconds: Int) async throws -> Issued {
        guard let role = try await iam.role(arn: roleARN), let account = ARN(roleARN)?.account else {
            throw CofferError(.noSuchEntity, "The role \(roleARN) cannot be found.")
        }
        let sessionARN = "arn:\(ARN(roleARN)?.partition ?? "aws"):sts::\(account):assumed-role/\(role.roleName)/\(sessionName)"
        return try await issue(account: account, principalARN: sessionARN, roleARN: role.arn, principalID: "\(role.roleID):\(sessionName)",
                               policies: [], tags: [], sourceIdentity: nil, duration: durationSeconds, packed: nil)
    }

    /// GetFederationToken: a federated user's credentials with the caller's permissions narrowed by
    /// the session policies (none given, none granted), for a proxy that hands out access.
    public func getFederationToken(name: String, policies inline: String?, policyARNs: [String], tags: [Tag], durationSeconds: Int?,
                                   caller: CallerContext) async throws -> Issued {
        try IAMRules.validateName(name, member: "name", maximum: 32, inIAM: false)
        guard name.count >= 2 else { throw CofferError.constraint(name, member: "name", "Member must have length greater than or equal to 2") }
        if caller.hasSessionCredentials, !isDummyCaller(caller) {
            throw CofferError(.accessDenied, "Cannot call GetFederationToken with session credentials")
        }
        let duration = try Self.tokenDuration(durationSeconds, caller: caller)
        let sessionPolicies = try await sessionPolicies(inline, policyARNs, account: caller.scope.account)
        let packed = Self.packedSize(sessionPolicies)
        if packed > 2048 {
            throw CofferError(.packedPolicyTooLarge, "Packed policy consumes \(packed * 100 / 2048)% of allotted space, please use smaller policy for your request.")
        }
        let arn = "arn:\(Partition.of(region: caller.scope.region)):sts::\(caller.scope.account):federated-user/\(name)"
        if !isDummyCaller(caller) {
            try await access.authorize(caller, action: "sts:GetFederationToken", resource: arn, keys: AccessControl.requestTagKeys(tags))
        }
        return try await issue(account: caller.scope.account, principalARN: arn, roleARN: nil, principalID: "\(caller.scope.account):\(name)",
                               policies: sessionPolicies, tags: tags, sourceIdentity: nil, duration: duration,
                               packed: packed * 100 / 2048, federatedFrom: caller.principalARN)
    }

    /// GetSessionToken's and GetFederationToken's duration: 900 s to 36 h, 12 h by default; the
    /// root's sessions are cut to one hour rather than refused, as AWS does.
    static func tokenDuration(_ asked: Int?, caller: CallerContext) throws -> Int {
        let duration = asked ?? 43_200
        guard duration >= 900, duration <= 129_600 else {
            throw CofferError.constraint(String(duration), member: "durationSeconds",
                                         duration < 900 ? "Member must have value greater than or equal to 900" : "Member must have value less than or equal to 129600")
        }
        return caller.isRoot ? min(duration, 3600) : duration
    }

    /// The session policies a request passes: the inline one (checked as an identity policy) and
    /// the managed ones' default versions.
    func sessionPolicies(_ inline: String?, _ arns: [String], account: String) async throws -> [String] {
        var policies: [String] = []
        if let inline {
            _ = try PolicyDocument.parse(inline, kind: .identity)
            policies.append(inline)
        }
        for arn in arns {
            guard let document = try await iam.policy(arn, account: account).defaultDocument else { continue }
            policies.append(document)
        }
        return policies
    }

    /// How much of the 2,048 characters AWS packs session policies into they take (whitespace is free).
    /// AWS refuses a RoleArn that is not `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` with partition,
    /// service and resource present before it looks for the role.
    static func checkRoleARN(_ arn: String) throws(CofferError) {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty, !parts[5].isEmpty else {
            throw CofferError(.validation, "\(arn) is invalid")
        }
    }

    /// Session tag keys are case-insensitive, and a transitive key must be one of the session's tags.
    static func checkSessionTags(_ tags: [Tag], transitive: [String]) throws(CofferError) {
        let keys = tags.map { $0.key.lowercased() }
        if Set(keys).count != keys.count {
            throw .invalidParameter("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        }
        if transitive.contains(where: { !keys.contains($0.lowercased()) }) {
            throw .invalidParameter("The specified transitive tag key must be included in the requested tags.")
        }
    }

    static func packedSize(_ policies: [String]) -> Int {
        policies.reduce(0) { $0 + $1.unicodeScalars.filter { !$0.properties.isWhitespace }.count }
    }

    public func getSessionToken(durationSeconds: Int?, mfa: (serial: String, code: String)? = nil, caller: CallerContext) async throws -> Issued {
        let duration = try Self.tokenDuration(durationSeconds, caller: caller)
        if caller.hasSessionCredentials, !isDummyCaller(caller) {
            throw CofferError(.accessDenied, "Cannot call GetSessionToken with session credentials")
        }
        var proved: Date?
        if let mfa { proved = try await iam.verifyMFACode(userARN: caller.principalARN, serial: mfa.serial, code: mfa.code) }
        let principalID = try await iam.user(arn: caller.principalARN)?.userID ?? caller.scope.account
        return try await issue(account: caller.scope.account, principalARN: caller.principalARN, roleARN: nil, principalID: principalID,
                               policies: [], tags: [], sourceIdentity: nil, duration: duration, packed: nil, mfaAuthenticated: proved)
    }

    func issue(account: String, principalARN: String, roleARN: String?, principalID: String, policies: [String], tags: [Tag],
                       sourceIdentity: String?, duration: Int, packed: Int?, federatedFrom: String? = nil,
                       mfaAuthenticated: Date? = nil) async throws -> Issued {
        let keyID = AccessKeyID.make(prefix: "ASIA", account: account, random: random)
        let secret = AccessKeyID.secret(random: random)
        let token = "IQoJb3JpZ2luX2VjE" + Data(random.bytes(96)).base64EncodedString()
        let now = clock.now()
        var session = STSSession(accessKeyID: keyID, account: account, principalARN: principalARN, roleARN: roleARN,
                                 principalID: principalID, sessionPolicies: policies, sessionTags: tags, sourceIdentity: sourceIdentity,
                                 issued: now, expiration: now.addingTimeInterval(Double(duration)), tokenDigest: Self.tokenDigest(token))
        session.federatedFrom = federatedFrom
        session.mfaAuthenticated = mfaAuthenticated
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

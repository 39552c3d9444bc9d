public import CofferCore
public import CofferStorage
import Crypto
public import Foundation

/// The IAM credentials around a user beyond access keys: console passwords (login profiles),
/// virtual MFA devices checked with real TOTP codes, and the credential report.
extension IAMService {
    static let maximumMFADevicesPerUser = 8
    static let seedPurpose = "iam-mfa-seed"

    // MARK: Login profiles

    public func createLoginProfile(userName: String, password: String, resetRequired: Bool, account: String) async throws -> IAMUser {
        try await checkPassword(password, account: account)
        let profile = try makeProfile(password, resetRequired: resetRequired)
        return try await changeUser(userName, account: account) { user in
            guard user.loginProfile == nil else { throw CofferError(.entityAlreadyExists, "Login Profile for user \(userName) already exists.") }
            user.loginProfile = profile
        }
    }

    public func loginProfile(userName: String, account: String) async throws -> (user: IAMUser, profile: LoginProfile) {
        let user = try await user(userName, account: account)
        guard let profile = user.loginProfile else { throw CofferError(.noSuchEntity, "Login Profile for User \(userName) cannot be found.") }
        return (user, profile)
    }

    public func updateLoginProfile(userName: String, password: String?, resetRequired: Bool?, account: String) async throws {
        if let password { try await checkPassword(password, account: account) }
        let fresh = try password.map { try makeProfile($0, resetRequired: false) }
        let now = clock.now()
        try await changeUser(userName, account: account) { user in
            guard var profile = user.loginProfile else {
                throw CofferError(.noSuchEntity, "Login Profile for User \(userName) cannot be found.")
            }
            if let fresh {
                profile.salt = fresh.salt
                profile.digest = fresh.digest
                profile.passwordLastChanged = now
            }
            if let resetRequired { profile.passwordResetRequired = resetRequired }
            user.loginProfile = profile
        }
    }

    public func deleteLoginProfile(userName: String, account: String) async throws {
        try await changeUser(userName, account: account) { user in
            guard user.loginProfile != nil else { throw CofferError(.noSuchEntity, "Login Profile for User \(userName) cannot be found.") }
            user.loginProfile = nil
        }
    }

    /// ChangePassword: the caller's own password, which it must know.
    public func changePassword(userARN: String, old: String, new: String, account: String) async throws {
        guard let user = try await user(arn: userARN), let profile = user.loginProfile else {
            throw CofferError(.noSuchEntity, "The user with name \(userARN) cannot be found.")
        }
        guard constantTimeEquals(Array(passwordDigest(old, salt: profile.salt).utf8), Array(profile.digest.utf8)) else {
            throw CofferError(.invalidUserType, "The old password was incorrect.")
        }
        try await updateLoginProfile(userName: user.userName, password: new, resetRequired: false, account: account)
    }

    private func makeProfile(_ password: String, resetRequired: Bool) throws -> LoginProfile {
        let salt = Hex.encode(random.bytes(16))
        return LoginProfile(createDate: clock.now(), passwordResetRequired: resetRequired, salt: salt, digest: passwordDigest(password, salt: salt))
    }

    func passwordDigest(_ password: String, salt: String) -> String {
        let key = root.derive("iam-login-password")
        return Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array((salt + "\n" + password).utf8), using: key)))
    }

    /// The account password policy's rules (or AWS's minimum when there is none), with AWS's error.
    func checkPassword(_ password: String, account: String) async throws {
        let policy = (try? await passwordPolicy(account: account)) ?? PasswordPolicy()
        let scalars = password.unicodeScalars
        var broken = password.count < policy.minimumPasswordLength
        if policy.requireSymbols, !scalars.contains(where: { "!@#$%^&*()_+-=[]{}|'".unicodeScalars.contains($0) }) { broken = true }
        if policy.requireNumbers, !scalars.contains(where: { ("0"..."9").contains($0) }) { broken = true }
        if policy.requireUppercaseCharacters, !scalars.contains(where: { ("A"..."Z").contains($0) }) { broken = true }
        if policy.requireLowercaseCharacters, !scalars.contains(where: { ("a"..."z").contains($0) }) { broken = true }
        if password.count > 128 { broken = true }
        if broken { throw CofferError(.passwordPolicyViolation, "Password should have at least \(policy.minimumPasswordLength) characters and meet the account password policy.") }
    }

    // MARK: Virtual MFA devices

    public struct NewMFADevice: Sendable {
        public let device: VirtualMFADevice
        /// The seed in base 32, as authenticator apps take it.
        public let base32Seed: Redacted<String>
    }

    public func createVirtualMFADevice(name: String, path: String?, tags: [Tag], account: String) async throws -> NewMFADevice {
        try IAMRules.validateName(name, member: "virtualMFADeviceName", maximum: 226)
        let path = path ?? "/"
        try IAMRules.validatePath(path)
        try IAMRules.validateTags(tags)
        let device = VirtualMFADevice(arn: "arn:\(Self.partition):iam::\(account):mfa\(path)\(name)", deviceName: name, path: path, createDate: clock.now(), tags: tags)
        let seed = random.bytes(20)
        let sealed = try root.seal(seed, purpose: Self.seedPurpose, context: device.arn)
        do {
            try await store.write(RecordWrite(.create, scope: Self.scope(account), record: device, newValues: [("seed", sealed)]))
        } catch StorageError.nameTaken {
            throw CofferError(.entityAlreadyExists, "MFADevice entity at the same path and name already exists.")
        }
        return NewMFADevice(device: device, base32Seed: Redacted(Base32.encode(seed)))
    }

    public func mfaDevice(serial: String, account: String) async throws -> VirtualMFADevice {
        guard let device = try await store.record(VirtualMFADevice.self, arn: serial), ARN(serial)?.account == account else {
            throw CofferError(.noSuchEntity, "VirtualMFADevice with serial number \(serial) doesn't exist.")
        }
        return device
    }

    public func mfaDevices(account: String) async throws -> [VirtualMFADevice] {
        try await store.records(VirtualMFADevice.self, in: Self.scope(account)).sorted { $0.arn < $1.arn }
    }

    /// EnableMFADevice: two consecutive codes from the device prove the user holds it.
    public func enableMFADevice(userName: String, serial: String, code1: String, code2: String, account: String) async throws {
        let user = try await user(userName, account: account)
        let device = try await mfaDevice(serial: serial, account: account)
        if device.userName != nil { throw CofferError(.entityAlreadyExists, "MFA Device is already in use.") }
        if (user.mfaDevices ?? []).count >= Self.maximumMFADevicesPerUser {
            throw CofferError(.limitExceeded, "Cannot exceed quota for MFADevicesPerUser: \(Self.maximumMFADevicesPerUser)")
        }
        let seed = try await seed(of: device)
        let now = clock.now()
        guard let first = TOTP.matchingCounter(code1, seed: seed, at: now, window: 10),
            TOTP.code(seed: seed, counter: first + 1) == code2
        else { throw CofferError(.invalidAuthenticationCode, "Authentication code for device is not valid.") }
        try await updating(store, in: Self.scope(account), read: { try await mfaDevice(serial: serial, account: account) }) { device in
            device.userName = user.userName
            device.enableDate = now
            device.lastCounter = first + 1
        }
        try await changeUser(userName, account: account) { user in
            user.mfaDevices = (user.mfaDevices ?? []).filter { $0 != serial } + [serial]
        }
    }

    public func deactivateMFADevice(userName: String, serial: String, account: String) async throws {
        let user = try await user(userName, account: account)
        guard (user.mfaDevices ?? []).contains(serial) else {
            throw CofferError(.noSuchEntity, "MFA Device with serial number \(serial) does not exist.")
        }
        try await changeUser(userName, account: account) { user in user.mfaDevices = (user.mfaDevices ?? []).filter { $0 != serial } }
        if (try? await mfaDevice(serial: serial, account: account)) != nil {
            try await updating(store, in: Self.scope(account), read: { try await mfaDevice(serial: serial, account: account) }) { device in
                device.userName = nil
                device.enableDate = nil
            }
        }
    }

    public func deleteVirtualMFADevice(serial: String, account: String) async throws {
        let device = try await mfaDevice(serial: serial, account: account)
        if device.userName != nil { throw CofferError(.deleteConflict, "MFA Device is still in use.") }
        try await store.removeRecord(arn: device.arn)
    }

    /// Checks a code from `serial` for the user that holds it (STS's TokenCode); each step's code
    /// is accepted once. Returns when the proof was made.
    public func verifyMFACode(userARN: String, serial: String, code: String) async throws -> Date {
        let failed = CofferError(.accessDenied, "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
        guard let account = ARN(userARN)?.account, let user = try await user(arn: userARN), (user.mfaDevices ?? []).contains(serial),
            let device = try? await mfaDevice(serial: serial, account: account)
        else {
            throw CofferError(.accessDenied, "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.")
        }
        let now = clock.now()
        let seed = try await seed(of: device)
        guard let counter = TOTP.matchingCounter(code, seed: seed, at: now), counter > (device.lastCounter ?? .min) else { throw failed }
        try await updating(store, in: Self.scope(account), read: { try await mfaDevice(serial: serial, account: account) }) { device in
            guard counter > (device.lastCounter ?? .min) else { throw failed }
            device.lastCounter = counter
        }
        return now
    }

    private func seed(of device: VirtualMFADevice) async throws -> [UInt8] {
        guard let sealed = try await store.sealedValue(arn: device.arn, versionID: "seed") else {
            throw CofferError(.noSuchEntity, "VirtualMFADevice with serial number \(device.arn) doesn't exist.")
        }
        return try root.open(sealed, purpose: Self.seedPurpose, context: device.arn)
    }

    // MARK: Credential report

    /// GenerateCredentialReport: a new report unless the last is under four hours old. Answers
    /// whether this call started one (AWS's STARTED) or one was there (COMPLETE).
    public func generateCredentialReport(account: String, rootARN: String) async throws -> Bool {
        let now = clock.now()
        if let existing = try await store.record(CredentialReport.self, named: "credential-report", in: Self.scope(account)),
            now.timeIntervalSince(existing.generated) < 4 * 3600
        {
            return false
        }
        let report = CredentialReport(account: account, generated: now, content: try await credentialReportCSV(account: account, rootARN: rootARN))
        try await store.removeRecord(arn: report.arn)
        try await store.write(RecordWrite(.create, scope: Self.scope(account), record: report))
        return true
    }

    public func credentialReport(account: String) async throws -> CredentialReport {
        guard let report = try await store.record(CredentialReport.self, named: "credential-report", in: Self.scope(account)) else {
            // AWS answers this one with no message at all (LocalStack's AWS-validated credential report snapshot).
            throw CofferError(.credentialReportNotPresent, "")
        }
        if clock.now().timeIntervalSince(report.generated) > 4 * 3600 {
            throw CofferError(.credentialReportExpired, "Credential report expired. Call GenerateCredentialReport to generate a new one.")
        }
        return report
    }

    static let reportColumns = [
        "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed", "password_next_rotation",
        "mfa_active", "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region",
        "access_key_1_last_used_service", "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
        "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated", "cert_2_active",
        "cert_2_last_rotated",
    ]

    func credentialReportCSV(account: String, rootARN: String) async throws -> String {
        func stamp(_ date: Date?) -> String {
            guard let date else { return "N/A" }
            return String(SigV4Timestamp.iso8601(date).dropLast()) + "+00:00"
        }
        func keyColumns(_ key: StoredAccessKey?) -> [String] {
            guard let key else { return ["false", "N/A", "N/A", "N/A", "N/A"] }
            return [key.status == "Active" ? "true" : "false", stamp(key.createdDate), stamp(key.lastUsedDate),
                    key.lastUsedRegion ?? "N/A", key.lastUsedService ?? "N/A"]
        }
        let policy = try? await passwordPolicy(account: account)
        var rows = [Self.reportColumns.joined(separator: ",")]
        let rootKeys = try await store.accessKeys(principalARN: rootARN).sorted { $0.createdDate < $1.createdDate }
        var root = ["<root_account>", rootARN, stamp(rootKeys.first?.createdDate), "not_supported", "no_information", "not_supported",
                    "not_supported", "false"]
        root += keyColumns(rootKeys.first) + keyColumns(rootKeys.dropFirst().first) + ["false", "N/A", "false", "N/A"]
        rows.append(root.joined(separator: ","))
        for user in try await store.records(IAMUser.self, in: Self.scope(account)).sorted(by: { $0.userName < $1.userName }) {
            let keys = try await store.accessKeys(principalARN: user.arn).sorted { $0.createdDate < $1.createdDate }
            let profile = user.loginProfile
            let nextRotation = profile.flatMap { p in policy?.maxPasswordAge.map { stamp(p.passwordLastChanged.addingTimeInterval(Double($0) * 86_400)) } }
            var row = [user.userName, user.arn, stamp(user.createDate), profile == nil ? "false" : "true",
                       profile == nil ? "N/A" : "no_information", stamp(profile?.passwordLastChanged), nextRotation ?? "N/A",
                       (user.mfaDevices ?? []).isEmpty ? "false" : "true"]
            row += keyColumns(keys.first) + keyColumns(keys.dropFirst().first) + ["false", "N/A", "false", "N/A"]
            rows.append(row.joined(separator: ","))
        }
        return rows.joined(separator: "\n")
    }
}

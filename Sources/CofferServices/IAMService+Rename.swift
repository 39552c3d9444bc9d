public import CofferCore
import CofferStorage

extension IAMService {
    /// UpdateUser: a new name or path. The user keeps its unique id, policies, groups, tags, keys,
    /// password and MFA devices; its ARN changes, so the record moves (a user is stored under its
    /// ARN): the renamed record is created first (so a taken name changes nothing), then the access
    /// keys and MFA devices follow it, then the old record goes. As on AWS, policies that name the
    /// old ARN are not rewritten.
    @discardableResult
    public func updateUser(_ name: String, newName: String?, newPath: String?, account: String) async throws -> IAMUser {
        if let newName { try IAMRules.validateName(newName, member: "newUserName", maximum: 64) }
        if let newPath { try IAMRules.validatePath(newPath) }
        let old = try await user(name, account: account)
        guard let renamed = renamed(old, newName: newName, newPath: newPath, account: account) else { return old }
        let userName = renamed.userName
        try await moving(store, from: old, to: renamed, in: Self.scope(account),
                         taken: CofferError(.entityAlreadyExists, "User with name \(userName) already exists.")) {
            for var key in try await store.accessKeys(principalARN: old.arn) {
                key.principalARN = renamed.arn
                try await store.putAccessKey(key)
                credentialsChanged(key.accessKeyID)
            }
            for serial in old.mfaDevices ?? [] {
                _ = try? await updating(store, in: Self.scope(account), read: { try await mfaDevice(serial: serial, account: account) }) { device in
                    device.userName = userName
                }
            }
        }
        return renamed
    }

    /// UpdateGroup: a new name or path, as UpdateUser: the group keeps its id and policies, the
    /// record moves to its new ARN, and its members follow the new name.
    @discardableResult
    public func updateGroup(_ name: String, newName: String?, newPath: String?, account: String) async throws -> IAMGroup {
        if let newName { try IAMRules.validateName(newName, member: "newGroupName", maximum: 128) }
        if let newPath { try IAMRules.validatePath(newPath) }
        let old = try await holder(IAMGroup.self, name, account: account)
        guard let renamed = renamed(old, newName: newName, newPath: newPath, account: account) else { return old }
        let groupName = renamed.groupName
        try await moving(store, from: old, to: renamed, in: Self.scope(account),
                         taken: CofferError(.entityAlreadyExists, "Group with name \(groupName) already exists.")) {
            for member in try await members(of: old, account: account) {
                try await changeUser(member.userName, account: account) { user in
                    user.groupNames = user.groupNames.map { $0 == old.groupName ? groupName : $0 }
                }
            }
        }
        return renamed
    }
}

/// Users and groups live under an ARN made of their path and name, so a rename moves the record.
protocol PathRenamable: PolicyHolder {
    var displayName: String { get set }
    var path: String { get set }
    var arn: String { get set }
    var name: String { get set }
}

extension IAMUser: PathRenamable {
    var displayName: String {
        get { userName }
        set { userName = newValue }
    }
}

extension IAMGroup: PathRenamable {
    var displayName: String {
        get { groupName }
        set { groupName = newValue }
    }
}

extension IAMService {
    /// The entity under its new name or path, or nil when neither changes.
    func renamed<E: PathRenamable>(_ old: E, newName: String?, newPath: String?, account: String) -> E? {
        let displayName = newName ?? old.displayName
        let path = newPath ?? old.path
        guard displayName != old.displayName || path != old.path else { return nil }
        var renamed = old
        renamed.displayName = displayName
        renamed.name = displayName.lowercased()
        renamed.path = path
        renamed.arn = "arn:\(Self.partition):iam::\(account):\(E.entityName)\(path)\(displayName)"
        return renamed
    }
}

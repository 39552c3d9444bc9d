import CofferCore
import CofferStorage
import Foundation

/// The account's root access key: created at first start (or taken from
/// `COFFER_ROOT_ACCESS_KEY_ID` / `COFFER_ROOT_SECRET_ACCESS_KEY`), sealed under the root key in the
/// database, and written to `root-credentials` in the AWS shared-credentials format.
enum RootCredentials {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    /// Returns the path of the credentials file.
    static func ensure(
        store: any CofferStore, root: RootKey, account: String, environment: [String: String], files: DataDirectory,
        random: any RandomSource, clock: any WallClock
    ) async throws -> String {
        let accessKeyID: String
        let secret: String
        if let id = environment["COFFER_ROOT_ACCESS_KEY_ID"], let given = environment["COFFER_ROOT_SECRET_ACCESS_KEY"] {
            (accessKeyID, secret) = (id, given)
        } else if try await store.setting("root_access_key_id") != nil, FileManager.default.fileExists(atPath: files.credentialsPath) {
            return files.credentialsPath
        } else if let id = try await store.setting("root_access_key_id"), let stored = try await store.accessKey(id: id) {
            // The file was removed: write it again from the sealed copy.
            accessKeyID = id
            secret = String(decoding: try root.open(stored.sealedSecret, purpose: "access-keys", context: CredentialDirectory.sealContext(id)), as: UTF8.self)
        } else {
            accessKeyID = "AKIA" + String((0..<16).map { _ in alphabet[random.uniform(alphabet.count)] })
            secret = String((0..<40).map { _ in secretAlphabet[random.uniform(secretAlphabet.count)] })
        }
        let sealed = try root.seal(Array(secret.utf8), purpose: "access-keys", context: CredentialDirectory.sealContext(accessKeyID))
        try await store.putAccessKey(StoredAccessKey(
            accessKeyID: accessKeyID, account: account, principalARN: "arn:aws:iam::\(account):root", sealedSecret: sealed,
            createdDate: clock.now()))
        try await store.setSetting("root_access_key_id", accessKeyID)
        let file = "[default]\naws_access_key_id = \(accessKeyID)\naws_secret_access_key = \(secret)\n"
        try files.writePrivate(Data(file.utf8), to: files.credentialsPath)
        return files.credentialsPath
    }
}

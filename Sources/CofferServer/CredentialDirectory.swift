import CofferCore
import CofferServices
import CofferStorage
import Synchronization
import struct Foundation.Date

/// Finds the secret half of access keys for SigV4, opening them with the root key and keeping the
/// opened secrets in memory so that verification does not touch the database on every request.
final class CredentialDirectory: SigningSecretLookup {
    /// A class: each request copies its caller's entry twice, and a struct of this many strings cost
    /// a retain and a release of each one per copy.
    final class Entry: Sendable {
        let secret: Redacted<String>
        let account: String
        let principalARN: String
        /// The principal's unique id (AIDA... for users); nil for the account root.
        let userID: String?
        /// For temporary credentials: the digest of the session token they need, and when they expire.
        let tokenDigest: String?
        let expiration: Date?
        /// For role sessions: the role, and when the session began (the audit trail's session context).
        let roleARN: String?
        let issued: Date?
        /// GetSessionToken credentials without MFA, and GetFederationToken's: AWS refuses them every
        /// IAM call, as a token it does not recognize.
        let refusedByIAM: Bool

        init(secret: Redacted<String>, account: String, principalARN: String, userID: String? = nil, tokenDigest: String? = nil,
             expiration: Date? = nil, roleARN: String? = nil, issued: Date? = nil, refusedByIAM: Bool = false) {
            self.secret = secret
            self.account = account
            self.principalARN = principalARN
            self.userID = userID
            self.tokenDigest = tokenDigest
            self.expiration = expiration
            self.roleARN = roleARN
            self.issued = issued
            self.refusedByIAM = refusedByIAM
        }
    }

    private let store: any CofferStore
    private let root: RootKey
    private let cache = Mutex<[String: Entry]>([:])
    /// When each key's last use was last written, and where it was used, so most requests write nothing.
    private let noted = Mutex<[String: (date: Date, place: String)]>([:])
    static let lastUsedGranularity: Double = 600

    init(store: any CofferStore, root: RootKey) {
        self.store = store
        self.root = root
        // Another node deactivated a key, deleted a user or revoked a session: opened keys may be stale.
        SharedStores.feed(of: store)?.subscribe { [weak self] event in
            if case .changed(let change) = event, !change.mayChangePermissions { return }
            self?.cache.withLock { $0.removeAll() }
        }
    }

    static func sealContext(_ accessKeyID: String) -> String { IAMService.sealContext(accessKeyID) }

    /// Drops a key from the cache after IAM changed or deleted it.
    func forget(_ accessKeyID: String) { _ = cache.withLock { $0.removeValue(forKey: accessKeyID) } }

    func entry(for accessKeyID: String) async throws -> Entry? {
        if let cached = cache.withLock({ $0[accessKeyID] }) { return cached }
        if accessKeyID.hasPrefix("ASIA") {
            guard let found = try await STSService.session(accessKeyID: accessKeyID, store: store, root: root) else { return nil }
            let session = found.session
            let entry = Entry(secret: found.secret, account: session.account, principalARN: session.principalARN,
                              userID: session.principalID, tokenDigest: session.tokenDigest, expiration: session.expiration,
                              roleARN: session.roleARN, issued: session.issued,
                              refusedByIAM: session.roleARN == nil && (session.federatedFrom != nil || session.mfaAuthenticated == nil))
            cache.withLock { $0[accessKeyID] = entry }
            return entry
        }
        guard let stored = try await store.accessKey(id: accessKeyID), stored.status == "Active" else { return nil }
        let secret = try root.open(stored.sealedSecret, purpose: "access-keys", context: Self.sealContext(accessKeyID))
        let entry = Entry(secret: Redacted(String(decoding: secret, as: UTF8.self)), account: stored.account, principalARN: stored.principalARN,
                          userID: try await store.record(IAMUser.self, arn: stored.principalARN)?.userID)
        cache.withLock { $0[accessKeyID] = entry }
        return entry
    }

    /// Records an access key's last use (IAM's GetAccessKeyLastUsed), at most every ten minutes per
    /// key unless the service or region changed.
    func noteUse(_ accessKeyID: String, service: String, region: String, at date: Date) async {
        guard !accessKeyID.hasPrefix("ASIA") else { return }
        let place = service + "/" + region
        let due = noted.withLock { noted in
            if let last = noted[accessKeyID], last.place == place, date.timeIntervalSince(last.date) < Self.lastUsedGranularity { return false }
            noted[accessKeyID] = (date, place)
            return true
        }
        guard due, var stored = try? await store.accessKey(id: accessKeyID) else { return }
        stored.lastUsedDate = date
        stored.lastUsedService = service
        stored.lastUsedRegion = region
        try? await store.putAccessKey(stored)
    }

    func signingSecret(for accessKeyID: String) async throws -> Redacted<String>? {
        try await entry(for: accessKeyID)?.secret
    }
}

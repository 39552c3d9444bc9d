import CofferCore
import CofferServices
import CofferStorage
import CofferStorageSQLite
import Foundation
public import Logging

/// One running Coffer: storage, keys, credentials, services and the HTTP listener.
public final class CofferNode: Sendable {
    public static let version = "0.1.0"

    private let server: HTTPServer
    private let sqlite: SQLiteStore?
    private let purge: Task<Void, Never>
    public let accountID: String
    private let logger: Logger

    public var port: Int? { server.localPort }

    public init(configuration: CofferConfiguration, environment: [String: String], logger: Logger) async throws {
        self.logger = logger
        let clock: any WallClock = environment["COFFER_UNSAFE_CLOCK_OFFSET_SECONDS"].flatMap(Double.init)
            .map { UnsafeOffsetClock(base: SystemWallClock(), offset: $0) } ?? SystemWallClock()
        let random = SystemRandomSource()
        let store: any CofferStore
        let root: RootKey
        if configuration.dev {
            guard configuration.accountID.map(AccountID.isValid) ?? true else {
                throw ConfigurationError("--account-id must be 12 digits")
            }
            // Nothing is kept in --dev, so a key that lives as long as the process is enough.
            root = RootKey.generate(random: random)
            store = MemoryStore()
            sqlite = nil
            accountID = configuration.accountID ?? "000000000000"
        } else {
            let files = DataDirectory(path: configuration.dataDirectory)
            try files.create()
            root = try files.rootKey(environment: environment, random: random)
            let sqliteStore = try SQLiteStore(path: files.databasePath)
            // This process is the file's only writer, so a write-through cache in front of it is safe.
            store = CachingStore(base: sqliteStore)
            sqlite = sqliteStore
            accountID = try await Self.accountID(configured: configuration.accountID, store: sqliteStore, random: random)
            let path = try await RootCredentials.ensure(
                store: sqliteStore, root: root, account: accountID, environment: environment, files: files, random: random, clock: clock)
            logger.info("root credentials are in \(path)")
        }
        let credentials = CredentialDirectory(store: store, root: configuration.dev ? nil : root)
        let kms = KMSService(store: store, root: root, clock: clock, random: random)
        let iam = IAMService(store: store, root: root, clock: clock, random: random) { [credentials] keyID in credentials.forget(keyID) }
        let access = AccessControl(iam: iam)
        let sts = STSService(iam: iam, access: access, store: store, root: root, clock: clock, random: random)
        let keyring = KMSKeyring(kms: kms, root: root)
        let service = SecretsManagerService(store: store, keyring: keyring, clock: clock, random: random)
        let parameters = ParameterStoreService(store: store, keyring: keyring, root: root, secrets: service, clock: clock, random: random)
        let processor = RequestProcessor(
            verifier: SigV4Verifier(clock: clock, unsafeAcceptAnySecret: configuration.dev), clock: clock, credentials: credentials,
            devAccount: configuration.dev ? accountID : nil,
            jsonServices: [
                "secretsmanager": JSONService(signingName: "secretsmanager", handler: SecretsManagerHandler(service: service, access: access, kms: kms)),
                "TrentService": JSONService(signingName: "kms", handler: KMSHandler(service: kms, access: access)),
                "AmazonSSM": JSONService(signingName: "ssm", handler: ParameterStoreHandler(service: parameters, access: access, kms: kms)),
                "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": JSONService(
                    signingName: "cloudtrail", handler: CloudTrailHandler(service: CloudTrailService(store: store, clock: clock), access: access)),
            ],
            queryServices: ["sts": STSHandler(credentials: credentials, access: access, service: sts), "iam": IAMHandler(service: iam, access: access)],
            random: random, logger: logger, version: Self.version)
        server = try await HTTPServer(host: configuration.host, port: configuration.port, processor: processor, logger: logger)
        let interval = configuration.purgeIntervalSeconds
        purge = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                if Task.isCancelled { break }
                do {
                    let removed = try await service.purgeExpired()
                    if removed > 0 { logger.info("removed secrets whose recovery window ended", metadata: ["count": "\(removed)"]) }
                    _ = try await sts.purgeExpired()
                    let keys = try await kms.runMaintenance()
                    if keys.deleted + keys.rotated > 0 {
                        logger.info("KMS maintenance", metadata: ["deleted": "\(keys.deleted)", "rotated": "\(keys.rotated)"])
                    }
                } catch {
                    logger.error("background maintenance failed")
                }
            }
        }
        logger.info("coffer \(Self.version) listening on http://\(configuration.host):\(server.localPort ?? configuration.port) (account \(accountID)\(configuration.dev ? ", dev mode: in memory, any access key" : ""))")
    }

    private static func accountID(configured: String?, store: SQLiteStore, random: any RandomSource) async throws -> String {
        if let configured {
            guard AccountID.isValid(configured) else { throw ConfigurationError("--account-id must be 12 digits") }
            try await store.setSetting("account_id", configured)
            return configured
        }
        if let kept = try await store.setting("account_id") { return kept }
        let generated = AccountID.generate(random: random)
        try await store.setSetting("account_id", generated)
        return generated
    }

    /// Stops accepting connections, finishes in-flight requests, and closes the database cleanly.
    public func shutdown() async {
        purge.cancel()
        await server.shutdown()
        await sqlite?.close()
        logger.info("coffer stopped")
    }
}

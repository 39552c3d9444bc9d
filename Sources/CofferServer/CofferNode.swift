import CofferCore
import CofferClient
public import CofferRotators
import CofferServices
import CofferStorage
import CofferStoragePostgres
import CofferStorageSQLite
import Foundation
import Synchronization
public import Logging

/// One running Coffer: storage, keys, credentials, services and the HTTP listener.
public final class CofferNode: Sendable {
    public static let version = "0.1.0"

    private let server: HTTPServer
    private let tls: TLSContextSource?
    private let sqlite: SQLiteStore?
    private let postgres: PostgresStore?
    /// Background work runs on one node at a time among those sharing a database.
    private let work: any ExclusiveWork
    private let purge: Task<Void, Never>
    private let auditUpkeep: Task<Void, Never>
    private let trail: AuditTrail
    private let alerts: AlertMonitor?
    private let rotationScheduler: RotationScheduler
    /// The registered rotation functions; ``reloadRotationFunctions(_:)`` replaces them.
    public let rotationFunctions: RotationFunctionRegistry
    private let clock: any WallClock
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
            store = MemoryStore(chainKey: AuditTrail.chainKey(root))
            sqlite = nil
            postgres = nil
            work = LocalWork()
            accountID = configuration.accountID ?? "000000000000"
        } else {
            let files = DataDirectory(path: configuration.dataDirectory)
            try files.create()
            root = try files.rootKey(environment: environment, random: random)
            let base: any CofferStore
            if let url = configuration.database {
                let shared = try await SharedDatabase.open(url, chainKey: AuditTrail.chainKey(root), logger: logger)
                logger.info("using the shared database \(shared.location) as node \(shared.nodeID)")
                (base, sqlite, postgres, work) = (shared, nil, shared, shared)
            } else {
                let sqliteStore = try SQLiteStore(path: files.databasePath, chainKey: AuditTrail.chainKey(root))
                (base, sqlite, postgres, work) = (sqliteStore, sqliteStore, nil, LocalWork())
            }
            // Every write of this node passes through the cache; other nodes' changes reach it
            // through the shared store's feed (see CachingStore).
            store = CachingStore(base: base)
            let start = { @Sendable in
                try await RootKeyCheck.verify(store: base, root: root)
                let account = try await Self.accountID(configured: configuration.accountID, store: base, random: random)
                let path = try await RootCredentials.ensure(
                    store: base, root: root, account: account, environment: environment, files: files, random: random, clock: clock)
                return (account, path)
            }
            let (account, path) = if let postgres { try await postgres.serially("bootstrap", start) } else { try await start() }
            accountID = account
            logger.info("root credentials are in \(path)")
        }
        self.clock = clock
        let metrics = CofferMetrics(version: Self.version)
        let alerts = configuration.alerts.webhooks.isEmpty ? nil : AlertMonitor(settings: configuration.alerts, logger: logger)
        self.alerts = alerts
        let trail = AuditTrail(store: store, root: root)
        self.trail = trail
        let recorder = AuditRecorder(redaction: AuditTrail.redaction(root), store: store, random: random, alerts: alerts)
        let credentials = CredentialDirectory(store: store, root: root)
        let kms = KMSService(store: store, root: root, clock: clock, random: random)
        let iam = IAMService(store: store, root: root, clock: clock, random: random) { [credentials] keyID in credentials.forget(keyID) }
        let access = AccessControl(iam: iam)
        let sts = STSService(iam: iam, access: access, store: store, root: root, clock: clock, random: random,
                              devAccount: configuration.dev ? accountID : nil)
        let keyring = KMSKeyring(kms: kms, root: root)
        let service = SecretsManagerService(store: store, keyring: keyring, clock: clock, random: random)
        let boundPort = Mutex<Int?>(nil)
        let host = configuration.host == "0.0.0.0" || configuration.host == "::" ? "127.0.0.1" : configuration.host
        let registry = RotationFunctionRegistry(specs: configuration.rotationFunctions, environment: .init(
            secrets: service, iam: iam,
            credentials: { role, session, seconds in
                let issued = try await sts.serviceSession(roleARN: role, sessionName: session, durationSeconds: seconds)
                return AWSCredentials(accessKeyID: issued.accessKeyID, secretAccessKey: issued.secret, sessionToken: issued.token)
            },
            endpoint: { "http://\(host.contains(":") ? "[\(host)]" : host):\(boundPort.withLock { $0 } ?? configuration.port)" },
            logDirectory: configuration.dev ? nil : configuration.dataDirectory + "/rotation-logs",
            environment: environment, random: random))
        rotationFunctions = registry
        let rotation = RotationService(secrets: service, store: store, functions: registry, clock: clock, random: random,
                                       leaseSeconds: configuration.rotationLeaseSeconds, onSuccess: { _ in
            metrics.counter("coffer_rotations_total", help: "Rotations finished, by outcome", labels: [("outcome", "succeeded")]).increment()
        }, onFailure: { arn, step, message in
            logger.warning("rotation failed", metadata: ["secret": "\(arn)", "step": "\(step.rawValue)"])
            alerts?.rotationFailed(secretARN: arn, step: step.rawValue, message: message)
            metrics.counter("coffer_rotations_total", help: "Rotations finished, by outcome", labels: [("outcome", "failed")]).increment()
            metrics.counter("coffer_rotation_failures_total", help: "Failed rotations, by the step that failed",
                            labels: [("step", step.rawValue)]).increment()
        })
        let scheduler = RotationScheduler(service: rotation, interval: configuration.rotationIntervalSeconds, logger: logger)
        rotationScheduler = scheduler
        let parameters = ParameterStoreService(store: store, keyring: keyring, root: root, secrets: service, clock: clock, random: random)
        let processor = RequestProcessor(
            verifier: SigV4Verifier(clock: clock, unsafeAcceptAnySecret: configuration.dev), clock: clock, credentials: credentials,
            devAccount: configuration.dev ? accountID : nil,
            jsonServices: [
                "secretsmanager": JSONService(signingName: "secretsmanager", handler: SecretsManagerHandler(
                    service: service, rotation: rotation, access: access, kms: kms, rotationAccepted: { scheduler.run($0) })),
                "TrentService": JSONService(signingName: "kms", handler: KMSHandler(service: kms, access: access)),
                "AmazonSSM": JSONService(signingName: "ssm", handler: ParameterStoreHandler(service: parameters, access: access, kms: kms)),
                "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": JSONService(
                    signingName: "cloudtrail",
                    handler: CloudTrailHandler(service: CloudTrailService(store: store, clock: clock), access: access, trail: store,
                                                      digests: trail)),
                "AccessAnalyzer": JSONService(signingName: "access-analyzer", handler: AccessAnalyzerHandler(access: access)),
            ],
            queryServices: ["sts": STSHandler(credentials: credentials, access: access, service: sts,
                                              webIdentityKeys: WebIdentityKeys(configured: configuration.webIdentityKeys)), "iam": IAMHandler(service: iam, access: access)],
            random: random, logger: logger, version: Self.version, recorder: recorder, metrics: metrics,
            limits: { let limits = RateLimits(settings: configuration.rateLimits); return limits.isEmpty ? nil : limits }())
        let tls = try configuration.tlsCertificate.map { try TLSContextSource(certificatePath: $0, keyPath: configuration.tlsKey ?? "") }
        self.tls = tls
        let console = ConsoleRouter(api: processor, sessions: ConsoleSessions(), clock: clock, secureCookies: tls != nil, defaultRegion: "us-east-1",
                                    verifyTrail: { [trail] in try await trail.verify() })
        let server = try await HTTPServer(host: configuration.host, port: configuration.port, processor: console, logger: logger, tls: tls)
        self.server = server
        let listening = server.localPort
        metrics.addSource {
            [.gauge("coffer_http_connection_workers", help: "Connections with a task of their own answering their reads (at most \(LoopWorkers.limit) an event loop)",
                    labels: [], Double(server.connectionWorkers))]
        }
        boundPort.withLock { $0 = listening }
        let interval = configuration.purgeIntervalSeconds
        let work = work
        purge = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                if Task.isCancelled { break }
                do {
                    // On a shared database one node at a time sweeps; the others skip this round.
                    try await work.exclusively("maintenance") {
                        // Background changes are recorded as AWS service events, committed with the change.
                        let secretEvents = ServiceEvents.scope(source: "secretsmanager.amazonaws.com", random: random, time: clock.now) {
                            $0.removal && $0.arn.contains(":secret:") ? "EndSecretDeletion" : nil
                        }
                        let removed = try await AuditScope.$current.withValue(secretEvents) { try await service.purgeExpired() }
                        if removed > 0 { logger.info("removed secrets whose recovery window ended", metadata: ["count": "\(removed)"]) }
                        _ = try await sts.purgeExpired()
                        let parameterEvents = ServiceEvents.scope(source: "ssm.amazonaws.com", random: random, time: clock.now) {
                            $0.removal && $0.arn.contains(":parameter/") ? "DeleteParameter" : nil
                        }
                        let expired = try await AuditScope.$current.withValue(parameterEvents) { try await parameters.purgeExpired() }
                        if expired > 0 { logger.info("removed parameters whose Expiration policy came", metadata: ["count": "\(expired)"]) }
                        _ = try await parameters.sendDueNotifications()
                        let keyEvents = ServiceEvents.scope(source: "kms.amazonaws.com", random: random, time: clock.now) { change in
                            guard change.kind == KMSKey.kind || (change.removal && change.arn.contains(":key/")) else { return nil }
                            return change.removal ? "DeleteKey" : "RotateKey"
                        }
                        let keys = try await AuditScope.$current.withValue(keyEvents) { try await kms.runMaintenance() }
                        if keys.deleted + keys.rotated > 0 {
                            logger.info("KMS maintenance", metadata: ["deleted": "\(keys.deleted)", "rotated": "\(keys.rotated)"])
                        }
                    }
                } catch {
                    logger.error("background maintenance failed")
                }
            }
        }
        let digestInterval = configuration.auditDigestIntervalSeconds
        let retention = configuration.auditRetentionDays
        auditUpkeep = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(digestInterval))
                if Task.isCancelled { break }
                _ = try? await work.exclusively("audit-upkeep") {
                    await Self.auditUpkeep(trail: trail, retentionDays: retention, clock: clock, alerts: alerts, logger: logger)
                }
            }
        }
        Self.observe(metrics, store: store, sqlite: sqlite, postgres: postgres, clock: clock)
        logger.info("coffer \(Self.version) listening on \(tls == nil ? "http" : "https")://\(configuration.host):\(server.localPort ?? configuration.port) (account \(accountID)\(configuration.dev ? ", dev mode: in memory, any access key" : ""))")
    }

    /// What a scrape reads from the stores: the audit chain's backlog and lag, the cache's hit
    /// counts, and on a shared database whether this node hears the others' changes.
    private static func observe(_ metrics: CofferMetrics, store: any CofferStore, sqlite: SQLiteStore?, postgres: PostgresStore?,
                                clock: any WallClock) {
        metrics.addSource {
            var samples: [CofferMetrics.Sample] = []
            let backlog: (count: Int, oldest: Date?)?
            if let sqlite { backlog = try? await sqlite.auditBacklog() } else if let postgres { backlog = try? await postgres.auditBacklog() } else { backlog = nil }
            if let backlog {
                samples.append(.gauge("coffer_audit_unchained_records", help: "Audit records made durable and not yet chained", labels: [],
                                      Double(backlog.count)))
                samples.append(.gauge("coffer_audit_chain_lag_seconds", help: "Age of the oldest audit record waiting to be chained", labels: [],
                                      backlog.oldest.map { max(0, clock.now().timeIntervalSince($0)) } ?? 0))
            }
            if let cache = store as? CachingStore {
                let lookups = cache.lookups
                samples.append(.total("coffer_cache_lookups_total", help: "Record and value lookups, answered from memory (hit) or the database (miss)",
                                      labels: [("result", "hit")], lookups.hits))
                samples.append(.total("coffer_cache_lookups_total", help: "Record and value lookups, answered from memory (hit) or the database (miss)",
                                      labels: [("result", "miss")], lookups.misses))
            }
            if let postgres {
                samples.append(.gauge("coffer_change_listener_up", help: "1 while this node hears other nodes' changes (its caches answer only then)",
                                      labels: [], postgres.remoteChanges?.isLive == true ? 1 : 0))
            }
            return samples
        }
    }

    private static func accountID(configured: String?, store: any CofferStore, random: any RandomSource) async throws -> String {
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

    /// Retention, then a signed digest over what is left, then (when alerts are on) a check of the
    /// whole chain, so a break is reported while someone can still act on it.
    private static func auditUpkeep(trail: AuditTrail, retentionDays: Double, clock: any WallClock, alerts: AlertMonitor?,
                                    logger: Logger) async {
        do {
            let pruned = try await trail.prune(retentionDays: retentionDays, now: clock.now())
            if pruned > 0 { logger.info("audit records past retention removed", metadata: ["count": "\(pruned)"]) }
            try await trail.writeDigest(at: clock.now())
            if let alerts {
                let verification = try await trail.verify()
                if let problem = verification.report.problem {
                    logger.error("audit trail failed verification", metadata: ["problem": "\(problem.rawValue)",
                                                                               "position": "\(verification.report.position ?? 0)"])
                    alerts.verificationBroke(problem: problem.rawValue, position: verification.report.position)
                }
            }
        } catch {
            logger.error("audit upkeep failed")
        }
    }

    /// Reads the TLS certificate and key again (SIGHUP); new connections get the new pair.
    public func reloadTLS() throws {
        try tls?.reload()
    }

    /// Stops accepting connections, finishes in-flight requests, signs a last digest, and closes
    /// the database cleanly.
    public func shutdown() async {
        rotationScheduler.stop()
        purge.cancel()
        auditUpkeep.cancel()
        await server.shutdown()
        do {
            let clock = clock
            try await work.exclusively("audit-upkeep") { [trail] in try await trail.writeDigest(at: clock.now()) }
        } catch {
            logger.error("writing the final audit digest failed")
        }
        alerts?.stop()
        await sqlite?.close()
        await postgres?.close()
        logger.info("coffer stopped")
    }
}

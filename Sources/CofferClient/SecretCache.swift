public import Foundation

/// Secrets kept in memory for a TTL, as the AWS caching clients and the Secrets Manager Agent keep
/// them, with one thing they lack: a cached AWSCURRENT is checked against the secret's version
/// stages (DescribeSecret, which reads no value) every `versionCheckSeconds`, so a rotation
/// reaches the application within that bound instead of at the TTL's end.
public actor SecretCache {
    public struct Settings: Sendable {
        /// How long a value is served without asking again (the agent's `ttl_seconds`; 0 caches nothing).
        public var ttlSeconds: Double = 300
        /// How often a cached AWSCURRENT is checked for a newer version (0: never, as AWS's agent).
        public var versionCheckSeconds: Double = 30
        /// At most this many secrets are kept; the least recently used goes first.
        public var maximumEntries = 1000

        public init(ttlSeconds: Double = 300, versionCheckSeconds: Double = 30, maximumEntries: Int = 1000) {
            self.ttlSeconds = ttlSeconds
            self.versionCheckSeconds = versionCheckSeconds
            self.maximumEntries = maximumEntries
        }
    }

    /// Reads, and the calls they did not need.
    public struct Statistics: Sendable, Equatable {
        public var hits = 0
        public var misses = 0
        public var versionChecks = 0
        /// Refetches because the cached version stopped being AWSCURRENT.
        public var rotationsSeen = 0
        /// Background refetches started in the last tenth of a value's TTL, so that readers never wait for one.
        public var refreshesAhead = 0
    }

    struct Key: Hashable { let id: String; let stage: String?; let version: String? }
    struct Entry {
        var secret: FetchedSecret
        var fetched: Date
        var checked: Date
        var used: Date
    }

    let client: SecretsManagerClient
    let settings: Settings
    let now: @Sendable () -> Date
    var entries: [Key: Entry] = [:]
    var refreshing: Set<Key> = []
    public private(set) var statistics = Statistics()

    public init(client: SecretsManagerClient, settings: Settings = Settings(), now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.settings = settings
        self.now = now
    }

    /// The secret's value, from the cache when it is fresh; `refreshNow` skips the cache and renews it.
    public func secret(_ id: String, versionStage: String? = nil, versionID: String? = nil, refreshNow: Bool = false) async throws(AWSClientError) -> FetchedSecret {
        let key = Key(id: id, stage: versionID == nil ? (versionStage ?? "AWSCURRENT") : nil, version: versionID)
        let time = now()
        if !refreshNow, settings.ttlSeconds > 0, var entry = entries[key], time.timeIntervalSince(entry.fetched) < settings.ttlSeconds {
            if key.stage == "AWSCURRENT", settings.versionCheckSeconds > 0, time.timeIntervalSince(entry.checked) >= settings.versionCheckSeconds {
                statistics.versionChecks += 1
                let stages = try await client.versionStages(id)
                if !(stages[entry.secret.versionID] ?? []).contains("AWSCURRENT") {
                    statistics.rotationsSeen += 1
                    return try await fetch(key)
                }
                entry.checked = time
            }
            entry.used = time
            entries[key] = entry
            statistics.hits += 1
            if time.timeIntervalSince(entry.fetched) >= settings.ttlSeconds * 0.9, refreshing.insert(key).inserted {
                statistics.refreshesAhead += 1
                Task { await self.refreshAhead(key) }
            }
            return entry.secret
        }
        return try await fetch(key)
    }

    func refreshAhead(_ key: Key) async {
        defer { refreshing.remove(key) }
        _ = try? await fetch(key, counted: false)
    }

    func fetch(_ key: Key, counted: Bool = true) async throws(AWSClientError) -> FetchedSecret {
        if counted { statistics.misses += 1 }
        let secret = try await client.getSecretValue(key.id, versionStage: key.version == nil ? key.stage : nil, versionID: key.version)
        guard settings.ttlSeconds > 0 else { return secret }
        let time = now()
        entries[key] = Entry(secret: secret, fetched: time, checked: time, used: time)
        if entries.count > settings.maximumEntries, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
            entries[oldest] = nil
        }
        return secret
    }
}

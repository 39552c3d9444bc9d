import CofferStorage
import Logging
import PostgresNIO

/// What several nodes on one database coordinate: cache invalidation and background work.
extension PostgresStore {
    /// How often the listener checks that its connection still answers; a connection that stops
    /// answering (half-open) is dropped and the caches stop answering until it is back.
    static let listenerCheck: Duration = .seconds(2)

    /// Listens for other nodes' changes on a connection of its own (never one of the pool's, which
    /// it would hold forever). Until it listens, and whenever it loses its connection, the feed is
    /// suspended: caches pass every read to the database. On listening again it resets them first.
    func startListening() {
        let configuration: PostgresConnection.Configuration
        do { configuration = try location.connectionConfiguration(name: "coffer-\(nodeID)-listen") } catch { return }
        let node = nodeID
        let feed = feed
        let logger = logger
        background(Task {
            var backoff: Duration = .milliseconds(100)
            var id = 1
            while !Task.isCancelled {
                do {
                    id += 1
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
                    // Closed on every way out: a connection must be closed before it is released.
                    try await Self.closing(connection) {
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: Self.channel) { notifications in
                            // Queries on one connection run in order: once this answers, LISTEN is in place.
                            try await connection.run("SELECT 1", logger: logger)
                            feed.resume()
                            backoff = .milliseconds(100)
                            try await withThrowingTaskGroup(of: Void.self) { group in
                                group.addTask {
                                    while true {
                                        try await Task.sleep(for: Self.listenerCheck)
                                        try await Self.answers(connection, within: Self.listenerCheck, logger: logger)
                                    }
                                }
                                group.addTask {
                                    for try await notification in notifications {
                                        guard let (sender, change) = Self.parse(payload: notification.payload), sender != node else { continue }
                                        feed.publish(change)
                                    }
                                    throw PostgresStoreError("the change listener's connection closed")
                                }
                                defer { group.cancelAll() }
                                try await group.next()
                            }
                        }
                    } onCancel: {
                        connection.close().whenComplete { _ in }
                    }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("the change listener lost the database; caches are off until it is back",
                                   metadata: ["reason": "\(PostgresStoreError.describe(error))"])
                }
                feed.suspend()
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        })
    }

    static func closing<T>(_ connection: PostgresConnection, _ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private static func answers(_ connection: PostgresConnection, within limit: Duration, logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await connection.run("SELECT 1", logger: logger) }
            group.addTask {
                try await Task.sleep(for: limit)
                connection.close().whenComplete { _ in }
                throw PostgresStoreError("the change listener's connection stopped answering")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// A session advisory lock named after the work, held on one pooled connection while the work
    /// runs: if this node dies, its session ends and the lock with it, so there is no leader to fail
    /// over. The work itself must be safe to repeat (every change it makes is revision-guarded).
    @discardableResult
    public func exclusively(_ name: String, _ body: @Sendable () async throws -> Void) async throws -> Bool {
        let logger = logger
        let lock = "coffer.work." + name
        return try await client.withConnection { connection in
            let held = try await Self.rows(connection.query("SELECT pg_try_advisory_lock(hashtext(\(lock)))", logger: logger), as: Bool.self).first ?? false
            guard held else { return false }
            do {
                try await body()
            } catch {
                try? await connection.run("SELECT pg_advisory_unlock(hashtext(\(lock)))", logger: logger)
                throw error
            }
            try await connection.run("SELECT pg_advisory_unlock(hashtext(\(lock)))", logger: logger)
            return true
        }
    }
}

extension PostgresStore {
    /// Runs `body` while holding the named lock, waiting for another node that holds it: for work
    /// every node does once at start (the account's settings, its root credentials) that two nodes
    /// starting together must not both do.
    public func serially<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T {
        let logger = logger
        let lock = "coffer.start." + name
        return try await client.withConnection { connection in
            try await connection.run("SELECT pg_advisory_lock(hashtext(\(lock)))", logger: logger)
            let result: T
            do {
                result = try await body()
            } catch {
                try? await connection.run("SELECT pg_advisory_unlock(hashtext(\(lock)))", logger: logger)
                throw error
            }
            try await connection.run("SELECT pg_advisory_unlock(hashtext(\(lock)))", logger: logger)
            return result
        }
    }
}

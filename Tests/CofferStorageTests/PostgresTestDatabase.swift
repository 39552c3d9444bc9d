import CofferCore
import CofferStoragePostgres
import Foundation
import Logging
import PostgresNIO

/// A fresh database per test on the server `COFFER_TEST_POSTGRES_URL` names (a superuser's URL,
/// as `scripts/with-postgres.sh` exports it).
enum PostgresTestDatabase {
    static var serverURL: String? { ProcessInfo.processInfo.environment["COFFER_TEST_POSTGRES_URL"] }

    static let logger: Logger = {
        var logger = Logger(label: "coffer.test.postgres")
        logger.logLevel = .error
        return logger
    }()

    /// Creates an empty database and returns its URL.
    static func create() async throws -> String {
        guard let serverURL, var components = URLComponents(string: serverURL) else { throw CancellationError() }
        let location = try PostgresLocation(url: serverURL)
        let name = "coffer_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: location.host, port: location.port, username: location.username, password: components.password,
                                 database: location.database, tls: .disable),
            id: 1, logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        try await connection.close()
        components.path = "/" + name
        return components.string!
    }

    static func store(chainKey: AuditChain.Key, url: String? = nil) async throws -> PostgresStore {
        let url = if let url { url } else { try await create() }
        return try await PostgresStore.open(try PostgresLocation(url: url), chainKey: chainKey, logger: logger, maximumConnections: 8)
    }
}

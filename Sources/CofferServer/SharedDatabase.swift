import CofferCore
import CofferStorage
public import CofferStoragePostgres
import Foundation
import Logging

/// Opening the PostgreSQL database several nodes share, and what every node must agree on there.
enum SharedDatabase {
    static let quiet: Logger = {
        var logger = Logger(label: "coffer.postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// Connects and migrates; a bad URL, an unreachable server, a wrong password or a newer schema
    /// is a ``ConfigurationError`` naming the database without its password.
    static func open(_ url: String, chainKey: AuditChain.Key, listens: Bool = true, logger: Logger = quiet) async throws -> PostgresStore {
        do {
            return try await PostgresStore.open(try PostgresLocation(url: url), chainKey: chainKey, logger: logger, listens: listens)
        } catch let error as PostgresStoreError {
            throw ConfigurationError(error.description)
        }
    }
}

/// A sealed marker in the database that only the root key it was made with opens: a node given
/// another root key (each node of a shared database needs the same one) stops at start instead of
/// failing on every sealed value.
enum RootKeyCheck {
    static let settingName = "root_key_check"

    static func verify(store: any CofferStore, root: RootKey) async throws {
        if let kept = try await store.setting(settingName) {
            guard let sealed = Data(base64Encoded: kept), (try? root.open(Array(sealed), purpose: settingName, context: "")) != nil else {
                throw ConfigurationError("the root key does not open this database's data: every node needs the root key the database was made with (COFFER_ROOT_KEY_FILE or COFFER_ROOT_KEY)")
            }
            return
        }
        let sealed = try root.seal(Array("coffer".utf8), purpose: settingName, context: "")
        try await store.setSetting(settingName, Data(sealed).base64EncodedString())
    }
}

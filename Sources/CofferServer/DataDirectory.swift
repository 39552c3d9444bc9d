import CofferCore
public import CofferServices
import CofferStorageSQLite
import Foundation

/// The files in `--data-dir`: the database, the root key, the root credentials.
struct DataDirectory {
    let path: String

    var databasePath: String { path + "/coffer.db" }
    var rootKeyPath: String { path + "/root.key" }
    var credentialsPath: String { path + "/root-credentials" }

    func create() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// The root key from `COFFER_ROOT_KEY` (base64), `COFFER_ROOT_KEY_FILE`, or `root.key`, created
    /// with mode 0600 on first start.
    func rootKey(environment: [String: String], random: any RandomSource) throws -> RootKey {
        if let encoded = environment["COFFER_ROOT_KEY"] {
            guard let data = Data(base64Encoded: encoded) else { throw ConfigurationError("COFFER_ROOT_KEY must be base64") }
            return try RootKey(bytes: Array(data))
        }
        let keyPath = environment["COFFER_ROOT_KEY_FILE"] ?? rootKeyPath
        if FileManager.default.fileExists(atPath: keyPath) {
            let data = try Data(contentsOf: URL(fileURLWithPath: keyPath))
            return try RootKey(bytes: Array(data))
        }
        let key = RootKey.generate(random: random)
        try writePrivate(Data(key.unsafeRawBytes), to: keyPath)
        return key
    }

    /// The root key of data that already exists: never creates one (a new key would open nothing).
    func existingRootKey(environment: [String: String]) throws -> RootKey {
        if environment["COFFER_ROOT_KEY"] == nil, !FileManager.default.fileExists(atPath: environment["COFFER_ROOT_KEY_FILE"] ?? rootKeyPath) {
            throw ConfigurationError("no root key at \(rootKeyPath) (or COFFER_ROOT_KEY / COFFER_ROOT_KEY_FILE)")
        }
        return try rootKey(environment: environment, random: SystemRandomSource())
    }

    /// Writes a file that only the owner may read, creating it with that mode so that it is never
    /// readable by others, not even for a moment.
    func writePrivate(_ data: Data, to file: String) throws {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ConfigurationError("cannot write \(file)") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(fd) == 0 else { throw ConfigurationError("cannot write \(file)") }
    }
}

/// The audit trail of a data directory or a PostgreSQL database, opened for `coffer audit` beside
/// (or without) running servers.
public struct AuditFiles: Sendable {
    public let trail: AuditTrail
    private let closing: @Sendable () async -> Void

    /// Opens an existing database (the data directory's SQLite file, or `database`'s PostgreSQL)
    /// with the root key; refuses to create either.
    public static func open(dataDirectory: String, database: String?, environment: [String: String]) async throws -> AuditFiles {
        let files = DataDirectory(path: dataDirectory)
        if database == nil, !FileManager.default.fileExists(atPath: files.databasePath) {
            throw ConfigurationError("no Coffer database at \(files.databasePath)")
        }
        let root = try files.existingRootKey(environment: environment)
        if let database {
            let store = try await SharedDatabase.open(database, chainKey: AuditTrail.chainKey(root), listens: false)
            return AuditFiles(trail: AuditTrail(store: store, root: root)) { await store.close() }
        }
        let store = try SQLiteStore(path: files.databasePath, chainKey: AuditTrail.chainKey(root), stagesAudit: false)
        return AuditFiles(trail: AuditTrail(store: store, root: root)) { await store.close() }
    }

    public func close() async { await closing() }
}

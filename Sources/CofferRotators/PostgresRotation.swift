import CofferCore
import CofferServices
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The connection details in a PostgreSQL secret, as AWS's templates read them (`host`,
/// `username`, `password`; `dbname` or `database`, default `postgres`; `port`, default 5432;
/// `ssl_mode` as libpq names it; `engine` when present must be PostgreSQL's).
struct PostgresCredentials: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: Redacted<String>
    var database: String
    var sslMode: String

    init(_ value: SecretValue, requireEngine: Bool = false) throws {
        guard let object = SecretJSON.object(value) else { throw RotationFailure("the secret is not a JSON object") }
        for key in ["host", "username", "password"] where SecretJSON.string(object, key) == nil {
            throw RotationFailure("\(key) key is missing from secret JSON")
        }
        if let engine = SecretJSON.string(object, "engine") {
            guard ["postgres", "aurora-postgresql"].contains(engine) else {
                throw RotationFailure("Database engine must be set to 'postgres' in order to use this rotation lambda")
            }
        } else if requireEngine {
            throw RotationFailure("engine key is missing from secret JSON")
        }
        host = SecretJSON.string(object, "host")!
        username = SecretJSON.string(object, "username")!
        password = Redacted(SecretJSON.string(object, "password")!)
        database = SecretJSON.string(object, "dbname") ?? SecretJSON.string(object, "database") ?? "postgres"
        guard let port = Int(SecretJSON.string(object, "port") ?? "5432"), (1...65_535).contains(port) else {
            throw RotationFailure("port in the secret JSON is not a port number")
        }
        self.port = port
        sslMode = SecretJSON.string(object, "ssl_mode") ?? SecretJSON.string(object, "sslmode") ?? "prefer"
    }

    func sameServer(as other: PostgresCredentials) -> Bool { host == other.host && port == other.port }
}

/// Logs in, runs statements, logs out. Errors never carry a password: PostgreSQL's own error
/// text is reduced to its SQLSTATE.
enum PostgresSession {
    static let logger: Logger = {
        var logger = Logger(label: "coffer.rotation.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }()

    static func tls(_ mode: String) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case "disable", "allow": return .disable
        case "prefer", "require":
            var configuration = TLSConfiguration.makeClientConfiguration()
            // libpq's prefer and require encrypt without checking the certificate.
            configuration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: configuration)
            return mode == "prefer" ? .prefer(context) : .require(context)
        case "verify-ca", "verify-full":
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = mode == "verify-ca" ? .noHostnameVerification : .fullVerification
            return .require(try NIOSSLContext(configuration: configuration))
        default:
            throw RotationFailure("ssl_mode \(mode) is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
    }

    static func connect(_ credentials: PostgresCredentials) async throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: credentials.host, port: credentials.port, username: credentials.username, password: credentials.password.value,
            database: credentials.database, tls: try tls(credentials.sslMode))
        configuration.options.connectTimeout = .seconds(5)
        return try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1,
                                                    logger: logger)
    }

    /// Runs `body` logged in as `credentials`, or nil when the login fails.
    static func withLogin<T: Sendable>(_ credentials: PostgresCredentials, _ body: (PostgresConnection) async throws -> T) async throws -> T? {
        let connection: PostgresConnection
        do {
            connection = try await connect(credentials)
        } catch {
            return nil
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch let error as PSQLError {
            try? await connection.close()
            throw RotationFailure("PostgreSQL refused a statement (SQLSTATE \(error.serverInfo?[.sqlState] ?? "unknown"))")
        } catch {
            try? await connection.close()
            throw error
        }
    }

    static func canLogIn(_ credentials: PostgresCredentials) async -> Bool {
        (try? await withLogin(credentials) { connection in
            _ = try await connection.query("SELECT NOW()", logger: logger).collect()
            return true
        }) == true
    }

    /// The server quotes names and the password itself (`quote_ident`, `quote_literal`), so the
    /// statements that cannot take bound parameters (ALTER USER, CREATE ROLE) are built safely.
    static func quoted(_ connection: PostgresConnection, identifiers: [String], literal: String) async throws -> (names: [String], literal: String) {
        var names: [String] = []
        for identifier in identifiers {
            let rows = try await connection.query("SELECT quote_ident(\(identifier))", logger: logger).collect()
            guard let name = try rows.first?.decode(String.self) else { throw RotationFailure("quote_ident returned nothing") }
            names.append(name)
        }
        let rows = try await connection.query("SELECT quote_literal(\(literal))", logger: logger).collect()
        guard let quoted = try rows.first?.decode(String.self) else { throw RotationFailure("quote_literal returned nothing") }
        return (names, quoted)
    }

    static func execute(_ connection: PostgresConnection, unsafeSQL sql: String) async throws {
        _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
    }
}

/// AWS's single-user strategy: the user changes its own password. Open connections survive; there
/// is a moment when the database has the new password and AWSCURRENT still the old one.
struct PostgresSingleUserTarget: RotationTarget {
    var hasTarget: Bool { true }
    func newValue(from current: SecretValue, password: String, secretARN: String) async throws -> SecretValue {
        _ = try PostgresCredentials(current)
        return try SecretJSON.replacingPassword(in: current, with: password)
    }

    func apply(pending: SecretValue, current: SecretValue, previous: SecretValue?) async throws {
        let pendingLogin = try PostgresCredentials(pending)
        if await PostgresSession.canLogIn(pendingLogin) { return }
        let currentLogin = try PostgresCredentials(current)
        guard pendingLogin.username == currentLogin.username else {
            throw RotationFailure("Attempting to modify user \(pendingLogin.username) other than current user \(currentLogin.username)")
        }
        guard pendingLogin.sameServer(as: currentLogin) else {
            throw RotationFailure("Attempting to modify user for host \(pendingLogin.host) other than current host \(currentLogin.host)")
        }
        var candidates = [currentLogin]
        if let previous, let previousLogin = try? PostgresCredentials(previous), previousLogin.username == currentLogin.username,
            previousLogin.sameServer(as: currentLogin)
        {
            candidates.append(previousLogin)
        }
        for login in candidates {
            let changed = try await PostgresSession.withLogin(login) { connection in
                let quoted = try await PostgresSession.quoted(connection, identifiers: [pendingLogin.username], literal: pendingLogin.password.value)
                try await PostgresSession.execute(connection, unsafeSQL: "ALTER USER \(quoted.names[0]) WITH PASSWORD \(quoted.literal)")
                return true
            }
            if changed == true { return }
        }
        throw RotationFailure("Unable to log into database with previous, current, or pending secret")
    }

    func test(pending: SecretValue) async throws {
        guard await PostgresSession.canLogIn(try PostgresCredentials(pending)) else {
            throw RotationFailure("Unable to log into database with pending secret")
        }
    }
}

/// AWS's alternating-users strategy: two users, `NAME` and `NAME_clone`; each rotation changes the
/// password of the one not in AWSCURRENT, logged in as the superuser that `masterarn` names, so
/// the previous credentials keep working until the rotation after.
struct PostgresAlternatingUsersTarget: RotationTarget {
    var hasTarget: Bool { true }
    let secrets: SecretsManagerService

    static func alternate(_ username: String) throws -> String {
        if username.hasSuffix("_clone") { return String(username.dropLast(6)) }
        guard username.utf8.count + 6 <= 63 else {
            throw RotationFailure("Unable to clone user, username length with _clone appended would exceed 63 characters")
        }
        return username + "_clone"
    }

    func newValue(from current: SecretValue, password: String, secretARN: String) async throws -> SecretValue {
        let login = try PostgresCredentials(current, requireEngine: true)
        guard var object = SecretJSON.object(current) else { throw RotationFailure("the secret is not a JSON object") }
        guard SecretJSON.string(object, "masterarn") != nil else { throw RotationFailure("masterarn key is missing from secret JSON") }
        object["username"] = .string(try Self.alternate(login.username))
        object["password"] = .string(password)
        return .string(String(decoding: JSONWriter.bytes(.object(object)), as: UTF8.self))
    }

    func apply(pending: SecretValue, current: SecretValue, previous: SecretValue?) async throws {
        let pendingLogin = try PostgresCredentials(pending, requireEngine: true)
        if await PostgresSession.canLogIn(pendingLogin) { return }
        let currentLogin = try PostgresCredentials(current, requireEngine: true)
        guard pendingLogin.username == (try Self.alternate(currentLogin.username)) else {
            throw RotationFailure("Attempting to modify user \(pendingLogin.username) other than the alternate of the current user \(currentLogin.username)")
        }
        guard pendingLogin.sameServer(as: currentLogin) else {
            throw RotationFailure("Attempting to modify user for host \(pendingLogin.host) other than current host \(currentLogin.host)")
        }
        // The confused-deputy guard of AWS's template: the current credentials must work first.
        guard await PostgresSession.canLogIn(currentLogin) else {
            throw RotationFailure("Unable to log into database using current credentials")
        }
        guard let object = SecretJSON.object(current), let masterARN = SecretJSON.string(object, "masterarn"),
            let scope = ARN(masterARN).map({ ResourceScope(account: $0.account, region: $0.region) })
        else { throw RotationFailure("masterarn key is missing from secret JSON") }
        let masterValue: SecretValue
        do {
            masterValue = try await secrets.getSecretValue(secretID: masterARN, versionID: nil, versionStage: StagingLabel.current, in: scope).value
        } catch {
            throw RotationFailure("the master secret \(masterARN) cannot be read")
        }
        var masterLogin = try PostgresCredentials(masterValue)
        masterLogin.database = currentLogin.database
        guard masterLogin.sameServer(as: currentLogin) else {
            throw RotationFailure("the master secret's host \(masterLogin.host) is not the current host \(currentLogin.host)")
        }
        let done = try await PostgresSession.withLogin(masterLogin) { connection in
            let quoted = try await PostgresSession.quoted(connection, identifiers: [pendingLogin.username, currentLogin.username],
                                                          literal: pendingLogin.password.value)
            let exists = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(pendingLogin.username)",
                                                    logger: PostgresSession.logger).collect()
            if exists.isEmpty {
                try await PostgresSession.execute(connection, unsafeSQL: "CREATE ROLE \(quoted.names[0]) WITH LOGIN PASSWORD \(quoted.literal)")
                try await PostgresSession.execute(connection, unsafeSQL: "GRANT \(quoted.names[1]) TO \(quoted.names[0])")
            } else {
                try await PostgresSession.execute(connection, unsafeSQL: "ALTER USER \(quoted.names[0]) WITH PASSWORD \(quoted.literal)")
            }
            return true
        }
        guard done == true else { throw RotationFailure("Unable to log into database as the master user") }
    }

    func test(pending: SecretValue) async throws {
        guard await PostgresSession.canLogIn(try PostgresCredentials(pending, requireEngine: true)) else {
            throw RotationFailure("Unable to log into database with pending secret")
        }
    }
}

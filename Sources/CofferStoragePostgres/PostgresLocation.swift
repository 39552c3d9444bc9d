import CofferCore
import Foundation
import NIOSSL
import PostgresNIO

/// Where the database is: a libpq-style URL, `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE`
/// (`postgresql://` too). The password never appears in ``description`` or in an error.
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let username: String
    let password: Redacted<String>?
    public let database: String
    /// libpq's modes: disable, allow, prefer (the default), require, verify-ca, verify-full.
    public let sslMode: String
    /// A PEM file of certificate authorities for verify-ca and verify-full (`sslrootcert`).
    public let rootCertificate: String?

    public init(url text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              ["postgres", "postgresql"].contains(scheme.lowercased())
        else { throw PostgresStoreError("the database URL must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE") }
        guard let host = components.host, !host.isEmpty else { throw PostgresStoreError("the database URL names no host") }
        self.host = host
        port = components.port ?? 5432
        guard let user = components.user, !user.isEmpty else { throw PostgresStoreError("the database URL names no user") }
        username = user.removingPercentEncoding ?? user
        password = components.password.map { Redacted($0.removingPercentEncoding ?? $0) }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? username : (path.removingPercentEncoding ?? path)
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        sslMode = query["sslmode"] ?? "prefer"
        guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(sslMode) else {
            throw PostgresStoreError("sslmode \(sslMode) is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
        rootCertificate = query["sslrootcert"]
        for name in query.keys where !["sslmode", "sslrootcert"].contains(name) {
            throw PostgresStoreError("the database URL's parameter \(name) is not known (sslmode, sslrootcert)")
        }
    }

    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    private func tlsConfiguration() throws -> TLSConfiguration? {
        switch sslMode {
        case "disable", "allow": return nil
        default:
            var configuration = TLSConfiguration.makeClientConfiguration()
            switch sslMode {
            case "verify-ca": configuration.certificateVerification = .noHostnameVerification
            case "verify-full": configuration.certificateVerification = .fullVerification
            // libpq's prefer and require encrypt without checking the certificate.
            default: configuration.certificateVerification = .none
            }
            if let rootCertificate { configuration.trustRoots = .file(rootCertificate) }
            return configuration
        }
    }

    /// Startup parameters every Coffer connection sets: a name operators can find in
    /// pg_stat_activity, and limits so that a stuck statement or transaction cannot hold a lock forever.
    static func startupParameters(name: String) -> [(String, String)] {
        [("application_name", name), ("statement_timeout", "15000"), ("lock_timeout", "10000"),
         ("idle_in_transaction_session_timeout", "30000")]
    }

    func clientConfiguration(name: String, maximumConnections: Int) throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = try tlsConfiguration().map { sslMode == "prefer" ? .prefer($0) : .require($0) } ?? .disable
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password?.value,
                                                         database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.additionalStartupParameters = Self.startupParameters(name: name)
        return configuration
    }

    func connectionConfiguration(name: String) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = try tlsConfiguration().map { configuration in
            let context = try NIOSSLContext(configuration: configuration)
            return sslMode == "prefer" ? .prefer(context) : .require(context)
        } ?? .disable
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: username, password: password?.value,
                                                             database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = Self.startupParameters(name: name)
        return configuration
    }
}

/// A failure of the PostgreSQL store, worded for an operator; never carries a password.
public struct PostgresStoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }

    /// What went wrong talking to the server: the server's own message and SQLSTATE, or the
    /// connection's failure, without the query or its values.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresTransactionError {
            return describe(error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError ?? error)
        }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        if let error = error as? PostgresStoreError { return error.description }
        return "\(error)"
    }
}

import ArgumentParser
import CofferServer
import Dispatch
import Foundation
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Coffer server.")

    @Option(help: "Address to listen on (default 127.0.0.1; env COFFER_HOST).") var host: String?
    @Option(help: "Port to listen on (default 4566; env COFFER_PORT).") var port: Int?
    @Option(help: "Where data, the root key and root credentials live (default ./coffer-data; env COFFER_DATA_DIR).")
    var dataDir: String?
    @Option(help: "A PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=MODE) shared by several nodes instead of the data directory's SQLite file (env COFFER_DATABASE_URL). Every node needs the same root key.")
    var database: String?
    @Option(help: "The 12-digit account id (default: random at first start, then kept; env COFFER_ACCOUNT_ID).")
    var accountId: String?
    @Option(help: "A JSON config file (host, port, dataDir, accountId, dev, logLevel).") var config: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (env COFFER_LOG_LEVEL).") var logLevel: String?
    @Option(help: "A PEM certificate (chain) to serve HTTPS with (env COFFER_TLS_CERT); reread on SIGHUP.") var tlsCert: String?
    @Option(help: "The certificate's PEM private key (env COFFER_TLS_KEY).") var tlsKey: String?
    @Flag(help: "Keep everything in memory and accept any access key as the account's root.") var dev = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var given: [String: String] = [:]
        for (key, value) in [("host", host), ("port", port.map(String.init)), ("dataDir", dataDir), ("database", database),
                             ("accountId", accountId), ("logLevel", logLevel), ("dev", dev ? "true" : nil),
                             ("tls.certificate", tlsCert), ("tls.key", tlsKey)] {
            if let value { given[key] = value }
        }
        let settings = try CofferConfiguration.load(
            commandLine: given, flags: ["dataDir": "--data-dir", "accountId": "--account-id", "logLevel": "--log-level",
                                        "tls.certificate": "--tls-cert", "tls.key": "--tls-key"],
            environment: environment, configFile: config ?? environment["COFFER_CONFIG"])

        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "coffer")
        let node = try await CofferNode(configuration: settings, environment: environment, logger: logger)
        // Start-up is over: its pages of the executable go back to the kernel (see StartupPages).
        if environment["COFFER_KEEP_STARTUP_PAGES"] != "1" { StartupPages.release() }
        let configFile = settings.configFile
        let reload = Signals.onEach(SIGHUP) {
            // SIGHUP re-reads the TLS certificate and key and the config file's rotation functions; the rest needs a restart.
            do {
                try node.reloadTLS()
            } catch {
                logger.error("reloading the TLS certificate failed; the one in use stays", metadata: ["error": "\(error)"])
            }
            guard let path = configFile else { return }
            do {
                var fresh = CofferConfiguration()
                try fresh.apply(configFile: path)
                node.rotationFunctions.replace(fresh.rotationFunctions)
                logger.info("rotation functions reloaded", metadata: ["functions": "\(node.rotationFunctions.names.joined(separator: ","))"])
            } catch {
                logger.error("reloading the config file failed; the rotation functions are unchanged", metadata: ["error": "\(error)"])
            }
        }
        defer { reload.cancel() }
        await Signals.wait(for: [SIGINT, SIGTERM])
        logger.info("shutting down")
        await node.shutdown()
    }
}

/// Waits for the first of some signals, so shutdown runs as ordinary async code.
enum Signals {
    static func wait(for signals: [Int32]) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "coffer.signals")
            let once = Once(continuation)
            var sources: [any DispatchSourceSignal] = []
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { once.fire() }
                source.resume()
                sources.append(source)
            }
            once.keep(sources)
        }
    }

    /// Calls `handler` on every delivery of `number` until the source is cancelled.
    static func onEach(_ number: Int32, _ handler: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue(label: "coffer.signals.\(number)"))
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }

    private final class Once: @unchecked Sendable {
        // Safe: only touched on the signal queue after setup, which happens before any handler runs.
        private var continuation: CheckedContinuation<Void, Never>?
        private var sources: [any DispatchSourceSignal] = []
        init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }
        func keep(_ sources: [any DispatchSourceSignal]) { self.sources = sources }
        func fire() {
            continuation?.resume()
            continuation = nil
        }
    }
}

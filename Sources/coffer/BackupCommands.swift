import ArgumentParser
import CofferServer
import Foundation

/// `coffer backup`: a consistent copy of the SQLite store, taken beside a running server, sealed under the root key.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the data directory's database, as it is at one moment, into a file sealed under the root key.",
        discussion: """
            Runs beside a running server. Restore with `coffer restore` on any machine given the same root key. \
            For a PostgreSQL database, back up with pg_dump instead (see docs/operations.md).
            """)

    @Option(help: "The data directory (default ./coffer-data; env COFFER_DATA_DIR).") var dataDir: String?
    @Option(name: .shortAndLong, help: "Where to write the backup.") var output: String

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let size = try Backup.create(dataDirectory: dataDir ?? environment["COFFER_DATA_DIR"] ?? "./coffer-data", archive: output,
                                     environment: environment)
        print("backup written to \(output) (\(size) bytes)")
    }
}

/// `coffer restore`: a backup into a data directory without a database.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a data directory that has no database yet (the root key must be the one it was sealed with).")

    @Option(help: "The data directory to restore into (default ./coffer-data; env COFFER_DATA_DIR).") var dataDir: String?
    @Option(name: .shortAndLong, help: "The backup file.") var input: String

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let directory = dataDir ?? environment["COFFER_DATA_DIR"] ?? "./coffer-data"
        try Backup.restore(archive: input, dataDirectory: directory, environment: environment)
        print("restored \(input) into \(directory)")
    }
}

import CofferCore
import CofferStorageSQLite
import Foundation

/// `coffer backup` and `coffer restore` for the SQLite store: a consistent snapshot of the running
/// database, sealed under the root key (``BackupArchive``), restorable on another machine that has
/// the root key.
public enum Backup {
    /// Writes the data directory's database, as it is at one moment, to `archive`; returns its size.
    @discardableResult
    public static func create(dataDirectory: String, archive: String, environment: [String: String]) throws -> Int {
        let files = DataDirectory(path: dataDirectory)
        guard FileManager.default.fileExists(atPath: files.databasePath) else { throw ConfigurationError("no Coffer database at \(files.databasePath)") }
        let root = try files.existingRootKey(environment: environment)
        let snapshot = archive + ".snapshot-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        try SQLiteSnapshot.write(database: files.databasePath, to: snapshot)
        guard let input = FileHandle(forReadingAtPath: snapshot) else { throw ConfigurationError("cannot read the snapshot") }
        defer { try? input.close() }
        let partial = archive + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
              let output = FileHandle(forWritingAtPath: partial)
        else { throw ConfigurationError("cannot write \(archive)") }
        defer { try? output.close() }
        let id = SystemRandomSource().bytes(16)
        try output.write(contentsOf: BackupArchive.magic + id)
        var index = 0
        var chunk = [UInt8](try input.read(upToCount: BackupArchive.chunkSize) ?? Data())
        var written = BackupArchive.magic.count + id.count
        while true {
            let next = [UInt8](try input.read(upToCount: BackupArchive.chunkSize) ?? Data())
            let sealed = try BackupArchive.seal(chunk, id: id, index: index, last: next.isEmpty, root: root)
            try output.write(contentsOf: sealed)
            written += sealed.count
            if next.isEmpty { break }
            chunk = next
            index += 1
        }
        try output.synchronize()
        // Whole or not at all: the archive appears under its name only once it is complete and on disk.
        guard rename(partial, archive) == 0 else { throw ConfigurationError("cannot write \(archive)") }
        return written
    }

    /// Restores `archive` into a data directory that has no database yet, checking every chunk
    /// before anything is put in place; the root key comes from the environment or the directory.
    public static func restore(archive: String, dataDirectory: String, environment: [String: String]) throws {
        let files = DataDirectory(path: dataDirectory)
        try files.create()
        guard !FileManager.default.fileExists(atPath: files.databasePath) else {
            throw ConfigurationError("\(files.databasePath) exists: restore into a data directory without a database")
        }
        let root = try files.existingRootKey(environment: environment)
        guard let input = FileHandle(forReadingAtPath: archive) else { throw ConfigurationError("cannot read \(archive)") }
        defer { try? input.close() }
        let head = [UInt8](try input.read(upToCount: BackupArchive.magic.count + 16) ?? Data())
        guard head.count == BackupArchive.magic.count + 16, Array(head.prefix(BackupArchive.magic.count)) == BackupArchive.magic else {
            throw ConfigurationError("\(archive) is not a Coffer backup")
        }
        let id = Array(head.suffix(16))
        let partial = files.databasePath + ".restoring"
        guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
              let output = FileHandle(forWritingAtPath: partial)
        else { throw ConfigurationError("cannot write \(partial)") }
        var done = false
        defer {
            try? output.close()
            if !done { try? FileManager.default.removeItem(atPath: partial) }
        }
        var index = 0
        var pending = try readChunk(input)
        guard pending != nil else { throw ConfigurationError("\(archive) is cut short") }
        while let sealed = pending {
            let next = try readChunk(input)
            do {
                try output.write(contentsOf: try BackupArchive.open(sealed, id: id, index: index, last: next == nil, root: root))
            } catch is CofferError {
                throw ConfigurationError("\(archive) does not open with this root key, or was changed or cut short (chunk \(index))")
            }
            pending = next
            index += 1
        }
        try output.synchronize()
        guard rename(partial, files.databasePath) == 0 else { throw ConfigurationError("cannot put the database in place") }
        done = true
    }

    private static func readChunk(_ input: FileHandle) throws -> [UInt8]? {
        let prefix = [UInt8](try input.read(upToCount: 4) ?? Data())
        if prefix.isEmpty { return nil }
        let length = BackupArchive.length(prefix)
        guard prefix.count == 4, length > 0, length <= BackupArchive.chunkSize + 64 else { throw ConfigurationError("the backup is damaged") }
        let sealed = [UInt8](try input.read(upToCount: length) ?? Data())
        guard sealed.count == length else { throw ConfigurationError("the backup is cut short") }
        return sealed
    }

}

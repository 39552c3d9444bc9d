public import CofferCore
public import CofferStorage
public import Foundation

/// Coffer's default store: one SQLite file in the data directory.
public final class SQLiteStore: CofferStore {
    private let database: SQLiteDatabase

    public init(path: String) throws {
        database = try SQLiteDatabase(path: path)
    }

    public func close() async { await database.close() }

    public func secret(named name: String, in scope: ResourceScope) async throws -> Secret? {
        try await database.read { db in
            try db.query("SELECT doc FROM secrets WHERE account = ? AND region = ? AND name = ?",
                         [.text(scope.account), .text(scope.region), .text(name)]).first.map { try Self.decode($0[0]) }
        }
    }

    public func secret(arn: String) async throws -> Secret? {
        try await database.read { db in
            try db.query("SELECT doc FROM secrets WHERE arn = ?", [.text(arn)]).first.map { try Self.decode($0[0]) }
        }
    }

    public func secrets(in scope: ResourceScope) async throws -> [Secret] {
        try await database.read { db in
            try db.query("SELECT doc FROM secrets WHERE account = ? AND region = ? ORDER BY created, arn",
                         [.text(scope.account), .text(scope.region)]).map { try Self.decode($0[0]) }
        }
    }

    public func sealedValue(arn: String, versionID: String) async throws -> [UInt8]? {
        try await database.read { db in
            try db.query("SELECT sealed FROM secret_values WHERE arn = ? AND version_id = ?",
                         [.text(arn), .text(versionID)]).first?[0].blob
        }
    }

    public func write(_ write: SecretWrite) async throws {
        let doc = try Self.encode(write.secret)
        try await database.write { db in
            let secret = write.secret
            let deletion: SQLiteValue = secret.deletionDate.map { .real($0.timeIntervalSince1970) } ?? .null
            switch write.kind {
            case .create:
                do {
                    try db.query(
                        "INSERT INTO secrets(arn, account, region, name, revision, created, deletion_date, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [.text(secret.arn), .text(write.scope.account), .text(write.scope.region), .text(secret.name),
                         .integer(Int64(secret.revision)), .real(secret.createdDate.timeIntervalSince1970), deletion, .blob(doc)])
                } catch let error as SQLiteError where error.isConstraintViolation {
                    throw StorageError.nameTaken
                }
            case .update(let expected):
                try db.query("UPDATE secrets SET revision = ?, deletion_date = ?, doc = ? WHERE arn = ? AND revision = ?",
                             [.integer(Int64(secret.revision)), deletion, .blob(doc), .text(secret.arn), .integer(Int64(expected))])
                guard try db.query("SELECT changes()").first?[0].integer == 1 else { throw StorageError.conflict }
            }
            for value in write.newValues {
                try db.query("INSERT OR REPLACE INTO secret_values(arn, version_id, sealed) VALUES (?, ?, ?)",
                             [.text(secret.arn), .text(value.versionID), .blob(value.sealed)])
            }
            for id in write.removedVersionIDs {
                try db.query("DELETE FROM secret_values WHERE arn = ? AND version_id = ?", [.text(secret.arn), .text(id)])
            }
        }
    }

    public func removeSecret(arn: String) async throws {
        try await database.write { db in
            try db.query("DELETE FROM secret_values WHERE arn = ?", [.text(arn)])
            try db.query("DELETE FROM secrets WHERE arn = ?", [.text(arn)])
        }
    }

    public func secretsDue(forDeletionAt date: Date) async throws -> [String] {
        try await database.read { db in
            try db.query("SELECT arn FROM secrets WHERE deletion_date IS NOT NULL AND deletion_date <= ?",
                         [.real(date.timeIntervalSince1970)]).compactMap { $0[0].text }
        }
    }

    public func accessKey(id: String) async throws -> StoredAccessKey? {
        try await database.read { db in
            try db.query("SELECT account, principal_arn, sealed_secret, created FROM access_keys WHERE access_key_id = ?", [.text(id)])
                .first.map { row in
                    StoredAccessKey(accessKeyID: id, account: row[0].text ?? "", principalARN: row[1].text ?? "",
                                    sealedSecret: row[2].blob ?? [], createdDate: Date(timeIntervalSince1970: row[3].real ?? 0))
                }
        }
    }

    public func putAccessKey(_ key: StoredAccessKey) async throws {
        try await database.write { db in
            try db.query("INSERT OR REPLACE INTO access_keys(access_key_id, account, principal_arn, sealed_secret, created) VALUES (?, ?, ?, ?, ?)",
                         [.text(key.accessKeyID), .text(key.account), .text(key.principalARN), .blob(key.sealedSecret),
                          .real(key.createdDate.timeIntervalSince1970)])
        }
    }

    public func setting(_ name: String) async throws -> String? {
        try await database.read { db in try db.query("SELECT value FROM settings WHERE name = ?", [.text(name)]).first?[0].text }
    }

    public func setSetting(_ name: String, _ value: String) async throws {
        try await database.write { db in
            try db.query("INSERT OR REPLACE INTO settings(name, value) VALUES (?, ?)", [.text(name), .text(value)])
        }
    }

    private static func encode(_ secret: Secret) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return Array(try encoder.encode(secret))
    }

    private static func decode(_ value: SQLiteValue) throws -> Secret {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(Secret.self, from: Data(value.blob ?? []))
    }
}

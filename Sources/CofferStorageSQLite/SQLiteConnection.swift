import CSQLite
import CofferStorage
import Foundation

/// A value bound to or read from a statement.
enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    var text: String? { if case .text(let s) = self { s } else { nil } }
    var blob: [UInt8]? { if case .blob(let b) = self { b } else { nil } }
    var integer: Int64? { if case .integer(let i) = self { i } else { nil } }
    var real: Double? {
        switch self {
        case .real(let d): d
        case .integer(let i): Double(i)
        default: nil
        }
    }
}

struct SQLiteError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { "SQLite error \(code): \(message)" }
    var isConstraintViolation: Bool { code & 0xFF == SQLITE_CONSTRAINT }
}

/// One SQLite connection. Not thread-safe: ``SQLiteDatabase`` confines each connection to its own
/// serial queue, which is what makes the `@unchecked Sendable` below safe.
final class SQLiteConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private var lastPrepared: (sql: String, statement: OpaquePointer)?
    /// The audit chain's tail as the open write transaction left it, so consecutive appends in one
    /// group commit need not look it up again; nil whenever it may be stale (new transaction, undo).
    var auditTail: (sequence: Int, hash: [UInt8])?
    /// Records as this (writer) connection last wrote them, so that a busy record's next change
    /// need not decode its document again; trusted only at the revision stored beside the document,
    /// and dropped whenever work is undone.
    var writtenRecords: [String: any Record] = [:]

    /// Set once, before the process's first connection.
    private static let pageCacheOnDemand: Void = { _ = coffer_sqlite3_page_cache_on_demand() }()

    /// `paced`: the file's page writes go through ``PacedVFS`` (the writer's connection).
    init(path: String, readOnly: Bool, paced: Bool = false) throws {
        // Before anything that initializes SQLite, registering the VFS included.
        Self.pageCacheOnDemand
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, paced ? PacedVFS.registered : nil)
        guard status == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw SQLiteError(code: status, message: message)
        }
        sqlite3_busy_timeout(handle, 10_000)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that bind nothing and return nothing (schema, pragmas).
    func executeScript(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &error)
        if status != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "error"
            sqlite3_free(error)
            throw SQLiteError(code: status, message: message)
        }
    }

    @discardableResult
    func query(_ sql: String, _ binds: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        return try bound(statement, binds, from: 0) {
            var rows: [[SQLiteValue]] = []
            while true {
                let status = sqlite3_step(statement)
                if status == SQLITE_DONE { break }
                guard status == SQLITE_ROW else { throw lastError(status) }
                let count = sqlite3_column_count(statement)
                rows.append((0..<count).map { column(statement, $0) })
            }
            return rows
        }
    }

    /// Binds `binds[position...]` and runs `body` while they are bound. A non-empty blob or text is
    /// bound where it lies (`SQLITE_STATIC`, valid only inside its closure, so the statement runs in
    /// the innermost one) instead of SQLite copying it: every audit record chained and every name
    /// looked up was a copy and a `malloc` in SQLite.
    private func bound<T>(_ statement: OpaquePointer, _ binds: [SQLiteValue], from position: Int, _ body: () throws -> T) throws -> T {
        guard position < binds.count else { return try body() }
        let index = Int32(position + 1)
        func check(_ status: Int32) throws {
            guard status == SQLITE_OK else { throw lastError(status) }
        }
        switch binds[position] {
        case .null: try check(sqlite3_bind_null(statement, index))
        case .integer(let i): try check(sqlite3_bind_int64(statement, index, i))
        case .real(let d): try check(sqlite3_bind_double(statement, index, d))
        case .text(var s) where !s.isEmpty:
            return try s.withUTF8 { text in
                try check(sqlite3_bind_text(statement, index, UnsafeRawPointer(text.baseAddress)?.assumingMemoryBound(to: CChar.self),
                                            Int32(text.count), SQLITE_STATIC))
                return try bound(statement, binds, from: position + 1, body)
            }
        case .text(let s): try check(sqlite3_bind_text(statement, index, s, -1, SQLITE_TRANSIENT))
        case .blob(let b) where !b.isEmpty:
            return try b.withUnsafeBytes { bytes in
                try check(sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), SQLITE_STATIC))
                return try bound(statement, binds, from: position + 1, body)
            }
        case .blob(let b):
            try check(b.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT) })
        }
        return try bound(statement, binds, from: position + 1, body)
    }

    /// Rows the last INSERT, UPDATE or DELETE changed, without a statement to ask.
    var changes: Int64 { sqlite3_changes64(handle) }

    private func column(_ statement: OpaquePointer, _ index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, index)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let pointer = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .null
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        // Chaining runs one INSERT for each record: a literal compared with itself is one check,
        // where the table hashes its whole text.
        if let last = lastPrepared, last.sql == sql { return last.statement }
        if let statement = statements[sql] {
            lastPrepared = (sql, statement)
            return statement
        }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw lastError(status) }
        statements[sql] = statement
        lastPrepared = (sql, statement)
        return statement
    }

    private func lastError(_ status: Int32) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs `body` in an immediate transaction, rolling back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try enclosed(begin: "BEGIN IMMEDIATE", commit: "COMMIT", undo: ["ROLLBACK"], body)
    }

    /// Runs `body` in one read transaction, so that every statement in it sees the same snapshot (a
    /// page of records and their parts read by several statements cannot straddle a commit) and the
    /// WAL's read lock is taken once, not once per statement (a ListSecrets page took it 21 times).
    func snapshot<T>(_ body: () throws -> T) throws -> T {
        try enclosed(begin: "BEGIN", commit: "COMMIT", undo: ["ROLLBACK"], body)
    }

    /// Runs `body` in a savepoint of the open transaction, undoing only its own changes if it throws.
    func savepoint<T>(_ body: () throws -> T) throws -> T {
        try enclosed(begin: "SAVEPOINT job", commit: "RELEASE job", undo: ["ROLLBACK TO job", "RELEASE job"], body)
    }

    /// The statements go through `query`, prepared once and kept: a savepoint's two run for every
    /// write, and `sqlite3_exec` would parse them each time.
    private func enclosed<T>(begin: String, commit: String, undo: [String], _ body: () throws -> T) throws -> T {
        try query(begin)
        do {
            let result = try body()
            try query(commit)
            return result
        } catch {
            // A chain tail cached by the undone work is no longer the chain's tail.
            auditTail = nil
            writtenRecords.removeAll()
            for statement in undo { _ = try? query(statement) }
            throw error
        }
    }
}

/// SQLite wants a destructor constant that Swift cannot import directly.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
/// SQLite's `SQLITE_STATIC`, a null destructor: the caller keeps the bytes alive while they are bound.
private let SQLITE_STATIC: sqlite3_destructor_type? = nil

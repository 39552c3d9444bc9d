import CofferStorage
import Foundation
import Synchronization

/// Audit records of calls that change nothing (reads, failures), made safe from a crash of the
/// process by one `write(2)` to a staging file, then chained into `audit_records` at the start of
/// the next write transaction (so the chain keeps the order in which records became safe).
///
/// A read's record thus costs a system call on the caller's thread instead of a transaction and
/// two thread hops. Staged records are not yet chained: until they are (up to 25 milliseconds; see
/// ``SQLiteDatabase``), an editor of the data directory could change them unseen, and a crash of
/// the machine (not of the process) can lose them, as with `synchronous=NORMAL`.
final class AuditStaging: Sendable {
    struct Batch: Sendable {
        let records: [AuditAppend]
        let files: [String]
    }

    private struct State {
        var records: [AuditAppend] = []
        /// Closed staging files whose records are all in `records`, oldest first.
        var closed: [String] = []
        var descriptor: Int32 = -1
        var path = ""
        var generation = 0
    }

    private let prefix: String
    private let state: Mutex<State>

    /// Opens staging beside the database, reading back what an earlier process staged and did
    /// not get to chain (``take()`` hands it over first).
    init(databasePath: String) throws {
        prefix = databasePath + "-audit-staged-"
        let directory = (databasePath as NSString).deletingLastPathComponent
        let base = (prefix as NSString).lastPathComponent
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)
            .compactMap { name -> (Int, String)? in
                guard name.hasPrefix(base), let generation = Int(name.dropFirst(base.count)) else { return nil }
                return (generation, (directory as NSString).appendingPathComponent(name))
            }
            .sorted { $0.0 < $1.0 }
        var initial = State()
        for (generation, path) in leftovers {
            initial.generation = generation
            let records = Self.read(path)
            // A file with no whole record (the last run's current file, after a clean stop) has
            // nothing to chain: without this, every restart would leave one behind.
            guard !records.isEmpty else {
                _ = Foundation.unlink(path)
                continue
            }
            initial.records += records
            initial.closed.append(path)
        }
        state = Mutex(initial)
        try state.withLock { try Self.open(&$0, prefix: prefix) }
    }

    /// Opens the next staging file; `state` changes only if that succeeds.
    private static func open(_ state: inout State, prefix: String) throws {
        let path = prefix + String(state.generation + 1)
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StagingError(errno: errno) }
        state.generation += 1
        state.path = path
        state.descriptor = descriptor
    }

    var isEmpty: Bool { state.withLock { $0.records.isEmpty } }

    /// How many records wait to be chained, and when the oldest was made.
    var backlog: (count: Int, oldest: Date?) { state.withLock { ($0.records.count, $0.records.first?.time) } }

    /// Writes the record to the staging file; once this returns it survives `kill -9`.
    /// Returns whether it is the first record waiting, so the caller can arrange for chaining.
    func stage(_ record: AuditAppend) throws -> Bool {
        var frame = [UInt8]()
        frame.reserveCapacity(12 + record.record.count)
        withUnsafeBytes(of: UInt32(record.record.count).bigEndian) { frame += $0 }
        withUnsafeBytes(of: record.time.timeIntervalSince1970.bitPattern.bigEndian) { frame += $0 }
        frame += record.record
        return try state.withLock { state in
            var offset = 0
            while offset < frame.count {
                let written = frame.withUnsafeBytes { Foundation.write(state.descriptor, $0.baseAddress! + offset, frame.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw StagingError(errno: errno)
                }
                offset += written
            }
            state.records.append(record)
            return state.records.count == 1
        }
    }

    /// Everything staged so far, for the transaction that chains it; later records go to a new file.
    func take() throws -> Batch? {
        try state.withLock { state in
            guard !state.records.isEmpty else { return nil }
            let current = (descriptor: state.descriptor, path: state.path)
            // The next file first: if it cannot be opened, nothing is taken and nothing is lost.
            try Self.open(&state, prefix: prefix)
            _ = Foundation.close(current.descriptor)
            let batch = Batch(records: state.records, files: state.closed + [current.path])
            state.records = []
            state.closed = []
            return batch
        }
    }

    /// The batch is chained and committed: its files are no longer needed.
    func chained(_ batch: Batch) {
        for file in batch.files { _ = Foundation.unlink(file) }
    }

    /// The transaction failed: the batch waits, ahead of anything staged since, for the next one.
    func restore(_ batch: Batch) {
        state.withLock { state in
            state.records = batch.records + state.records
            state.closed = batch.files + state.closed
        }
    }

    /// The frames of a staging file; a torn last frame (a crash mid-write) ends it.
    static func read(_ path: String) -> [AuditAppend] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let bytes = [UInt8](data)
        var records: [AuditAppend] = []
        var offset = 0
        while offset + 12 <= bytes.count {
            let length = Int(bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            let bits = bytes[offset + 4..<offset + 12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard offset + 12 + length <= bytes.count else { break }
            records.append(AuditAppend(time: Date(timeIntervalSince1970: Double(bitPattern: bits)),
                                       record: Array(bytes[offset + 12..<offset + 12 + length])))
            offset += 12 + length
        }
        return records
    }
}

struct StagingError: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { "audit staging failed: \(String(cString: strerror(errno)))" }
}

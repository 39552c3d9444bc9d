import CZlib
import CofferStorage
import Foundation
import Synchronization

/// Audit records of calls that change nothing (reads, failures), made safe from a crash of the
/// process by copying them into a staging segment, then chained into `audit_records` at the start
/// of the next write transaction (so the chain keeps the order in which records became safe).
///
/// A segment is a preallocated file mapped into memory: staging a record is a copy under a lock,
/// with no system call on the caller's thread. (A `write(2)` per record, as before, blocked the
/// event loop for 1 to 4 ms whenever ext4 committed its journal, as the WAL's checkpoints make it
/// do, and every batch created a file.) A copy into a shared mapping is in the page cache once it
/// is made, so it survives `kill -9` as a write would. Staged records are not yet chained: until
/// they are (about 25 milliseconds, up to about 0.1 s more under a read load while the writer paces its
/// runs; see ``SQLiteDatabase`` and ``WriterPacing``), an editor of the data directory could
/// change them unseen, and a crash of the machine (not of the process) can lose them, as with
/// `synchronous=NORMAL`.
///
/// Segments are reused: once a batch is chained and committed, its segments take a new epoch,
/// which voids the frames in them. A frame is `epoch, length, CRC-32C, time, record`, its header
/// written after its body, so a frame a crash cut short fails its check and ends the segment.
/// (Segments of the first format, `COFSTG01`, checked frames with zlib's CRC-32, about twenty times
/// the cost on the event loop; an earlier build's leftovers are read with it.)
final class AuditStaging: Sendable {
    struct Batch: Sendable {
        let records: [AuditAppend]
        /// Segments whose frames are all in `records`, and files an earlier process left.
        fileprivate let segments: [Int]
        fileprivate let files: [String]
    }

    /// A mapped segment file; its memory is only touched under the state's lock.
    private struct Segment: @unchecked Sendable {
        let path: String
        let base: UnsafeMutableRawPointer
        let size: Int
        var used = Layout.segmentHeader
    }

    private enum Layout {
        static let magic = Array("COFSTG02".utf8)
        /// Frames checked with zlib's CRC-32 instead of CRC-32C.
        static let firstMagic = Array("COFSTG01".utf8)
        /// Magic, the order in which the segment was taken into use, its epoch.
        static let segmentHeader = 64
        /// Epoch, length, CRC-32C (of time and record), time.
        static let frameHeader = 24
        static let segmentSize = 1 << 20
        /// Segments kept for reuse; more, left by a burst, are removed once chained.
        static let spare = 2
    }

    private struct State {
        var records: [AuditAppend] = []
        var segments: [Segment] = []
        var current = 0
        /// Segments holding records that wait in `records`, oldest first (full, or taken by a batch that failed).
        var closed: [Int] = []
        var free: [Int] = []
        /// Files an earlier process staged into, whose records are in `records`.
        var leftovers: [String] = []
        var generation = 0
        var sequence: UInt64 = 0
        /// Records taken by the batch being chained (not yet committed), and the oldest one's time.
        var taken: (count: Int, oldest: Date?) = (0, nil)
    }

    private let prefix: String
    private let state: Mutex<State>

    /// Opens staging beside the database, reading back what an earlier process staged and did
    /// not get to chain (``take()`` hands it over first).
    init(databasePath: String) throws {
        prefix = databasePath + "-audit-staged-"
        let directory = (databasePath as NSString).deletingLastPathComponent
        let base = (prefix as NSString).lastPathComponent
        let found = try FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)
            .compactMap { name -> (Int, String)? in
                guard name.hasPrefix(base), let generation = Int(name.dropFirst(base.count)) else { return nil }
                return (generation, (directory as NSString).appendingPathComponent(name))
            }
        var initial = State()
        initial.generation = found.map(\.0).max() ?? 0
        // Files of the earlier format (one write per record) come first: a server that wrote them ran before any segment.
        let leftovers = found.map { (generation: $0.0, path: $0.1, staged: Self.read($0.1)) }
            .sorted { ($0.staged.sequence ?? 0, $0.generation) < ($1.staged.sequence ?? 0, $1.generation) }
        for leftover in leftovers {
            // A file with no whole record (a segment after a clean stop) has nothing to chain.
            guard !leftover.staged.records.isEmpty else {
                _ = Foundation.unlink(leftover.path)
                continue
            }
            initial.records += leftover.staged.records
            initial.leftovers.append(leftover.path)
        }
        initial.sequence = leftovers.compactMap(\.staged.sequence).max() ?? 0
        initial.current = try Self.acquire(&initial, room: 0, prefix: prefix)
        state = Mutex(initial)
    }

    deinit {
        state.withLock { state in
            for segment in state.segments where segment.size > 0 { munmap(segment.base, segment.size) }
        }
    }

    /// A segment with room for `room` bytes of frames, taken into use: a spare one, or a new file.
    /// `state` changes only if that succeeds.
    private static func acquire(_ state: inout State, room: Int, prefix: String) throws -> Int {
        let index: Int
        if let spare = state.free.firstIndex(where: { state.segments[$0].size - Layout.segmentHeader >= room }) {
            index = state.free.remove(at: spare)
        } else {
            let size = max(Layout.segmentSize, (Layout.segmentHeader + room + 4095) & ~4095)
            state.segments.append(try create(prefix + String(state.generation + 1), size: size))
            state.generation += 1
            index = state.segments.count - 1
        }
        state.sequence += 1
        state.segments[index].base.storeBytes(of: state.sequence.littleEndian, toByteOffset: 8, as: UInt64.self)
        return index
    }

    /// A new segment file, its blocks allocated (a full disk fails here, not as a fault on a later copy).
    private static func create(_ path: String, size: Int) throws -> Segment {
        let descriptor = Foundation.open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StagingError(errno: errno) }
        defer { _ = Foundation.close(descriptor) }
        let allocated = posix_fallocate(descriptor, 0, off_t(size))
        guard allocated == 0 else {
            _ = Foundation.unlink(path)
            throw StagingError(errno: allocated)
        }
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), base != MAP_FAILED else {
            let failure = errno
            _ = Foundation.unlink(path)
            throw StagingError(errno: failure)
        }
        Layout.magic.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        base.storeBytes(of: newEpoch().littleEndian, toByteOffset: 16, as: UInt64.self)
        return Segment(path: path, base: base, size: size)
    }

    private static func newEpoch() -> UInt64 { UInt64.random(in: 1...UInt64.max) }

    var isEmpty: Bool { state.withLock { $0.records.isEmpty } }

    /// How many records wait to be chained, and when the oldest was made.
    /// Records not yet chained: waiting, and taken by a batch that has not committed.
    var backlog: (count: Int, oldest: Date?) {
        state.withLock { ($0.taken.count + $0.records.count, $0.taken.oldest ?? $0.records.first?.time) }
    }

    /// Copies the record into the current segment; once this returns it survives `kill -9`.
    /// Returns whether it is the first record waiting, so the caller can arrange for chaining.
    func stage(_ record: AuditAppend) throws -> Bool {
        let length = (Layout.frameHeader + record.record.count + 7) & ~7
        let time = record.time.timeIntervalSince1970.bitPattern.littleEndian
        let checksum = record.record.withUnsafeBytes { bytes in
            withUnsafeBytes(of: time) { timeBytes in
                coffer_crc32c(coffer_crc32c(0, timeBytes.baseAddress, timeBytes.count), bytes.baseAddress, bytes.count)
            }
        }
        return try state.withLock { state in
            if state.segments[state.current].used + length > state.segments[state.current].size {
                // Full: it waits with its records for the next batch.
                let next = try Self.acquire(&state, room: length, prefix: prefix)
                state.closed.append(state.current)
                state.current = next
            }
            let segment = state.segments[state.current]
            let frame = segment.base + segment.used
            record.record.withUnsafeBytes { bytes in
                if let source = bytes.baseAddress { (frame + Layout.frameHeader).copyMemory(from: source, byteCount: bytes.count) }
            }
            frame.storeBytes(of: time, toByteOffset: 16, as: UInt64.self)
            // The header last: until it is whole, the frame fails its check.
            frame.storeBytes(of: UInt32(record.record.count).littleEndian, toByteOffset: 8, as: UInt32.self)
            frame.storeBytes(of: checksum.littleEndian, toByteOffset: 12, as: UInt32.self)
            frame.storeBytes(of: segment.base.load(fromByteOffset: 16, as: UInt64.self), toByteOffset: 0, as: UInt64.self)
            state.segments[state.current].used += length
            state.records.append(record)
            return state.records.count == 1
        }
    }

    /// Everything staged so far, for the transaction that chains it; later records go to another segment.
    func take() throws -> Batch? {
        try state.withLock { state in
            guard !state.records.isEmpty else { return nil }
            // The next segment first: if none can be had, nothing is taken and nothing is lost.
            let next = try Self.acquire(&state, room: 0, prefix: prefix)
            let batch = Batch(records: state.records, segments: state.closed + [state.current], files: state.leftovers)
            state.current = next
            state.taken = (state.records.count, state.records.first?.time)
            state.records = []
            state.closed = []
            state.leftovers = []
            return batch
        }
    }

    /// The batch is chained and committed: its segments are voided for reuse, and files an earlier
    /// process left are removed.
    func chained(_ batch: Batch) {
        for file in batch.files { _ = Foundation.unlink(file) }
        state.withLock { state in
            state.taken = (0, nil)
            for index in batch.segments {
                // One aligned store voids every frame in the segment.
                state.segments[index].base.storeBytes(of: Self.newEpoch().littleEndian, toByteOffset: 16, as: UInt64.self)
                state.segments[index].used = Layout.segmentHeader
                state.free.append(index)
            }
            // A burst past a segment's size made more; the ones beyond the spares go once empty. Their
            // slots stay (indices are held by batches), with nothing mapped.
            while state.free.count > Layout.spare, let index = state.free.popLast() {
                let segment = state.segments[index]
                munmap(segment.base, segment.size)
                _ = Foundation.unlink(segment.path)
                state.segments[index] = Segment(path: "", base: UnsafeMutableRawPointer(bitPattern: 1)!, size: 0, used: 0)
            }
        }
    }

    /// The transaction failed: the batch waits, ahead of anything staged since, for the next one.
    func restore(_ batch: Batch) {
        state.withLock { state in
            state.taken = (0, nil)
            state.records = batch.records + state.records
            state.closed = batch.segments + state.closed
            state.leftovers = batch.files + state.leftovers
        }
    }

    /// The records of a staging file, and for a segment the order it was taken into use in.
    /// A frame that fails its check (a crash mid-copy, or a voided frame) ends it.
    static func read(_ path: String) -> (records: [AuditAppend], sequence: UInt64?) {
        guard let data = FileManager.default.contents(atPath: path) else { return ([], nil) }
        let bytes = [UInt8](data)
        let magic = Array(bytes.prefix(8))
        guard bytes.count >= Layout.segmentHeader, magic == Layout.magic || magic == Layout.firstMagic else { return (readWritten(bytes), nil) }
        let castagnoli = magic == Layout.magic
        return bytes.withUnsafeBytes { raw in
            let sequence = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            let epoch = raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            var records: [AuditAppend] = []
            var offset = Layout.segmentHeader
            while offset + Layout.frameHeader <= raw.count, raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == epoch {
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)))
                // No record is empty: a segment whose epoch was never written matches zeroed frames.
                guard length > 0, offset + Layout.frameHeader + length <= raw.count else { break }
                let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let checked = castagnoli ? coffer_crc32c(0, raw.baseAddress! + offset + 16, 8 + length)
                    : UInt32(crc32(0, raw.baseAddress!.advanced(by: offset + 16).assumingMemoryBound(to: Bytef.self), uInt(8 + length)))
                guard stored == checked else { break }
                let time = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)))
                records.append(AuditAppend(time: Date(timeIntervalSince1970: time),
                                           record: Array(bytes[offset + Layout.frameHeader..<offset + Layout.frameHeader + length])))
                offset += (Layout.frameHeader + length + 7) & ~7
            }
            return (records, sequence)
        }
    }

    /// The earlier format, one `write(2)` per frame (`length, time, record`, big-endian); a torn last frame ends it.
    private static func readWritten(_ bytes: [UInt8]) -> [AuditAppend] {
        var records: [AuditAppend] = []
        var offset = 0
        while offset + 12 <= bytes.count {
            let length = Int(bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            let bits = bytes[offset + 4..<offset + 12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            // No record is empty: zeros are a segment file a crash left before its header was written.
            guard length > 0, offset + 12 + length <= bytes.count else { break }
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

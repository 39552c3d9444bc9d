import CSQLite
import Foundation
import Synchronization

/// The default VFS with a pacing point (``WriterPacing/point()``) before every page the writer
/// writes, so that a commit's WAL frames and a checkpoint's copies are paced as chaining is.
///
/// A file keeps the default VFS's file object; only its method table is a copy whose `xWrite` and
/// `xSync` pace and then call the original's. The unix VFS's methods reach their state through the
/// file object, never through the table's address, so the copy serves them as the original does.
/// The unix VFS gives a database and its WAL different tables (the WAL takes no locks): each
/// original gets its own copy, with the original's two functions stored right behind it.
enum PacedVFS {
    static let name = "coffer-paced"

    /// Registers the VFS once (not as the default); nil if SQLite has no default VFS to wrap.
    static let registered: String? = {
        guard let base = sqlite3_vfs_find(nil) else { return nil }
        Self.base = base
        let vfs = UnsafeMutablePointer<sqlite3_vfs>.allocate(capacity: 1)
        vfs.initialize(to: base.pointee)
        vfs.pointee.zName = UnsafePointer(strdup(name))
        vfs.pointee.pNext = nil
        vfs.pointee.xOpen = { _, path, file, flags, outFlags in
            guard let base = PacedVFS.base, let open = base.pointee.xOpen else { return SQLITE_ERROR }
            let status = open(base, path, file, flags, outFlags)
            if status == SQLITE_OK, let file, let methods = file.pointee.pMethods, let paced = PacedVFS.paced(methods) {
                file.pointee.pMethods = paced
            }
            return status
        }
        guard sqlite3_vfs_register(vfs, 0) == SQLITE_OK else { return nil }
        return name
    }()

    /// Set once, before any file is opened through this VFS.
    nonisolated(unsafe) private static var base: UnsafeMutablePointer<sqlite3_vfs>?

    private typealias Write = @convention(c) (UnsafeMutablePointer<sqlite3_file>?, UnsafeRawPointer?, Int32, sqlite3_int64) -> Int32
    private typealias Sync = @convention(c) (UnsafeMutablePointer<sqlite3_file>?, Int32) -> Int32
    /// Where a paced table keeps the original's `xWrite`, then its `xSync`.
    private static let originals = MemoryLayout<sqlite3_io_methods>.stride
    /// Paced copies by the address of their original, made as files open.
    private static let copies = Mutex<[UInt: UInt]>([:])

    private static func paced(_ methods: UnsafePointer<sqlite3_io_methods>) -> UnsafePointer<sqlite3_io_methods>? {
        guard let write = methods.pointee.xWrite, let sync = methods.pointee.xSync else { return nil }
        let address = copies.withLock { copies -> UInt in
            if let copy = copies[UInt(bitPattern: methods)] { return copy }
            let raw = UnsafeMutableRawPointer.allocate(byteCount: originals + 2 * MemoryLayout<Write>.stride,
                                                       alignment: MemoryLayout<sqlite3_io_methods>.alignment)
            let table = raw.initializeMemory(as: sqlite3_io_methods.self, to: methods.pointee)
            raw.storeBytes(of: write, toByteOffset: originals, as: Write.self)
            raw.storeBytes(of: sync, toByteOffset: originals + MemoryLayout<Write>.stride, as: Sync.self)
            table.pointee.xWrite = { file, buffer, amount, offset in
                WriterPacing.point()
                return PacedVFS.original(of: file).load(fromByteOffset: PacedVFS.originals, as: Write.self)(file, buffer, amount, offset)
            }
            table.pointee.xSync = { file, flags in
                let status = PacedVFS.original(of: file)
                    .load(fromByteOffset: PacedVFS.originals + MemoryLayout<Write>.stride, as: Sync.self)(file, flags)
                WriterPacing.resumed()
                return status
            }
            copies[UInt(bitPattern: methods)] = UInt(bitPattern: table)
            return UInt(bitPattern: table)
        }
        return UnsafePointer(bitPattern: address)
    }

    /// The paced table a file's methods were called through, with the originals behind it.
    private static func original(of file: UnsafeMutablePointer<sqlite3_file>?) -> UnsafeRawPointer {
        UnsafeRawPointer(file!.pointee.pMethods!)
    }
}

import CSQLite
import Foundation
import Synchronization

/// The default VFS with a pacing point (``WriterPacing/point()``) before every page the writer
/// writes, so that a commit's WAL frames and a checkpoint's copies are paced as chaining is.
///
/// A file keeps the default VFS's file object; only its method table is a copy whose `xWrite` and
/// `xSync` call the pacing first or after. The unix VFS's methods reach their state through the file
/// object, never through the table's address, so the copy serves them as the original does.
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
            if status == SQLITE_OK, let file, let methods = file.pointee.pMethods, let paced = PacedVFS.methods(wrapping: methods) {
                file.pointee.pMethods = paced
            }
            return status
        }
        guard sqlite3_vfs_register(vfs, 0) == SQLITE_OK else { return nil }
        return name
    }()

    /// Set once, before any file is opened through this VFS.
    nonisolated(unsafe) private static var base: UnsafeMutablePointer<sqlite3_vfs>?
    nonisolated(unsafe) private static var write: (@convention(c) (UnsafeMutablePointer<sqlite3_file>?, UnsafeRawPointer?, Int32, sqlite3_int64) -> Int32)?
    nonisolated(unsafe) private static var sync: (@convention(c) (UnsafeMutablePointer<sqlite3_file>?, Int32) -> Int32)?
    /// The addresses of the original table and its paced copy, made at the first open.
    private static let tables = Mutex<(original: UInt, paced: UInt)?>(nil)

    /// The paced copy of `methods`; nil (the file is left unpaced) for a table other than the first
    /// one seen, which the copy's functions would not call.
    private static func methods(wrapping methods: UnsafePointer<sqlite3_io_methods>) -> UnsafePointer<sqlite3_io_methods>? {
        let address = tables.withLock { tables -> UInt? in
            if let tables { return tables.original == UInt(bitPattern: methods) ? tables.paced : nil }
            guard let originalWrite = methods.pointee.xWrite, let originalSync = methods.pointee.xSync else { return nil }
            write = originalWrite
            sync = originalSync
            let paced = UnsafeMutablePointer<sqlite3_io_methods>.allocate(capacity: 1)
            paced.initialize(to: methods.pointee)
            paced.pointee.xWrite = { file, buffer, amount, offset in
                WriterPacing.point()
                return PacedVFS.write!(file, buffer, amount, offset)
            }
            paced.pointee.xSync = { file, flags in
                let status = PacedVFS.sync!(file, flags)
                WriterPacing.resumed()
                return status
            }
            tables = (UInt(bitPattern: methods), UInt(bitPattern: paced))
            return UInt(bitPattern: paced)
        }
        return address.flatMap { UnsafePointer(bitPattern: $0) }
    }
}

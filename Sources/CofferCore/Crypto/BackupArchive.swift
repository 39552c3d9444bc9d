/// The format of `coffer backup`: the database snapshot sealed in chunks under the root key, so a
/// backup is no easier to read than the database (names and tags included, which the database keeps
/// in the clear beside its sealed values) and cannot be cut short, reordered or spliced unseen.
///
/// `COFFER-BACKUP-1\n`, a 16-byte archive id, then chunks: a 4-byte big-endian length and the
/// chunk sealed with the context `coffer-backup\n<id>\n<index>\n<last: 1 or 0>`.
public enum BackupArchive {
    public static let magic = Array("COFFER-BACKUP-1\n".utf8)
    public static let chunkSize = 1 << 20
    static let purpose = "backup"

    static func context(id: [UInt8], index: Int, last: Bool) -> String {
        "coffer-backup\n\(Hex.encode(id))\n\(index)\n\(last ? 1 : 0)"
    }

    public static func seal(_ chunk: [UInt8], id: [UInt8], index: Int, last: Bool, root: RootKey) throws(CofferError) -> [UInt8] {
        let sealed = try root.seal(chunk, purpose: purpose, context: context(id: id, index: index, last: last))
        let length = UInt32(sealed.count)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + sealed
    }

    /// Opens chunk `index`: it must be the last one if `last` (the reader saw nothing after it) and
    /// only then. A wrong root key, an edit, a cut or a swap fails here.
    public static func open(_ sealed: [UInt8], id: [UInt8], index: Int, last: Bool, root: RootKey) throws(CofferError) -> [UInt8] {
        try root.open(sealed, purpose: purpose, context: context(id: id, index: index, last: last))
    }

    public static func length(_ prefix: [UInt8]) -> Int {
        prefix.prefix(4).reduce(0) { $0 << 8 | Int($1) }
    }
}

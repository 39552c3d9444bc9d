import CofferCore
import CofferStorage

/// How a row of `records` keeps its parts (its `parted` column).
enum PartLayout {
    /// In the document (rows written before parts were kept apart).
    static let inDocument: Int64 = 0
    /// Each part a row of `record_parts`, its labels in its row (rows written before labels moved).
    static let labelsInParts: Int64 = 1
    /// Each part a row of `record_parts`, the labels in the document: a change that only moves labels
    /// (AWSCURRENT and AWSPREVIOUS on every new version) rewrites no part row.
    static let labelsInDocument: Int64 = 2
}

/// Parted records (``PartedRecord``: a secret and its versions) on SQLite: the document without its
/// parts in `records` (marked `parted`), each part a row of `record_parts`, read back in rowid order.
extension SQLiteStore {
    /// The document to store for `record`, and whether its parts go apart.
    static func document<R: Record>(_ record: R) throws -> (doc: [UInt8], parted: Bool) {
        if let parted = record as? any PartedRecord { return (try RecordDocument.encodeHead(parted), true) }
        return (try RecordDocument.encode(record), false)
    }

    /// A stored row's record: its document, with its parts when they are kept apart (rows written
    /// before parts were kept apart still hold them in the document), labeled from the document when
    /// it holds the labels (``PartLayout``).
    static func load<R: Record>(_ type: R.Type, doc: SQLiteValue, parted: SQLiteValue, arn: SQLiteValue, _ db: SQLiteConnection) throws -> R {
        let bytes = doc.blob ?? []
        let record = try RecordDocument.decode(R.self, from: bytes)
        let layout = parted.integer ?? PartLayout.inDocument
        guard layout != PartLayout.inDocument, let partedRecord = record as? any PartedRecord else { return record }
        let head = layout == PartLayout.labelsInDocument ? bytes : nil
        guard let whole = try withParts(partedRecord, arn: arn.text ?? "", labeledBy: head, db) as? R else { return record }
        return whole
    }

    private static func withParts<P: PartedRecord>(_ record: P, arn: String, labeledBy head: [UInt8]?, _ db: SQLiteConnection) throws -> P {
        let documents = try db.query("SELECT doc FROM record_parts WHERE arn = ? ORDER BY rowid", [.text(arn)]).map { $0[0].blob ?? [] }
        var whole = record
        let parts = try RecordDocument.decodeParts(documents, of: P.self)
        whole.parts = try head.map { try RecordDocument.labeledParts(parts, head: $0, of: P.self) } ?? parts
        return whole
    }

    /// Whether a part changed in what its row holds: everything but its labels.
    static func rowChanged<P: PartedRecord>(_ new: P.Part, from old: P.Part, of type: P.Type) -> Bool {
        new != old && P.part(new, labeled: []) != P.part(old, labeled: [])
    }

    /// Brings the part rows of `record` in line with it, and puts each of `values` that belongs to
    /// one of its parts in that part's row; returns the values that belong to none (they go to
    /// `record_values`). With the record as it stood before this write (`previous`, the writer's own
    /// copy at the revision replaced), only parts that changed are written: a new version and its
    /// value are one insert, a moved label one update. Otherwise every row is rewritten, keeping the
    /// values the rows held. The values of `removed` ids whose parts stay are cleared from their rows.
    static func syncParts<R: Record>(_ record: R, previous: (any Record)?, values: [(versionID: String, sealed: [UInt8])],
                                     removed: [String], _ db: SQLiteConnection) throws -> [(versionID: String, sealed: [UInt8])] {
        // The one parted type by name, so the walk over its up to 100 versions is specialized for it
        // (through the existential the comparisons and copies go through witness tables).
        if let secret = record as? Secret { return try sync(secret, previous: previous, values: values, removed: removed, db) }
        guard let parted = record as? any PartedRecord else { return values }
        return try sync(parted, previous: previous, values: values, removed: removed, db)
    }

    /// How `new` continues `old`, the way versions change: the first `dropped` old parts gone, the
    /// rest (`kept`) at the start of `new` in the same order (perhaps changed), everything after them
    /// new. Hashing nothing: a write of a secret with 100 versions compares 100 keys. Nil for any other
    /// change (a reorder, an insertion between kept parts, parts gone from the end), which rewrites
    /// every row. Deleting the dropped rows before inserting keeps rowid order right even when a
    /// dropped part comes back at the end.
    static func continuation<Part: Equatable>(of old: [Part], by new: [Part], key: (Part) -> String) -> (dropped: Int, kept: Int)? {
        guard let first = new.first else { return (old.count, 0) }
        let firstKey = key(first)
        let dropped = old.firstIndex { key($0) == firstKey } ?? old.count
        let kept = old.count - dropped
        guard kept <= new.count else { return nil }
        // A part the change left alone is the same value (for a secret's version, the same box): equal
        // without reading its key, so the walk touches only the parts that changed.
        for index in 0..<kept where new[index] != old[dropped + index] && key(new[index]) != key(old[dropped + index]) { return nil }
        return (dropped, kept)
    }

    private static func sync<P: PartedRecord>(_ record: P, previous: (any Record)?, values: [(versionID: String, sealed: [UInt8])],
                                              removed: [String], _ db: SQLiteConnection) throws -> [(versionID: String, sealed: [UInt8])] {
        let arn = SQLiteValue.text(record.arn)
        var unplaced = Dictionary(values.map { ($0.versionID, $0.sealed) }, uniquingKeysWith: { _, last in last })
        func sealed(_ key: String, else kept: [UInt8]? = nil) -> SQLiteValue {
            (unplaced.removeValue(forKey: key) ?? kept).map { .blob($0) } ?? .null
        }
        func insert(_ part: P.Part, keeping kept: [String: [UInt8]] = [:]) throws {
            let key = P.key(of: part)
            try db.query("INSERT INTO record_parts(arn, key, doc, sealed) VALUES (?, ?, ?, ?)",
                         [arn, .text(key), .blob(try RecordDocument.encodePart(part, of: P.self)), sealed(key, else: kept[key])])
        }
        let parts = record.parts
        var deleted: [String] = [], reinserted: [String] = []
        if let old = (previous as? P)?.parts, let (dropped, kept) = Self.continuation(of: old, by: parts, key: P.key(of:)) {
            deleted = old[..<dropped].map(P.key(of:))
            // A dropped part that comes back at the end (a reorder) keeps its value.
            var carried: [String: [UInt8]] = [:]
            if dropped > 0, kept < parts.count {
                for part in parts[kept...] where deleted.contains(P.key(of: part)) {
                    let key = P.key(of: part)
                    reinserted.append(key)
                    carried[key] = try db.query("SELECT sealed FROM record_parts WHERE arn = ? AND key = ?", [arn, .text(key)]).first?[0].blob
                }
            }
            for key in deleted {
                try db.query("DELETE FROM record_parts WHERE arn = ? AND key = ?", [arn, .text(key)])
            }
            // New parts first: they take the new values (usually all of them), so the walk over the
            // kept parts looks values up only when one is left.
            for part in parts[kept...] { try insert(part, keeping: carried) }
            for index in 0..<kept {
                let changed = Self.rowChanged(parts[index], from: old[dropped + index], of: P.self)
                guard changed || !unplaced.isEmpty else { continue }
                let key = P.key(of: parts[index])
                if changed {
                    let doc = SQLiteValue.blob(try RecordDocument.encodePart(parts[index], of: P.self))
                    if let value = unplaced.removeValue(forKey: key) {
                        try db.query("UPDATE record_parts SET doc = ?, sealed = ? WHERE arn = ? AND key = ?", [doc, .blob(value), arn, .text(key)])
                    } else {
                        try db.query("UPDATE record_parts SET doc = ? WHERE arn = ? AND key = ?", [doc, arn, .text(key)])
                    }
                } else if let value = unplaced.removeValue(forKey: key) {
                    try db.query("UPDATE record_parts SET sealed = ? WHERE arn = ? AND key = ?", [.blob(value), arn, .text(key)])
                }
            }
        } else {
            let kept = Dictionary(try db.query("SELECT key, sealed FROM record_parts WHERE arn = ? AND sealed IS NOT NULL", [arn])
                .map { ($0[0].text ?? "", $0[1].blob ?? []) }, uniquingKeysWith: { _, last in last })
            try db.query("DELETE FROM record_parts WHERE arn = ?", [arn])
            for part in parts { try insert(part, keeping: kept) }
        }
        // Usually pruned with their parts (a deleted row stays gone unless it came back at the end);
        // a value removed from a version that stays is cleared.
        for id in removed where deleted.contains(id) ? reinserted.contains(id) : parts.contains(where: { P.key(of: $0) == id }) {
            try db.query("UPDATE record_parts SET sealed = NULL WHERE arn = ? AND key = ?", [arn, .text(id)])
        }
        return values.filter { unplaced[$0.versionID] != nil }
    }
}

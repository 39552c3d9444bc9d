public import CofferCore

/// The orders in which a store can hand out a kind's records page by page, from its indexes.
public enum RecordOrder: String, Sendable, CaseIterable {
    /// The order the records were created in.
    case created
    /// By name, in the order of the names' UTF-8 bytes.
    case name
    /// By ``Record/date(in:)`` (a secret's last change), ties by name.
    case lastChanged
    /// By ``Record/date(in:)`` (a secret's last access; never accessed sorts first), ties by name.
    case lastAccessed

    /// The orders by a date that changes as records are written, indexed beside the record.
    public var isByDate: Bool { self == .lastChanged || self == .lastAccessed }
}

/// Where a page ended: the store's position of the last record handed out (its creation sequence,
/// or in a date order the date's bits) and that record's name, so the next page starts after it
/// whatever was created or removed meanwhile.
public struct RecordCursor: Sendable, Hashable {
    public var position: Int64
    public var name: String

    public init(position: Int64, name: String) {
        self.position = position
        self.name = name
    }

    public init(date: Double, name: String) {
        self.init(position: Int64(bitPattern: date.bitPattern), name: name)
    }

    /// The date (seconds since 1970) of a cursor in a date order.
    public var date: Double { Double(bitPattern: UInt64(bitPattern: position)) }

    /// Whether a record at `date` and `name` comes after this cursor in a date order.
    public func precedes(date other: Double, name otherName: String, descending: Bool) -> Bool {
        let (a, b) = descending ? ((other, otherName), (date, name)) : ((date, name), (other, otherName))
        return a.0 < b.0 || (a.0 == b.0 && Array(a.1.utf8).lexicographicallyPrecedes(b.1.utf8))
    }
}

/// One page of records: what to read and which records belong on it.
public struct RecordQuery<R: Record>: Sendable {
    public var scope: ResourceScope
    public var order: RecordOrder
    public var descending: Bool
    public var after: RecordCursor?
    /// Only names that start with this; in ascending name order the store starts reading there.
    public var namePrefix: String?
    public var limit: Int
    /// Decides whether a record read belongs on the page (filters, deletion state).
    public var accept: @Sendable (R) -> Bool

    public init(scope: ResourceScope, order: RecordOrder, descending: Bool = false, after: RecordCursor? = nil, namePrefix: String? = nil,
                limit: Int, accept: @escaping @Sendable (R) -> Bool = { _ in true }) {
        self.scope = scope
        self.order = order
        self.descending = descending
        self.after = after
        self.namePrefix = namePrefix.flatMap { $0.isEmpty ? nil : $0 }
        self.limit = max(1, limit)
        self.accept = accept
    }
}

public struct RecordPage<R: Record>: Sendable {
    public var records: [R]
    /// Where the next page starts, or nil when nothing more can match.
    public var next: RecordCursor?

    public init(records: [R], next: RecordCursor?) {
        self.records = records
        self.next = next
    }
}

extension RecordQuery {
    /// How many records past a full page are read to learn whether another page exists, before a
    /// cursor is answered anyway (so a selective filter costs a bounded read per page, and the
    /// last page of such a listing can be empty, as AWS allows).
    static var lookahead: Int { 256 }

    /// Fills the page from rows a store reads in the query's order after a cursor, `count` at a
    /// time; the one place paging is decided, whatever the backend.
    public func fill(_ rows: (_ after: RecordCursor?, _ count: Int) async throws -> [(cursor: RecordCursor, record: R)]) async throws -> RecordPage<R> {
        let chunk = min(max(limit + 1, 32), 512)
        var page: [R] = []
        var cursor = after
        var lastOnPage: RecordCursor?
        var readPastFullPage = 0
        while true {
            let batch = try await rows(cursor, chunk)
            for row in batch {
                cursor = row.cursor
                if page.count == limit { readPastFullPage += 1 }
                if let prefix = namePrefix, !row.record.name.hasPrefix(prefix) {
                    // In name order, a name past the prefix's range means nothing later can match.
                    if order == .name, descending ? row.record.name < prefix : row.record.name > prefix {
                        return RecordPage(records: page, next: nil)
                    }
                    continue
                }
                guard accept(row.record) else { continue }
                if page.count == limit { return RecordPage(records: page, next: lastOnPage) }
                page.append(row.record)
                lastOnPage = row.cursor
            }
            if batch.count < chunk { return RecordPage(records: page, next: nil) }
            if page.count == limit && readPastFullPage >= Self.lookahead { return RecordPage(records: page, next: lastOnPage) }
        }
    }
}

/// A value type's fields kept in one shared box, copied only when a value that shares the box is
/// changed (as Array and String keep their elements).
///
/// For records passed along on every call (a secret, a KMS key): a copy of a struct of ~20
/// strings, arrays and optionals is a retain and release of each of them, where a copy of this
/// is one.
struct CopyOnWrite<Fields: Sendable>: Sendable {
    // Written only through `fields`' modify, which first makes the box unique: a box another value
    // shares is never written, so it may cross threads. Unchecked exclusivity: a field's read is
    // then a load (the runtime's dynamic check cost ~60 instructions a read).
    private final class Box: @unchecked Sendable {
        @exclusivity(unchecked) var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box

    init(_ fields: Fields) { box = Box(fields) }

    var fields: Fields {
        _read { yield box.fields }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
            yield &box.fields
        }
    }
}

extension CopyOnWrite: Equatable where Fields: Equatable {
    /// Values that share a box are equal without comparing their fields.
    static func == (lhs: Self, rhs: Self) -> Bool { lhs.box === rhs.box || lhs.box.fields == rhs.box.fields }
}

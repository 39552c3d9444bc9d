/// Byte arrays filled in place, made on the standard library's specialized path.
///
/// `[UInt8](repeating:count:)` and `[UInt8](unsafeUninitializedCapacity:)` allocate through
/// `Array._allocateBufferUninitialized`, which the standard library does not let a client specialize:
/// every call looks up `_ContiguousArrayStorage<UInt8>`'s metadata at run time (about 500 instructions,
/// seven times a GetSecretValue: digests, MACs, the opened value, random ids). Copying a buffer into a
/// new array takes the inlinable collection path instead, whose metadata is a cached global.
public enum ByteArrays {
    /// Above this, a temporary buffer would leave the stack; such arrays take the general path.
    @usableFromInline static let stackLimit = 1024

    /// An array of `count` bytes that `body` writes; `body` returns how many it wrote (at most
    /// `count`), or nil when it failed, and then so does this.
    @inlinable
    public static func make(count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int?) -> [UInt8]? {
        guard count <= stackLimit else {
            var out = [UInt8](repeating: 0, count: count)
            guard let written = out.withUnsafeMutableBytes({ body($0) }) else { return nil }
            out.removeLast(count - written)
            return out
        }
        return withUnsafeTemporaryAllocation(byteCount: max(count, 1), alignment: 16) { raw in
            // Zeroed after the copy: an opened secret value passes through here.
            defer { raw.initializeMemory(as: UInt8.self, repeating: 0) }
            guard let written = body(UnsafeMutableRawBufferPointer(rebasing: raw[..<count])) else { return nil }
            return Array(UnsafeRawBufferPointer(rebasing: raw[..<written]))
        }
    }

    /// A 32-byte digest that `body` writes.
    @inlinable
    public static func digest(_ body: (UnsafeMutablePointer<UInt8>) -> Void) -> [UInt8] {
        // The closure always answers 32.
        make(count: 32) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            return 32
        }!
    }
}

/// One step into a JSON document: an object member or an array element.
public enum JSONPathElement: Hashable, Sendable {
    case key(String)
    case index(Int)
}

/// Where the values and member names of a parsed document sit, as byte ranges of its text.
public struct JSONSpans: Sendable {
    /// The range of the value at each path (the root at `[]`).
    public var values: [[JSONPathElement]: Range<Int>] = [:]
    /// The range of each member's name (with its quotes), keyed by the member's path.
    public var keys: [[JSONPathElement]: Range<Int>] = [:]
    /// Members whose name repeats an earlier one in the same object; the later value wins.
    public var duplicateKeys: [[JSONPathElement]] = []
    private let lineStarts: [Int]

    init(text: [UInt8]) {
        var starts = [0]
        for (offset, byte) in text.enumerated() where byte == 0x0A { starts.append(offset + 1) }
        lineStarts = starts
    }

    /// The 1-based line and 0-based column of a byte offset.
    public func position(of offset: Int) -> (line: Int, column: Int) {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return (low + 1, offset - lineStarts[low])
    }

    /// A JSON Pointer (RFC 6901) for a path.
    public static func pointer(_ path: [JSONPathElement]) -> String {
        path.map { element -> String in
            switch element {
            case .index(let i): "/\(i)"
            case .key(let k): "/" + k.flatMap { $0 == "~" ? ["~", "0"] : $0 == "/" ? ["~", "1"] : [$0] }.map(String.init).joined()
            }
        }.joined()
    }
}

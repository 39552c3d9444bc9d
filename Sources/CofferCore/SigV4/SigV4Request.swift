/// The parts of an HTTP request that SigV4 signs, as they arrived on the wire.
public struct SigV4Request: Sendable {
    public var method: String
    /// The path exactly as sent, still percent-encoded.
    public var path: String
    /// The raw query string, without the leading `?`.
    public var query: String
    /// Header fields in arrival order, as their bytes (see ``HeaderFields``); names compare case-insensitively.
    public var fields: HeaderFields
    public var body: [UInt8]

    /// The header fields as Strings (made on each read: the request path reads ``fields``).
    public var headers: [(name: String, value: String)] {
        get { Array(fields) }
        set { fields = HeaderFields(newValue) }
    }

    public init(method: String, path: String, query: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.init(method: method, path: path, query: query, fields: HeaderFields(headers), body: body)
    }

    public init(method: String, path: String, query: String, fields: HeaderFields, body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.fields = fields
        self.body = body
    }

    /// Every value of the header `name`, in order.
    public func values(of name: String) -> [String] {
        var found: [String] = []
        fields.forEachValue(named: name) { found.append(String(decoding: $0, as: UTF8.self)) }
        return found
    }

    public func header(_ name: String) -> String? { fields.value(named: name) }

    /// The query's parameters, percent-decoded, in order.
    public var queryItems: [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = URIEncoding.decode(String(parts[0]), plusAsSpace: true)
            let value = parts.count > 1 ? URIEncoding.decode(String(parts[1]), plusAsSpace: true) : ""
            return (name: name, value: value)
        }
    }
}

/// AWS's URI encoding: everything but the unreserved characters is percent-encoded, upper-case hex.
public enum URIEncoding {
    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String, plusAsSpace: Bool = false) -> String {
        let utf8 = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let byte = utf8[i]
            if byte == UInt8(ascii: "%"), i + 2 <= utf8.count - 1, let decoded = Hex.decode(String(decoding: utf8[i + 1...i + 2], as: UTF8.self)) {
                out.append(decoded[0])
                i += 3
            } else {
                out.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

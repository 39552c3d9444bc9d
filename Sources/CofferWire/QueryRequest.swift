public import CofferCore

/// Reads an AWS query-protocol request (IAM, STS): `Action=...&Version=...` in a form body or the
/// URL, with lists as `Name.member.N` and structures as `Name.member.N.Field`.
public struct QueryRequest: Sendable {
    public let parameters: [String: String]

    public init(parameters: [String: String]) { self.parameters = parameters }

    /// Parses `a=1&b=2`, form-decoding `+` and percent escapes.
    public static func parse(_ text: String) -> QueryRequest {
        var parameters: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = URIEncoding.decode(String(parts[0]), plusAsSpace: true)
            parameters[name] = parts.count > 1 ? URIEncoding.decode(String(parts[1]), plusAsSpace: true) : ""
        }
        return QueryRequest(parameters: parameters)
    }

    public var action: String? { parameters["Action"] }

    static func path(_ name: String) -> String { name.prefix(1).lowercased() + name.dropFirst() }

    public func string(_ name: String, min: Int = 0, max: Int = .max, sensitive: Bool = false) throws(CofferError) -> String? {
        guard let value = parameters[name] else { return nil }
        try JSONRequest.checkLength(value.utf16.count, member: name, shown: sensitive ? nil : value, min: min, max: max)
        return value
    }

    public func requiredString(_ name: String, min: Int = 0, max: Int = .max) throws(CofferError) -> String {
        guard let value = try string(name, min: min, max: max) else {
            throw .validation("1 validation error detected: Value null at '\(Self.path(name))' failed to satisfy constraint: Member must not be null")
        }
        return value
    }

    public func integer(_ name: String, min: Int? = nil, max: Int? = nil) throws(CofferError) -> Int? {
        guard let text = parameters[name] else { return nil }
        guard let value = Int(text) else {
            throw .validation("1 validation error detected: Value '\(text)' at '\(Self.path(name))' failed to satisfy constraint: Member must be a number")
        }
        if let min, value < min {
            throw .validation("1 validation error detected: Value '\(value)' at '\(Self.path(name))' failed to satisfy constraint: Member must have value greater than or equal to \(min)")
        }
        if let max, value > max {
            throw .validation("1 validation error detected: Value '\(value)' at '\(Self.path(name))' failed to satisfy constraint: Member must have value less than or equal to \(max)")
        }
        return value
    }

    public func bool(_ name: String) -> Bool? { parameters[name].map { $0.lowercased() == "true" } }

    /// `Name.member.1`, `Name.member.2`, ... in order.
    public func list(_ name: String) -> [String] {
        var out: [String] = []
        var index = 1
        while let value = parameters["\(name).member.\(index)"] {
            out.append(value)
            index += 1
        }
        return out
    }

    /// `Name.member.N.Field` structures, in order, each as a map of its fields.
    public func structures(_ name: String) -> [[String: String]] {
        var out: [[String: String]] = []
        var index = 1
        while true {
            let prefix = "\(name).member.\(index)."
            let fields = parameters.filter { $0.key.hasPrefix(prefix) }
            if fields.isEmpty { break }
            out.append(Dictionary(uniqueKeysWithValues: fields.map { (String($0.key.dropFirst(prefix.count)), $0.value) }))
            index += 1
        }
        return out
    }
}

/// A small XML builder for query-protocol responses.
public indirect enum XMLNode: Sendable {
    case element(String, [XMLNode])
    case text(String, String)

    public static func text(_ name: String, _ value: String?) -> XMLNode? { value.map { .text(name, $0) } }

    public func render(into out: inout String) {
        switch self {
        case .text(let name, let value): out += "<\(name)>\(XMLNode.escape(value))</\(name)>"
        case .element(let name, let children):
            out += "<\(name)>"
            for child in children { child.render(into: &out) }
            out += "</\(name)>"
        }
    }

    /// Text for an element or a quoted attribute; HTML5 reads the same five entities (the console uses it).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// Query-protocol response envelopes.
public enum QueryResponse {
    public static func namespace(_ service: String) -> String {
        service == "sts" ? "https://sts.amazonaws.com/doc/2011-06-15/" : "https://iam.amazonaws.com/doc/2010-05-08/"
    }

    public static func success(service: String, action: String, result: [XMLNode], requestID: String) -> [UInt8] {
        var out = "<\(action)Response xmlns=\"\(namespace(service))\">"
        // Always present: botocore expects it for every operation that has an output shape, even an empty one.
        XMLNode.element("\(action)Result", result).render(into: &out)
        XMLNode.element("ResponseMetadata", [.text("RequestId", requestID)]).render(into: &out)
        out += "</\(action)Response>"
        return Array(out.utf8)
    }

    public static func error(service: String, code: String, message: String, status: Int, requestID: String) -> [UInt8] {
        var out = "<ErrorResponse xmlns=\"\(namespace(service))\">"
        // An error AWS sends without a message (IAM's ReportNotPresent) has no Message element.
        let fields: [XMLNode] = [.text("Type", status >= 500 ? "Receiver" : "Sender"), .text("Code", code)] + (message.isEmpty ? [] : [.text("Message", message)])
        XMLNode.element("Error", fields).render(into: &out)
        XMLNode.text("RequestId", requestID).render(into: &out)
        out += "</ErrorResponse>"
        return Array(out.utf8)
    }
}

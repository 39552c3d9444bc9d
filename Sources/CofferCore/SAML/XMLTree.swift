/// A parsed XML document, as much of XML as SAML metadata and responses use: elements with their
/// namespaces resolved, attributes, and text. A DOCTYPE is refused, so no entity is ever defined or
/// expanded (no XXE, no billion laughs); comments and processing instructions are dropped, which
/// only makes a signature over them fail to verify.
public enum XMLTree {
    public static let xmlNamespace = "http://www.w3.org/XML/1998/namespace"

    public struct Attribute: Sendable {
        public let prefix: String
        public let localName: String
        public let namespace: String
        public let value: String
    }

    public enum Node: Sendable {
        case element(Element)
        case text(String)
    }

    /// A class so that the canonicalizer can leave out one element by identity (the enveloped signature).
    public final class Element: Sendable {
        public let prefix: String
        public let localName: String
        public let namespace: String
        public let attributes: [Attribute]
        /// Every namespace in scope here, by prefix ("" for the default), as exclusive
        /// canonicalization needs for prefixes declared above the signed element.
        public let namespaces: [String: String]
        public let children: [Node]

        init(prefix: String, localName: String, namespace: String, attributes: [Attribute], namespaces: [String: String], children: [Node]) {
            self.prefix = prefix
            self.localName = localName
            self.namespace = namespace
            self.attributes = attributes
            self.namespaces = namespaces
            self.children = children
        }

        public var qualifiedName: String { prefix.isEmpty ? localName : "\(prefix):\(localName)" }

        public func `is`(_ namespace: String, _ localName: String) -> Bool {
            self.namespace == namespace && self.localName == localName
        }

        public var elements: [Element] {
            children.compactMap { if case .element(let element) = $0 { element } else { nil } }
        }

        public func elements(_ namespace: String, _ localName: String) -> [Element] {
            elements.filter { $0.is(namespace, localName) }
        }

        public func first(_ namespace: String, _ localName: String) -> Element? {
            elements.first { $0.is(namespace, localName) }
        }

        /// An attribute in no namespace (SAML's `ID`, `Algorithm`, `NotOnOrAfter` and the like).
        public func attribute(_ localName: String) -> String? {
            attributes.first { $0.namespace.isEmpty && $0.localName == localName }?.value
        }

        /// The element's text, its children's text included.
        public var text: String {
            children.map { node in
                switch node {
                case .text(let text): text
                case .element(let element): element.text
                }
            }.joined()
        }

        /// This element and every element under it, in document order.
        public var descendants: [Element] {
            [self] + elements.flatMap(\.descendants)
        }
    }

    public struct ParseError: Error, Sendable {
        public let reason: String
    }

    /// Parses a whole document: an optional declaration, one root element, comments and
    /// processing instructions around it.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> Element {
        var parser = Parser(bytes: normalizedLineEnds(bytes))
        return try parser.document()
    }

    /// XML 1.0 §2.11: CR LF and lone CR become LF before anything else reads the text.
    private static func normalizedLineEnds(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(0x0D) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0D {
                out.append(0x0A)
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
            } else {
                out.append(bytes[index])
            }
            index += 1
        }
        return out
    }
}

private struct Parser {
    let bytes: [UInt8]
    var index = 0
    static let maximumDepth = 128

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    func fail(_ reason: String) -> XMLTree.ParseError { XMLTree.ParseError(reason: reason) }

    func at(_ literal: String) -> Bool {
        let utf8 = literal.utf8
        guard bytes.count - index >= utf8.count else { return false }
        return bytes[index..<index + utf8.count].elementsEqual(utf8)
    }

    mutating func skip(past literal: String) throws(XMLTree.ParseError) {
        let pattern = Array(literal.utf8)
        while index + pattern.count <= bytes.count {
            if bytes[index..<index + pattern.count].elementsEqual(pattern) {
                index += pattern.count
                return
            }
            index += 1
        }
        throw fail("unterminated construct, expected \(literal)")
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    mutating func skipSpace() {
        while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
    }

    /// Comments, processing instructions and space outside the root element.
    mutating func skipMisc() throws(XMLTree.ParseError) {
        while true {
            skipSpace()
            if at("<!--") {
                try skip(past: "-->")
            } else if at("<?") {
                try skip(past: "?>")
            } else if at("<!") {
                throw fail("document type declarations are not accepted")
            } else {
                return
            }
        }
    }

    mutating func document() throws(XMLTree.ParseError) -> XMLTree.Element {
        try skipMisc()
        guard at("<") else { throw fail("no root element") }
        let root = try element(scope: ["xml": XMLTree.xmlNamespace], depth: 0)
        try skipMisc()
        guard index == bytes.count else { throw fail("content after the root element") }
        return root
    }

    mutating func name() throws(XMLTree.ParseError) -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if Self.isSpace(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "=")
                || byte == UInt8(ascii: "<") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "&") {
                break
            }
            index += 1
        }
        guard index > start, let name = String(validating: bytes[start..<index], as: UTF8.self) else { throw fail("a name was expected") }
        return name
    }

    static func split(_ name: String) -> (prefix: String, local: String) {
        guard let colon = name.firstIndex(of: ":") else { return ("", name) }
        return (String(name[..<colon]), String(name[name.index(after: colon)...]))
    }

    mutating func element(scope inherited: [String: String], depth: Int) throws(XMLTree.ParseError) -> XMLTree.Element {
        guard depth < Self.maximumDepth else { throw fail("elements nest too deeply") }
        index += 1
        let qualified = try name()
        var raw: [(name: String, value: String)] = []
        var empty = false
        while true {
            skipSpace()
            guard index < bytes.count else { throw fail("unterminated start tag") }
            if at("/>") { index += 2; empty = true; break }
            if at(">") { index += 1; break }
            let attributeName = try name()
            skipSpace()
            guard at("=") else { throw fail("attribute without a value") }
            index += 1
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                throw fail("attribute value not quoted")
            }
            let quote = bytes[index]
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != quote {
                if bytes[index] == UInt8(ascii: "<") { throw fail("'<' in an attribute value") }
                index += 1
            }
            guard index < bytes.count else { throw fail("unterminated attribute value") }
            let value = try decode(bytes[start..<index], attribute: true)
            index += 1
            guard !raw.contains(where: { $0.name == attributeName }) else { throw fail("duplicate attribute \(attributeName)") }
            raw.append((attributeName, value))
        }

        var scope = inherited
        for (name, value) in raw {
            if name == "xmlns" {
                scope[""] = value
            } else if name.hasPrefix("xmlns:") {
                let declared = String(name.dropFirst(6))
                guard !value.isEmpty, declared != "xml", declared != "xmlns" else { throw fail("invalid namespace declaration") }
                scope[declared] = value
            }
        }
        if scope[""] == "" { scope[""] = nil }
        let (prefix, local) = Self.split(qualified)
        guard !local.isEmpty else { throw fail("empty element name") }
        let namespace: String
        if prefix.isEmpty {
            namespace = scope[""] ?? ""
        } else if let bound = scope[prefix] {
            namespace = bound
        } else {
            throw fail("undeclared prefix \(prefix)")
        }
        var attributes: [XMLTree.Attribute] = []
        for (name, value) in raw where name != "xmlns" && !name.hasPrefix("xmlns:") {
            let (attributePrefix, attributeLocal) = Self.split(name)
            var attributeNamespace = ""
            if !attributePrefix.isEmpty {
                guard let bound = scope[attributePrefix] else { throw fail("undeclared prefix \(attributePrefix)") }
                attributeNamespace = bound
            }
            if attributes.contains(where: { $0.namespace == attributeNamespace && $0.localName == attributeLocal && !attributeNamespace.isEmpty }) {
                throw fail("duplicate attribute \(name)")
            }
            attributes.append(XMLTree.Attribute(prefix: attributePrefix, localName: attributeLocal, namespace: attributeNamespace, value: value))
        }

        var children: [XMLTree.Node] = []
        var text: [UInt8] = []
        func flush() throws(XMLTree.ParseError) {
            guard !text.isEmpty else { return }
            guard let string = String(validating: text, as: UTF8.self) else { throw XMLTree.ParseError(reason: "text is not UTF-8") }
            children.append(.text(string))
            text = []
        }
        if !empty {
            while true {
                guard index < bytes.count else { throw fail("unterminated element \(qualified)") }
                if at("</") {
                    index += 2
                    let closing = try name()
                    skipSpace()
                    guard closing == qualified, at(">") else { throw fail("mismatched end tag \(closing)") }
                    index += 1
                    break
                } else if at("<!--") {
                    try skip(past: "-->")
                } else if at("<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    text += bytes[start..<index - 3]
                } else if at("<?") {
                    try skip(past: "?>")
                } else if at("<!") {
                    throw fail("declarations are not accepted in content")
                } else if at("<") {
                    try flush()
                    children.append(.element(try element(scope: scope, depth: depth + 1)))
                } else {
                    let start = index
                    while index < bytes.count, bytes[index] != UInt8(ascii: "<") { index += 1 }
                    text += Array(try decode(bytes[start..<index], attribute: false).utf8)
                }
            }
        }
        try flush()
        return XMLTree.Element(prefix: prefix, localName: local, namespace: namespace, attributes: attributes, namespaces: scope, children: children)
    }

    /// Character and the five predefined entity references; in an attribute, literal white space
    /// becomes a space (XML 1.0 §3.3.3) while a character reference keeps its character.
    func decode(_ slice: ArraySlice<UInt8>, attribute: Bool) throws(XMLTree.ParseError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var position = slice.startIndex
        while position < slice.endIndex {
            let byte = slice[position]
            if byte == UInt8(ascii: "&") {
                guard let end = slice[position...].firstIndex(of: UInt8(ascii: ";")), end - position <= 12,
                      let reference = String(validating: slice[(position + 1)..<end], as: UTF8.self) else {
                    throw fail("malformed reference")
                }
                switch reference {
                case "lt": out.append(UInt8(ascii: "<"))
                case "gt": out.append(UInt8(ascii: ">"))
                case "amp": out.append(UInt8(ascii: "&"))
                case "quot": out.append(UInt8(ascii: "\""))
                case "apos": out.append(UInt8(ascii: "'"))
                default:
                    let number: UInt32?
                    if reference.hasPrefix("#x") {
                        number = UInt32(reference.dropFirst(2), radix: 16)
                    } else if reference.hasPrefix("#") {
                        number = UInt32(reference.dropFirst(1), radix: 10)
                    } else {
                        throw fail("undefined entity \(reference)")
                    }
                    guard let number, number != 0, let scalar = Unicode.Scalar(number) else { throw fail("invalid character reference") }
                    out += Array(String(Character(scalar)).utf8)
                }
                position = end + 1
            } else {
                if byte == UInt8(ascii: "&") || (attribute && byte == UInt8(ascii: "<")) { throw fail("unescaped markup") }
                out.append(attribute && Self.isSpace(byte) ? 0x20 : byte)
                position += 1
            }
        }
        guard let string = String(validating: out, as: UTF8.self) else { throw fail("text is not UTF-8") }
        return string
    }
}

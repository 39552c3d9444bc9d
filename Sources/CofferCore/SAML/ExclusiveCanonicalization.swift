/// Exclusive XML Canonicalization 1.0 without comments (http://www.w3.org/2001/10/xml-exc-c14n#),
/// of one element and what is under it: the bytes an XML signature digests and signs.
///
/// A namespace is written where it is visibly used (by the element's name or an attribute's) and
/// an output ancestor has not already written it with the same value, plus the prefixes an
/// `InclusiveNamespaces PrefixList` names that are in scope; declarations sorted by prefix,
/// attributes by namespace then local name; text and attribute values escaped as the
/// recommendation says; empty elements as a start and an end tag.
public enum ExclusiveCanonicalization {
    public static let algorithm = "http://www.w3.org/2001/10/xml-exc-c14n#"

    /// `excluding` is left out with everything under it (the enveloped-signature transform).
    public static func canonicalize(_ element: XMLTree.Element, excluding: XMLTree.Element? = nil, inclusivePrefixes: [String] = []) -> [UInt8] {
        var out: [UInt8] = []
        let inclusive = inclusivePrefixes.map { $0 == "#default" ? "" : $0 }
        write(element, rendered: ["": ""], excluding: excluding, inclusive: inclusive, into: &out)
        return out
    }

    private static func write(_ element: XMLTree.Element, rendered: [String: String], excluding: XMLTree.Element?, inclusive: [String],
                              into out: inout [UInt8]) {
        var used: Set<String> = [element.prefix]
        for attribute in element.attributes where !attribute.prefix.isEmpty { used.insert(attribute.prefix) }
        for prefix in inclusive where element.namespaces[prefix] != nil { used.insert(prefix) }
        used.remove("xml")
        var rendering = rendered
        var declarations: [(prefix: String, uri: String)] = []
        for prefix in used {
            let uri = element.namespaces[prefix] ?? ""
            if rendering[prefix] == uri || (uri.isEmpty && rendering[prefix] == nil) { continue }
            declarations.append((prefix, uri))
            rendering[prefix] = uri
        }
        declarations.sort { Array($0.prefix.utf8).lexicographicallyPrecedes(Array($1.prefix.utf8)) }
        let attributes = element.attributes.sorted { a, b in
            let (aNamespace, bNamespace) = (Array(a.namespace.utf8), Array(b.namespace.utf8))
            if aNamespace != bNamespace { return aNamespace.lexicographicallyPrecedes(bNamespace) }
            return Array(a.localName.utf8).lexicographicallyPrecedes(Array(b.localName.utf8))
        }

        out.append(UInt8(ascii: "<"))
        out += Array(element.qualifiedName.utf8)
        for (prefix, uri) in declarations {
            out += Array((prefix.isEmpty ? " xmlns=\"" : " xmlns:\(prefix)=\"").utf8)
            escape(uri, attribute: true, into: &out)
            out.append(UInt8(ascii: "\""))
        }
        for attribute in attributes {
            out.append(0x20)
            out += Array((attribute.prefix.isEmpty ? attribute.localName : "\(attribute.prefix):\(attribute.localName)").utf8)
            out += Array("=\"".utf8)
            escape(attribute.value, attribute: true, into: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: ">"))
        for child in element.children {
            switch child {
            case .text(let text):
                escape(text, attribute: false, into: &out)
            case .element(let inner):
                if let excluding, inner === excluding { continue }
                write(inner, rendered: rendering, excluding: excluding, inclusive: inclusive, into: &out)
            }
        }
        out += Array("</\(element.qualifiedName)>".utf8)
    }

    private static func escape(_ text: String, attribute: Bool, into out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out += Array("&amp;".utf8)
            case UInt8(ascii: "<"): out += Array("&lt;".utf8)
            case UInt8(ascii: ">") where !attribute: out += Array("&gt;".utf8)
            case UInt8(ascii: "\"") where attribute: out += Array("&quot;".utf8)
            case 0x09 where attribute: out += Array("&#x9;".utf8)
            case 0x0A where attribute: out += Array("&#xA;".utf8)
            case 0x0D: out += Array("&#xD;".utf8)
            default: out.append(byte)
            }
        }
    }
}

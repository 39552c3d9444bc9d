import Foundation

/// Just enough XML for AWS's query-protocol answers (IAM, STS): element text and `<member>` lists.
public enum QueryXML {
    /// The text of the first `<name>` element, with XML's five entities decoded.
    public static func value(_ name: String, in xml: Substring) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml[open.upperBound...].range(of: "</\(name)>") else { return nil }
        return decode(xml[open.upperBound..<close.lowerBound])
    }

    public static func value(_ name: String, in xml: String) -> String? { value(name, in: Substring(xml)) }

    /// The `<member>` blocks directly inside the first `<container>`, nested lists kept whole.
    public static func members(of container: String, in xml: String) -> [Substring] {
        guard let open = xml.range(of: "<\(container)>"), let close = xml[open.upperBound...].range(of: "</\(container)>") else { return [] }
        let body = xml[open.upperBound..<close.lowerBound]
        var out: [Substring] = []
        var depth = 0
        var start = body.startIndex
        var index = body.startIndex
        while let tag = body[index...].firstIndex(of: "<") {
            let rest = body[tag...]
            if rest.hasPrefix("<member>") {
                if depth == 0 { start = body.index(tag, offsetBy: 8) }
                depth += 1
                index = body.index(tag, offsetBy: 8)
            } else if rest.hasPrefix("</member>") {
                depth -= 1
                if depth == 0 { out.append(body[start..<tag]) }
                index = body.index(tag, offsetBy: 9)
            } else {
                index = body.index(after: tag)
            }
        }
        return out
    }

    static func decode(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = String(text)
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&apos;", "'"), ("&#xA;", "\n"), ("&#xD;", "\r"), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: entity, with: character)
        }
        return out
    }
}

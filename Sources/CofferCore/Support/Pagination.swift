import Foundation

/// Opaque NextTokens over an ordered list: the token carries the offset of the next page.
public enum Pagination {
    public static func page<T>(_ items: [T], size: Int, token: String?, invalid: CofferError.Code = .invalidNextToken) throws(CofferError) -> (items: [T], nextToken: String?) {
        var start = 0
        if let token {
            guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
                text.hasPrefix("offset:"), let offset = Int(text.dropFirst(7)), offset >= 0
            else { throw CofferError(invalid, Self.invalidMessages[invalid] ?? "The NextToken value is invalid.") }
            start = offset
        }
        guard start < items.count else { return ([], nil) }
        let end = min(items.count, start + size)
        let next = end < items.count ? Data("offset:\(end)".utf8).base64EncodedString() : nil
        return (Array(items[start..<end]), next)
    }

    /// How each service words a token it did not issue.
    static let invalidMessages: [CofferError.Code: String] = [.invalidMarker: "Invalid marker", .invalidInput: "Invalid Marker."]
}

import CofferCore
import CofferStorage
import Foundation

/// NextToken for listings read a page at a time from the store: where the last page ended, and the
/// order it was read in (a token is only good for the same order): a record order, or a date sort.
enum RecordPageToken {
    static func token(_ cursor: RecordCursor, order: String, descending: Bool) -> String {
        Data("after:\(order):\(descending ? "desc" : "asc"):\(cursor.position):\(cursor.name)".utf8).base64EncodedString()
    }

    static func cursor(_ token: String, order: String, descending: Bool) throws(CofferError) -> RecordCursor {
        let invalid = CofferError(.invalidNextToken, "The NextToken value is invalid.")
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8) else { throw invalid }
        let parts = text.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "after", parts[1] == order, parts[2] == (descending ? "desc" : "asc"),
            let position = Int64(parts[3])
        else { throw invalid }
        return RecordCursor(position: position, name: String(parts[4]))
    }
}

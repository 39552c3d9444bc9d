import CofferCore
import CofferStorage
import CofferWire
import Crypto
import Foundation

/// LookupEvents: the audit trail as CloudTrail's event history answers it, newest first.
extension CloudTrailHandler {
    static let maxResults = 50
    /// Records read per storage round trip while looking for matches.
    static let scanPage = 500

    func lookupEvents(_ r: JSONRequest, context: CallerContext) async throws -> JSONValue {
        let attributes = try r.structures("LookupAttributes") ?? []
        guard attributes.count <= 1 else {
            throw CofferError(.invalidLookupAttributes, "You cannot specify more than one lookup attribute.")
        }
        var attribute: (key: EventLookup.Attribute, value: String)?
        if let item = attributes.first {
            let name = try item.requiredString("AttributeKey")
            guard let key = EventLookup.Attribute(rawValue: name) else {
                throw CofferError(.invalidLookupAttributes, "\(name) is not a valid lookup attribute key.")
            }
            attribute = (key, try item.requiredString("AttributeValue", min: 1, max: 2000))
        }
        let start = try r.date("StartTime")
        let end = try r.date("EndTime")
        if let start, let end, start > end { throw CofferError(.invalidTimeRange, "Start time must be before end time.") }
        let category = try r.string("EventCategory")
        if let category, category != "insight" {
            throw CofferError(.invalidEventCategory, "\(category) is not a valid event category.")
        }
        let limit = try r.integer("MaxResults") ?? Self.maxResults
        guard (1...Self.maxResults).contains(limit) else {
            throw CofferError(.invalidMaxResults, "MaxResults must be between 1 and \(Self.maxResults).")
        }
        // Coffer records no Insights events: that category is empty.
        if category == "insight" { return .object(["Events": []]) }
        let fingerprint = Self.fingerprint(attribute, start, end)
        var before: Int?
        if let token = try r.string("NextToken") {
            guard let position = Self.position(token, fingerprint: fingerprint) else {
                throw CofferError(.invalidNextToken, "Invalid NextToken.")
            }
            before = position
        }
        // Calls answered a moment ago may still be staged: chain them so the lookup sees them.
        try await trail.chainStagedAudit()
        // Time is matched in storage, on the exact call time; the lookup matches the attribute.
        let lookup = EventLookup(attribute: attribute, start: nil, end: nil)
        let needle = lookup.requiredBytes
        var events: [JSONValue] = []
        var next: Int?
        scan: while true {
            let page = try await trail.auditEntries(before: before, from: start, to: end, limit: Self.scanPage)
            for entry in page {
                guard lookup.mayMatch(entry.record, requiring: needle), let event = CloudTrailEvent(stored: entry.record),
                    event.recipientAccountID == context.scope.account, event.region == context.scope.region, lookup.matches(event)
                else { continue }
                if events.count == limit {
                    next = before
                    break scan
                }
                events.append(Self.shape(event, record: CloudTrailEvent.isCompact(entry.record) ? event.record : entry.record))
                before = entry.sequence
            }
            guard page.count == Self.scanPage, let last = page.last else { break }
            before = last.sequence
        }
        var out: JSONObject = ["Events": .array(events)]
        if let next { out["NextToken"] = .string(Self.token(next, fingerprint: fingerprint)) }
        return .object(out)
    }

    /// One entry of `Events`, with the record itself as the CloudTrailEvent string.
    static func shape(_ event: CloudTrailEvent, record: [UInt8]) -> JSONValue {
        var out: JSONObject = ["EventId": .string(event.eventID), "EventName": .string(event.eventName),
                               "ReadOnly": .string(String(event.readOnly))]
        if let key = event.identity.accessKeyID { out["AccessKeyId"] = .string(key) }
        out["EventTime"] = JSONResponse.timestamp(event.eventTime)
        out["EventSource"] = .string(event.eventSource)
        if let name = event.identity.lookupName { out["Username"] = .string(name) }
        out["Resources"] = .array(event.resources.map { ["ResourceType": .string($0.type), "ResourceName": .string($0.name)] })
        out["CloudTrailEvent"] = .string(String(decoding: record, as: UTF8.self))
        return .object(out)
    }

    /// A token names the position to continue below and the query it belongs to, so a token from
    /// another query is refused, as CloudTrail refuses it.
    static func token(_ position: Int, fingerprint: String) -> String {
        Data("\(position):\(fingerprint)".utf8).base64EncodedString()
    }

    static func position(_ token: String, fingerprint: String) -> Int? {
        guard let data = Data(base64Encoded: token) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":")
        guard parts.count == 2, parts[1] == fingerprint, let position = Int(parts[0]), position > 0 else { return nil }
        return position
    }

    static func fingerprint(_ attribute: (key: EventLookup.Attribute, value: String)?, _ start: Date?, _ end: Date?) -> String {
        let text = "\(attribute?.key.rawValue ?? "")\u{0}\(attribute?.value ?? "")\u{0}\(start?.timeIntervalSince1970 ?? 0)\u{0}\(end?.timeIntervalSince1970 ?? 0)"
        return Hex.encode(SHA256.hash(data: Array(text.utf8)).prefix(8))
    }
}

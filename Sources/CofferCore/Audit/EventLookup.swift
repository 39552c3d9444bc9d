public import Foundation

/// LookupEvents' query: one lookup attribute, a time range, newest first, paged.
public struct EventLookup: Sendable {
    public enum Attribute: String, Sendable, CaseIterable {
        case eventID = "EventId", eventName = "EventName", readOnly = "ReadOnly", username = "Username"
        case resourceType = "ResourceType", resourceName = "ResourceName", eventSource = "EventSource", accessKeyID = "AccessKeyId"
    }

    public let attribute: (key: Attribute, value: String)?
    public let start: Date?
    public let end: Date?

    public init(attribute: (key: Attribute, value: String)?, start: Date?, end: Date?) {
        self.attribute = attribute
        self.start = start
        self.end = end
    }

    public func matches(_ event: CloudTrailEvent) -> Bool {
        if let start, event.eventTime < start { return false }
        if let end, event.eventTime > end { return false }
        guard let (key, value) = attribute else { return true }
        switch key {
        case .eventID: return event.eventID == value
        case .eventName: return event.eventName == value
        case .readOnly: return String(event.readOnly) == value
        case .username: return event.identity.lookupName == value
        case .resourceType: return event.resources.contains { $0.type == value }
        case .resourceName: return event.resources.contains { $0.name == value }
        case .eventSource: return event.eventSource == value
        case .accessKeyID: return event.identity.accessKeyID == value
        }
    }

    /// One page of `events` (already newest first): those matching, starting after the token's
    /// position. The token is the sequence of the last event returned, so pages stay stable while
    /// new events arrive.
    public func page(_ events: [(sequence: Int, event: CloudTrailEvent)], after token: Int?, limit: Int)
        -> (events: [CloudTrailEvent], next: Int?)
    {
        var out: [CloudTrailEvent] = []
        var last: Int?
        for (sequence, event) in events {
            if let token, sequence >= token { continue }
            guard matches(event) else { continue }
            if out.count == limit { return (out, last) }
            out.append(event)
            last = sequence
        }
        return (out, nil)
    }
}

public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// LookupEvents' query: one lookup attribute, a time range, newest first, paged.
public struct EventLookup: Sendable {
    public enum Attribute: String, Sendable, CaseIterable {
        case eventID = "EventId", eventName = "EventName", readOnly = "ReadOnly", username = "Username"
        case resourceType = "ResourceType", resourceName = "ResourceName", eventSource = "EventSource", accessKeyID = "AccessKeyId"
    }

    public let attribute: (key: Attribute, value: String)?
    public let start: Date?
    public let end: Date?
    /// What ``mayMatch(_:requiring:)`` looks for in a compact record, whose strings are stored
    /// unescaped and which has no `readOnly` member.
    private let storedNeedle: [UInt8]?

    public init(attribute: (key: Attribute, value: String)?, start: Date?, end: Date?) {
        self.attribute = attribute
        self.start = start
        self.end = end
        storedNeedle = attribute.flatMap { $0.key == .readOnly ? nil : Array($0.value.utf8) }
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

    /// Bytes that every matching record's JSON contains, so a scan can pass over the others without
    /// parsing them (a lookup for a rare event name reads the whole trail). Nil when no such bytes
    /// can be named: no attribute, or a value with non-ASCII text, which Swift compares by
    /// canonical equivalence rather than by bytes.
    public var requiredBytes: [UInt8]? {
        guard let (key, value) = attribute, value.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        if key == .readOnly { return Array("\"readOnly\":\(value)".utf8) }
        // Usernames are the last part of an ARN or the user name; every other attribute is a whole
        // string member. Either way the value's JSON-escaped text occurs in the record.
        var quoted: [UInt8] = []
        JSONWriter.writeString(value, into: &quoted)
        return Array(quoted.dropFirst().dropLast())
    }

    /// Whether `record` (as stored, in either form) may match: false only when it lacks
    /// ``requiredBytes``, or in the compact form the value's own bytes.
    public func mayMatch(_ record: [UInt8], requiring needle: [UInt8]?) -> Bool {
        guard let needle, !needle.isEmpty else { return true }
        if CloudTrailEvent.isCompact(record) {
            guard let storedNeedle else { return true }
            return Self.contains(record, storedNeedle)
        }
        return Self.contains(record, needle)
    }

    private static func contains(_ record: [UInt8], _ needle: [UInt8]) -> Bool {
        record.withUnsafeBytes { haystack in
            needle.withUnsafeBytes { pattern in
                guard let base = haystack.baseAddress, let target = pattern.baseAddress, haystack.count >= pattern.count else { return false }
                let first = Int32(pattern[0])
                var offset = 0
                let lastStart = haystack.count - pattern.count
                // memchr to each candidate first byte, memcmp for the rest (glibc's memmem is not exported to Swift).
                while offset <= lastStart, let found = memchr(base + offset, first, lastStart - offset + 1) {
                    let position = base.distance(to: UnsafeRawPointer(found))
                    if memcmp(found, target, pattern.count) == 0 { return true }
                    offset = position + 1
                }
                return false
            }
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

public import CofferCore
import Foundation

/// How a record is stored: one JSON document, dates as seconds since 1970. Written by the
/// streaming encoder (a record is encoded on every write), read by Foundation's decoder.
public enum RecordDocument {
    public static func encode<R: Record>(_ record: R) throws -> [UInt8] {
        try StreamingJSONEncoder.encode(record)
    }

    public static func decode<R: Record>(_ type: R.Type, from bytes: some Collection<UInt8>) throws -> R {
        try decodeValue(R.self, from: bytes)
    }

    /// A record's parts kept apart, one document each, in the same encoding, without their labels
    /// (see ``encodeHead(_:)``).
    public static func encodePart<P: PartedRecord>(_ part: P.Part, of type: P.Type) throws -> [UInt8] {
        try StreamingJSONEncoder.encode(P.part(part, labeled: []))
    }

    /// The document of a record whose parts are kept apart: the record without its parts, and the
    /// parts' labels by part key as the member `partLabels` (which the record's own decoding skips).
    public static func encodeHead<P: PartedRecord>(_ record: P) throws -> [UInt8] {
        var head = record
        head.parts = []
        var doc = try encode(head)
        guard doc.count >= 2, doc.last == UInt8(ascii: "}") else { return doc }
        doc.removeLast()
        if doc.count > 1 { doc.append(UInt8(ascii: ",")) }
        doc.append(contentsOf: #""partLabels":{"#.utf8)
        var first = true
        for part in record.parts {
            let labels = P.labels(of: part)
            if labels.isEmpty { continue }
            if !first { doc.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.writeString(P.key(of: part), into: &doc)
            doc.append(contentsOf: ":[".utf8)
            for (index, label) in labels.enumerated() {
                if index > 0 { doc.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(label, into: &doc)
            }
            doc.append(UInt8(ascii: "]"))
        }
        doc.append(contentsOf: "}}".utf8)
        return doc
    }

    private struct HeadLabels: Decodable {
        let partLabels: [String: [String]]?
    }

    /// Parts read back from their documents, labeled as the record's document (``encodeHead(_:)``)
    /// says: labels the part documents hold (written before labels moved) are not used.
    public static func labeledParts<P: PartedRecord>(_ parts: [P.Part], head: some Collection<UInt8>, of type: P.Type) throws -> [P.Part] {
        let labels = try decodeValue(HeadLabels.self, from: head).partLabels ?? [:]
        return parts.map { P.part($0, labeled: labels[P.key(of: $0)] ?? []) }
    }

    /// Parts read back in order: decoded as one array, joined from their documents.
    public static func decodeParts<P: PartedRecord>(_ documents: [[UInt8]], of type: P.Type) throws -> [P.Part] {
        var joined: [UInt8] = [UInt8(ascii: "[")]
        for (index, document) in documents.enumerated() {
            if index > 0 { joined.append(UInt8(ascii: ",")) }
            joined += document
        }
        joined.append(UInt8(ascii: "]"))
        return try decodeValue([P.Part].self, from: joined)
    }

    private static func decodeValue<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(T.self, from: Data(bytes))
    }
}

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

    /// A record's parts kept apart, one document each, in the same encoding.
    public static func encodePart<P: PartedRecord>(_ part: P.Part, of type: P.Type) throws -> [UInt8] {
        try StreamingJSONEncoder.encode(part)
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

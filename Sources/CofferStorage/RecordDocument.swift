public import CofferCore
import Foundation

/// How a record is stored: one JSON document, dates as seconds since 1970. Written by the
/// streaming encoder (a record is encoded on every write), read by Foundation's decoder.
public enum RecordDocument {
    public static func encode<R: Record>(_ record: R) throws -> [UInt8] {
        try StreamingJSONEncoder.encode(record)
    }

    public static func decode<R: Record>(_ type: R.Type, from bytes: some Collection<UInt8>) throws -> R {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(R.self, from: Data(bytes))
    }
}

public import struct Foundation.Date

/// The form audit records are stored in: CloudTrail's record without its member names and
/// constant members. Every call stores one record, and the stored bytes are what the
/// audit writer hashes into the chain, copies into staging (with a CRC) and writes into the WAL:
/// a read's JSON record ran to some 830 bytes, this one to about 330. Readers take either form
/// (``CloudTrailEvent/init(stored:)``; records written before it are JSON and stay so, since the
/// chain's hashes cover the bytes as stored), and LookupEvents and `coffer audit export` still
/// hand out CloudTrail's JSON (``CloudTrailEvent/cloudTrailJSON(stored:)``).
///
/// Layout: the marker byte (JSON starts with `{`), two bytes of flags (which optional members are
/// present), the identity's kind, the event time in whole seconds (what the JSON keeps), then the
/// members as varint-length-prefixed UTF-8 in a fixed order, JSON values (request parameters,
/// response elements) as their JSON text with a four-byte length. Strings are stored as they are,
/// not escaped, so LookupEvents' byte pre-filter looks for the value's own bytes in this form.
extension CloudTrailEvent {
    static let compactMarker: UInt8 = 0x01

    private enum Flag {
        static let arn: UInt16 = 1 << 0
        static let accountID: UInt16 = 1 << 1
        static let accessKeyID: UInt16 = 1 << 2
        static let userName: UInt16 = 1 << 3
        static let invokedBy: UInt16 = 1 << 4
        static let session: UInt16 = 1 << 5
        static let errorCode: UInt16 = 1 << 6
        static let errorMessage: UInt16 = 1 << 7
        static let additionalEventData: UInt16 = 1 << 8
        static let serviceEvent: UInt16 = 1 << 9
    }

    /// A kind is stored as its place here: append new kinds, never reorder (a unit test checks every kind is listed).
    static let kinds: [AuditIdentity.Kind] = [.root, .iamUser, .assumedRole, .federatedUser, .awsService, .webIdentityUser]

    /// Whether stored bytes are in the compact form (the JSON form starts with `{`).
    public static func isCompact(_ stored: [UInt8]) -> Bool { stored.first == compactMarker }

    /// The record as it is stored.
    public var storedRecord: [UInt8] {
        var out = CompactWriter()
        // A read's record with an SDK's user agent runs to some 450 bytes.
        out.bytes.reserveCapacity(640)
        out.bytes.append(Self.compactMarker)
        let identity = self.identity
        var flags: UInt16 = 0
        if identity.arn != nil { flags |= Flag.arn }
        if identity.accountID != nil { flags |= Flag.accountID }
        if identity.accessKeyID != nil { flags |= Flag.accessKeyID }
        if identity.userName != nil { flags |= Flag.userName }
        if identity.invokedBy != nil { flags |= Flag.invokedBy }
        if identity.session != nil { flags |= Flag.session }
        if errorCode != nil { flags |= Flag.errorCode }
        if errorMessage != nil { flags |= Flag.errorMessage }
        if additionalEventData != nil { flags |= Flag.additionalEventData }
        if eventType == .serviceEvent { flags |= Flag.serviceEvent }
        out.bytes.append(UInt8(truncatingIfNeeded: flags))
        out.bytes.append(UInt8(truncatingIfNeeded: flags >> 8))
        out.bytes.append(UInt8(Self.kinds.firstIndex(of: identity.kind) ?? 0))
        out.seconds(eventTime)
        out.string(identity.principalID)
        if let arn = identity.arn { out.string(arn) }
        if let accountID = identity.accountID { out.string(accountID) }
        if let accessKeyID = identity.accessKeyID { out.string(accessKeyID) }
        if let userName = identity.userName { out.string(userName) }
        if let invokedBy = identity.invokedBy { out.string(invokedBy) }
        if let session = identity.session {
            out.string(session.issuerType)
            out.string(session.issuerPrincipalID)
            out.string(session.issuerARN)
            out.string(session.issuerUserName)
            out.seconds(session.creationDate)
        }
        out.string(eventSource)
        out.string(eventName)
        out.string(region)
        out.string(sourceIP)
        out.string(userAgent)
        if let errorCode { out.string(errorCode) }
        if let errorMessage { out.string(errorMessage) }
        out.json(requestParameters)
        out.json(responseElements)
        if let additionalEventData { out.json(additionalEventData) }
        out.string(requestID)
        out.string(eventID)
        out.varint(UInt64(resources.count))
        for resource in resources {
            out.string(resource.name)
            out.string(resource.type)
        }
        out.string(recipientAccountID)
        return out.bytes
    }

    /// Reads a stored record in either form; nil for bytes that are neither (an edited record).
    public init?(stored bytes: [UInt8]) {
        guard bytes.first == Self.compactMarker else {
            guard bytes.first == UInt8(ascii: "{"), let value = try? JSONParser.parse(bytes), let event = CloudTrailEvent(json: value) else {
                return nil
            }
            self = event
            return
        }
        var reader = ByteReader(bytes)
        guard reader.byte() == Self.compactMarker, let low = reader.byte(), let high = reader.byte(), let kindIndex = reader.byte(),
              Int(kindIndex) < Self.kinds.count, let time = reader.seconds(), let principalID = reader.string()
        else { return nil }
        let flags = UInt16(low) | UInt16(high) << 8
        func optional(_ flag: UInt16) -> String?? { flags & flag == 0 ? .some(nil) : reader.string().map { .some($0) } }
        guard let arn = optional(Flag.arn), let accountID = optional(Flag.accountID), let accessKeyID = optional(Flag.accessKeyID),
              let userName = optional(Flag.userName), let invokedBy = optional(Flag.invokedBy) else { return nil }
        var session: AuditIdentity.Session?
        if flags & Flag.session != 0 {
            guard let type = reader.string(), let issuerPrincipalID = reader.string(), let issuerARN = reader.string(),
                  let issuerUserName = reader.string(), let created = reader.seconds() else { return nil }
            session = AuditIdentity.Session(issuerType: type, issuerPrincipalID: issuerPrincipalID, issuerARN: issuerARN,
                                            issuerUserName: issuerUserName, creationDate: created)
        }
        guard let source = reader.string(), let name = reader.string(), let region = reader.string(), let sourceIP = reader.string(),
              let userAgent = reader.string(), let errorCode = optional(Flag.errorCode), let errorMessage = optional(Flag.errorMessage),
              let parameters = reader.json(), let elements = reader.json()
        else { return nil }
        var additional: JSONValue?
        if flags & Flag.additionalEventData != 0 {
            guard let value = reader.json() else { return nil }
            additional = value
        }
        guard let requestID = reader.string(), let eventID = reader.string(), let count = reader.varint(), count <= UInt64(bytes.count)
        else { return nil }
        var resources: [AuditResource] = []
        for _ in 0..<Int(count) {
            guard let resourceName = reader.string(), let type = reader.string() else { return nil }
            resources.append(AuditResource(type: type, name: resourceName))
        }
        guard let recipient = reader.string(), reader.rest.isEmpty else { return nil }
        let identity = AuditIdentity(kind: Self.kinds[Int(kindIndex)], principalID: principalID, arn: arn, accountID: accountID,
                                     accessKeyID: accessKeyID, userName: userName, session: session, invokedBy: invokedBy)
        self.init(eventID: eventID, eventTime: time, eventSource: source, eventName: name, region: region, sourceIP: sourceIP,
                  userAgent: userAgent, identity: identity, requestParameters: parameters, responseElements: elements,
                  errorCode: errorCode, errorMessage: errorMessage, requestID: requestID, resources: resources,
                  eventType: flags & Flag.serviceEvent != 0 ? .serviceEvent : .apiCall, recipientAccountID: recipient)
        additionalEventData = additional
    }

    /// A stored record as CloudTrail's JSON: a JSON record as it was stored, a compact one written
    /// out; nil for bytes that are neither.
    public static func cloudTrailJSON(stored bytes: [UInt8]) -> [UInt8]? {
        if bytes.first == UInt8(ascii: "{") { return bytes }
        return CloudTrailEvent(stored: bytes)?.record
    }
}

private struct CompactWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Whole seconds, as CloudTrail's timestamps keep them.
    mutating func seconds(_ date: Date) {
        varint(UInt64(bitPattern: Int64(date.timeIntervalSince1970.rounded(.down))))
    }

    mutating func string(_ text: String) {
        // Native strings are contiguous UTF-8: read in place, without the copy `withUTF8` needs a variable for.
        if text.utf8.withContiguousStorageIfAvailable({ string($0) }) == nil {
            Array(text.utf8).withUnsafeBufferPointer { string($0) }
        }
    }

    private mutating func string(_ utf8: UnsafeBufferPointer<UInt8>) {
        varint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// The value's JSON text behind a four-byte big-endian length (``ByteReader/u32()``), patched once the text is written.
    mutating func json(_ value: JSONValue) {
        let start = bytes.count
        bytes.append(contentsOf: [0, 0, 0, 0])
        JSONWriter.write(value, into: &bytes)
        let length = UInt32(truncatingIfNeeded: bytes.count - start - 4)
        for index in 0..<4 { bytes[start + index] = UInt8(truncatingIfNeeded: length >> (8 * (3 - index))) }
    }
}

/// The compact form's fields, read with the envelope's ``ByteReader``.
private extension ByteReader {
    mutating func byte() -> UInt8? { take(1).map { $0[$0.startIndex] } }

    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64, let byte = byte() {
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }

    mutating func seconds() -> Date? {
        varint().map { Date(timeIntervalSince1970: Double(Int64(bitPattern: $0))) }
    }

    mutating func string() -> String? {
        guard let length = varint(), length <= UInt64(Int32.max), let slice = take(Int(length)) else { return nil }
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func json() -> JSONValue? {
        guard let length = u32(), let slice = take(Int(length)) else { return nil }
        return try? JSONParser.parse(slice)
    }
}

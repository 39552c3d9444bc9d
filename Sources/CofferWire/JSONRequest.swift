public import CofferCore
public import Foundation

/// Reads the members of an AWS JSON 1.1 request body with the model's type and length
/// constraints, failing with AWS's SerializationException or ValidationException.
///
/// Sensitive members are never echoed in a message.
public struct JSONRequest: Sendable {
    public let body: JSONObject

    public init(body: [UInt8]) throws(CofferError) {
        // An empty body is an empty request, as AWS treats it.
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            self.body = JSONObject()
            return
        }
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch {
            throw .serialization("Unable to parse the request body as JSON: \(error.reason) at offset \(error.offset)")
        }
        guard let object = value.objectValue else {
            throw .serialization("Start of list found where not expected")
        }
        self.body = object
    }

    public init(object: JSONObject) { body = object }

    /// AWS names members in validation messages in lower camel case.
    static func path(_ member: String) -> String { member.prefix(1).lowercased() + member.dropFirst() }

    private func present(_ member: String) -> JSONValue? {
        guard let value = body[member], value != .null else { return nil }
        return value
    }

    private func typeError(_ member: String, _ expected: String, _ value: JSONValue) -> CofferError {
        .serialization("Unexpected \(value.typeName) for member '\(member)': expected \(expected)")
    }

    public func required<T>(_ member: String, _ value: T?) throws(CofferError) -> T {
        guard let value else {
            throw .validation("1 validation error detected: Value null at '\(Self.path(member))' failed to satisfy constraint: Member must not be null")
        }
        return value
    }

    public func string(_ member: String, min: Int = 0, max: Int = .max, sensitive: Bool = false) throws(CofferError) -> String? {
        guard let value = present(member) else { return nil }
        guard let string = value.stringValue else { throw typeError(member, "string", value) }
        // Lengths count UTF-16 units, as AWS's Java front end (and ModelValidation) do; counting
        // Characters ran grapheme breaking over every value, 1.3% of a PutSecretValue's instructions.
        try Self.checkLength(string.utf16.count, member: member, shown: sensitive ? nil : string, min: min, max: max)
        return string
    }

    public func requiredString(_ member: String, min: Int = 0, max: Int = .max) throws(CofferError) -> String {
        try required(member, try string(member, min: min, max: max))
    }

    public func bool(_ member: String) throws(CofferError) -> Bool? {
        guard let value = present(member) else { return nil }
        guard let bool = value.boolValue else { throw typeError(member, "boolean", value) }
        return bool
    }

    public func integer(_ member: String, min: Int? = nil, max: Int? = nil) throws(CofferError) -> Int? {
        guard let value = present(member) else { return nil }
        guard let number = value.numberValue, number == number.rounded(), abs(number) < 9.0e15 else {
            throw typeError(member, "integer", value)
        }
        let integer = Int(number)
        if let min, integer < min {
            throw .validation("1 validation error detected: Value '\(integer)' at '\(Self.path(member))' failed to satisfy constraint: Member must have value greater than or equal to \(min)")
        }
        if let max, integer > max {
            throw .validation("1 validation error detected: Value '\(integer)' at '\(Self.path(member))' failed to satisfy constraint: Member must have value less than or equal to \(max)")
        }
        return integer
    }

    /// A timestamp member: epoch seconds, as the SDKs send them in JSON 1.1.
    public func date(_ member: String) throws(CofferError) -> Date? {
        guard let value = present(member) else { return nil }
        guard let seconds = value.numberValue else { throw typeError(member, "timestamp", value) }
        return Date(timeIntervalSince1970: seconds)
    }

    /// A blob member, base64 in the JSON body.
    public func blob(_ member: String, min: Int = 0, max: Int = .max, sensitive: Bool = false) throws(CofferError) -> [UInt8]? {
        guard let value = present(member) else { return nil }
        guard let text = value.stringValue else { throw typeError(member, "blob", value) }
        guard let bytes = Base64.decode(text) else {
            throw .serialization("Base64 encoded value for member '\(member)' is not valid")
        }
        try Self.checkLength(bytes.count, member: member, shown: sensitive ? nil : text, min: min, max: max)
        return bytes
    }

    public func list(_ member: String, min: Int = 0, max: Int = .max) throws(CofferError) -> [JSONValue]? {
        guard let value = present(member) else { return nil }
        guard let list = value.arrayValue else { throw typeError(member, "list", value) }
        try Self.checkLength(list.count, member: member, shown: nil, min: min, max: max)
        return list
    }

    public func stringList(_ member: String, min: Int = 0, max: Int = .max, itemMin: Int = 0, itemMax: Int = .max)
        throws(CofferError) -> [String]?
    {
        guard let list = try list(member, min: min, max: max) else { return nil }
        var strings: [String] = []
        for item in list {
            guard let string = item.stringValue else { throw typeError(member, "string", item) }
            try Self.checkLength(string.utf16.count, member: member, shown: string, min: itemMin, max: itemMax)
            strings.append(string)
        }
        return strings
    }

    /// A map of strings to strings, such as an encryption context.
    public func stringMap(_ member: String) throws(CofferError) -> [String: String]? {
        guard let value = present(member) else { return nil }
        guard let object = value.objectValue else { throw typeError(member, "map", value) }
        var map: [String: String] = [:]
        for (key, item) in object.members {
            guard let string = item.stringValue else { throw typeError(member, "string", item) }
            map[key] = string
        }
        return map
    }

    /// A nested structure, as its own reader.
    public func structure(_ member: String) throws(CofferError) -> JSONRequest? {
        guard let value = present(member) else { return nil }
        guard let object = value.objectValue else { throw typeError(member, "structure", value) }
        return JSONRequest(object: object)
    }

    /// A string member that must be one of `allowed`.
    public func enumeration(_ member: String, _ allowed: [String]) throws(CofferError) -> String? {
        guard let text = try string(member) else { return nil }
        guard allowed.contains(text) else {
            throw .validation("1 validation error detected: Value '\(text)' at '\(Self.path(member))' failed to satisfy constraint: Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]")
        }
        return text
    }

    /// Each element of a list of structures, as its own reader.
    public func structures(_ member: String, min: Int = 0, max: Int = .max) throws(CofferError) -> [JSONRequest]? {
        guard let list = try list(member, min: min, max: max) else { return nil }
        var readers: [JSONRequest] = []
        for item in list {
            guard let object = item.objectValue else { throw typeError(member, "structure", item) }
            readers.append(JSONRequest(object: object))
        }
        return readers
    }

    public static func checkLength(_ length: Int, member: String, shown: String?, min: Int, max: Int) throws(CofferError) {
        // The message's text is built only when it is thrown: this runs for every member read.
        var value: String { shown.map { "Value '\($0)' at" } ?? "Value at" }
        if length < min {
            throw .validation("1 validation error detected: \(value) '\(path(member))' failed to satisfy constraint: Member must have length greater than or equal to \(min)")
        }
        if length > max {
            throw .validation("1 validation error detected: \(value) '\(path(member))' failed to satisfy constraint: Member must have length less than or equal to \(max)")
        }
    }
}

/// Helpers for building JSON 1.1 responses.
public enum JSONResponse {
    public static func timestamp(_ date: Date) -> JSONValue {
        // Millisecond precision, as AWS's timestamps carry.
        .number((date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    public static func base64(_ bytes: [UInt8]) -> JSONValue { .string(Base64.encode(bytes)) }

    /// The body of an error response.
    public static func errorBody(code: String, message: String, service: String? = nil) -> [UInt8] {
        var body: JSONObject = ["__type": .string(code)]
        // Some errors carry no text at all (KMS's InvalidCiphertextException, KMSInvalidSignatureException,
        // KMSInvalidMacException, a symmetric key's GetPublicKey): AWS sends no message member for them.
        if !message.isEmpty { body[ErrorTable.messageMember(code: code, service: service)] = .string(message) }
        // Access Analyzer's ValidationException carries a reason.
        if service == "access-analyzer", code == "ValidationException" { body["reason"] = .string("fieldValidationFailed") }
        return JSONWriter.bytes(.object(body))
    }
}

import CofferCore
import Foundation
import Testing

/// The streaming encoder writes what JSONEncoder (seconds-since-1970 dates, base64 data) writes, as
/// JSON values, and JSONDecoder reads it back to the same value: stored records stay readable
/// whichever encoder wrote them.
@Suite struct StreamingJSONEncoderTests {
    enum Colour: String, Codable, Equatable { case red, green }
    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case labelled(String, Int)
        case none
    }

    struct Inner: Codable, Equatable {
        var name: String
        var when: Date?
        var bytes: [UInt8]
    }

    struct Sample: Codable, Equatable {
        var text: String
        var escaped: String
        var optionalAbsent: String?
        var optionalPresent: Int?
        var flag: Bool
        var integer: Int
        var big: UInt64
        var negative: Int64
        var fraction: Double
        var tiny: Double
        var huge: Double
        var date: Date
        var data: Data
        var colour: Colour
        var shapes: [Shape]
        var inner: Inner
        var inners: [Inner]
        var map: [String: [Int]]
        var intKeyed: [Int: String]
        var nested: [[String?]]
        var emptyArray: [String]
        var emptyMap: [String: String]
    }

    static let sample = Sample(
        text: "plain", escaped: "quote \" backslash \\ slash / newline \n tab \t bell \u{7} unicode é 🔐", optionalAbsent: nil,
        optionalPresent: 7, flag: true, integer: -42, big: UInt64.max, negative: Int64.min, fraction: 1_764_806_400.123456, tiny: 1e-7,
        huge: 3.5e300, date: Date(timeIntervalSince1970: 1_764_806_400.25), data: Data([0, 1, 2, 250, 255]), colour: .green,
        shapes: [.circle(radius: 2.5), .labelled("x", 3), .none],
        inner: Inner(name: "in", when: Date(timeIntervalSince1970: 0), bytes: [1, 2, 3]),
        inners: [Inner(name: "a", when: nil, bytes: []), Inner(name: "b", when: Date(timeIntervalSince1970: 1e9), bytes: [9])],
        map: ["one": [1], "two": [1, 2], "": []], intKeyed: [1: "a", -2: "b"], nested: [["a", nil], [], [nil]], emptyArray: [], emptyMap: [:])

    static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(sorted))
        case .object(let object):
            var result = JSONObject()
            for member in object.members.sorted(by: { $0.key < $1.key }) { result[member.key] = sorted(member.value) }
            return .object(result)
        default: return value
        }
    }

    func check<T: Codable & Equatable>(_ value: T) throws {
        let streamed = try StreamingJSONEncoder.encode(value)
        let foundation = JSONEncoder()
        foundation.dateEncodingStrategy = .secondsSince1970
        let reference = Array(try foundation.encode(value))
        #expect(Self.sorted(try JSONParser.parse(streamed)) == Self.sorted(try JSONParser.parse(reference)))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        #expect(try decoder.decode(T.self, from: Data(streamed)) == value)
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        try check(Self.sample)
        try check([Self.sample, Self.sample])
        try check(["only": Self.sample.inner])
        try check("top-level string")
        try check(Optional<Int>.none)
    }

    @Test func writesStoredRecordsAsJSONEncoderDoes() throws {
        var secret = Secret(arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf", name: "app/db",
                            createdDate: Date(timeIntervalSince1970: 1_764_806_400.5))
        secret.description = "the \"main\" database"
        secret.tags = [Tag(key: "team", value: "payments"), Tag(key: "empty", value: "")]
        secret.lastAccessedDate = Date(timeIntervalSince1970: 1_764_806_400)
        for index in 0..<5 {
            var version = SecretVersion(versionID: "v\(index)", stages: index == 4 ? ["AWSCURRENT"] : [],
                                        createdDate: Date(timeIntervalSince1970: 1_764_806_400 + Double(index) * 0.001), isString: index % 2 == 0,
                                        valueDigest: "digest\(index)")
            version.kmsKeyIDs = ["DefaultEncryptionKey"]
            version.isPendingStub = index == 3 ? true : nil
            version.lastAccessedDate = index == 2 ? Date(timeIntervalSince1970: 1_764_806_400.75) : nil
            if index == 1 { version.stages = ["label \"quoted\"", "é", "AWSPREVIOUS"] }
            if index == 0 { version.kmsKeyIDs = nil }
            secret.versions.append(version)
        }
        secret.revision = 12
        try check(secret)
    }

    @Test func aSecretsDocumentHoldsEveryMemberItHas() throws {
        // Secret's members are listed by hand for the encoder: one left out would be lost on the next write.
        var secret = Secret(arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf", name: "s", createdDate: Date(timeIntervalSince1970: 1))
        let date = Date(timeIntervalSince1970: 2)
        secret.description = "d"
        secret.kmsKeyID = "k"
        secret.tags = [Tag(key: "a", value: "b")]
        secret.resourcePolicy = "{}"
        secret.lastAccessedDate = date
        secret.deletedDate = date
        secret.deletionDate = date
        secret.versions = [SecretVersion(versionID: "v", stages: ["AWSCURRENT"], createdDate: date, isString: true, valueDigest: "x")]
        secret.revision = 3
        secret.rotation = RotationConfiguration(enabled: true, lambdaARN: "arn:aws:lambda:us-east-1:123456789012:function:f", rules: nil, anchor: date)
        secret.lastRotatedDate = date
        secret.rotationJob = RotationJob(token: "t", rotationToken: "r", lambdaARN: "l", testOnly: false, now: date)
        secret.replicas = [SecretReplica(region: "us-west-2", kmsKeyID: nil, status: "InSync", statusMessage: "")]
        secret.primaryRegion = "us-east-2"
        // The members are stored copy-on-write, as `storage.box.fields`.
        var fields: Any = secret
        for label in ["storage", "box", "fields"] {
            fields = try #require(Mirror(reflecting: fields).children.first { $0.label == label }?.value)
        }
        let stored = Set(Mirror(reflecting: fields).children.compactMap(\.label))
        #expect(stored.count == 19)
        guard case .object(let object) = try JSONParser.parse(try StreamingJSONEncoder.encode(secret)) else {
            Issue.record("not an object")
            return
        }
        #expect(Set(object.members.map(\.key)) == stored)
        try check(secret)
    }

    @Test func refusesNumbersJSONCannotHold() {
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder.encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder.encode(["x": Double.infinity]) }
    }
}

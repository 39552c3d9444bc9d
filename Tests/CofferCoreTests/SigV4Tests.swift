import CofferCore
import Foundation
import Testing

/// AWS's published SigV4 test suite: credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1.
@Suite struct SigV4Tests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let date = SigV4Timestamp.parse("20150830T123600Z")!

    struct Lookup: SigningSecretLookup {
        let keys: [String: String]
        func signingSecret(for accessKeyID: String) async throws -> Redacted<String>? { keys[accessKeyID].map(Redacted.init) }
    }

    struct FixedClock: WallClock {
        let date: Date
        func now() -> Date { date }
    }

    static func vanilla(method: String, query: String = "") -> SigV4Request {
        SigV4Request(method: method, path: "/", query: query,
                     headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")], body: [])
    }

    @Test(arguments: [
        ("GET", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        ("POST", "", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        ("GET", "Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ])
    func publishedVectors(method: String, query: String, expected: String) {
        let request = Self.vanilla(method: method, query: query)
        let scope = SigV4.Scope(date: "20150830", region: "us-east-1", service: "service")
        let canonical = SigV4.canonicalRequest(request, signedHeaders: ["host", "x-amz-date"], payloadHash: SigV4.sha256Hex([]))
        let signature = SigV4.signature(
            signingKey: SigV4.signingKey(secret: Self.secret, scope: scope),
            stringToSign: SigV4.stringToSign(timestamp: "20150830T123600Z", scope: scope, canonicalRequest: canonical))
        #expect(signature == expected)
    }

    @Test func iamDocumentationExample() {
        let scope = SigV4.Scope(date: "20150830", region: "us-east-1", service: "iam")
        #expect(Hex.encode(SigV4.signingKey(secret: Self.secret, scope: scope))
            == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
        let request = SigV4Request(
            method: "GET", path: "/", query: "Action=ListUsers&Version=2010-05-08",
            headers: [("Host", "iam.amazonaws.com"), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                      ("X-Amz-Date", "20150830T123600Z")], body: [])
        let canonical = SigV4.canonicalRequest(request, signedHeaders: ["content-type", "host", "x-amz-date"], payloadHash: SigV4.sha256Hex([]))
        let signature = SigV4.signature(
            signingKey: SigV4.signingKey(secret: Self.secret, scope: scope),
            stringToSign: SigV4.stringToSign(timestamp: "20150830T123600Z", scope: scope, canonicalRequest: canonical))
        #expect(signature == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    func signed(body: String = "{}", at date: Date = date, secret: String = secret) -> SigV4Request {
        var request = SigV4Request(method: "POST", path: "/", query: "",
                                   headers: [("Host", "localhost:4566"), ("X-Amz-Target", "secretsmanager.ListSecrets")],
                                   body: Array(body.utf8))
        SigV4.sign(&request, accessKeyID: "AKIDEXAMPLE", secret: secret, region: "eu-west-1", service: "secretsmanager", date: date)
        return request
    }

    func verify(_ request: SigV4Request, now: Date = date, any: Bool = false) async throws -> VerifiedRequest {
        let verifier = SigV4Verifier(clock: FixedClock(date: now), unsafeAcceptAnySecret: any)
        return try await verifier.verify(request, expectedService: "secretsmanager", secrets: Lookup(keys: ["AKIDEXAMPLE": Self.secret]))
    }

    func code(of request: SigV4Request, now: Date = date) async -> CofferError.Code? {
        do {
            _ = try await verify(request, now: now)
            return nil
        } catch let error as CofferError {
            return error.code
        } catch {
            return .internalFailure
        }
    }

    @Test func acceptsASignedRequestAndReadsItsScope() async throws {
        let verified = try await verify(signed())
        #expect(verified.accessKeyID == "AKIDEXAMPLE")
        #expect(verified.scope.region == "eu-west-1")
    }

    @Test func rejectsATamperedBody() async {
        var request = signed()
        request.body = Array("{\"x\":1}".utf8)
        #expect(await code(of: request) == .invalidSignature)
    }

    @Test func rejectsAWrongSecret() async {
        #expect(await code(of: signed(secret: "not-the-secret")) == .invalidSignature)
    }

    @Test func rejectsAnUnknownKey() async {
        var request = signed()
        request.headers = request.headers.map { h in
            h.name == "Authorization" ? (h.name, h.value.replacingOccurrences(of: "AKIDEXAMPLE", with: "AKIDUNKNOWN")) : h
        }
        #expect(await code(of: request) == .unrecognizedClient)
    }

    @Test func enforcesFifteenMinutesOfSkewBothWays() async {
        #expect(await code(of: signed(), now: Self.date.addingTimeInterval(14 * 60)) == nil)
        #expect(await code(of: signed(), now: Self.date.addingTimeInterval(16 * 60)) == .invalidSignature)
        #expect(await code(of: signed(), now: Self.date.addingTimeInterval(-16 * 60)) == .invalidSignature)
    }

    @Test func reportsMissingAndMalformedAuthorization() async {
        var missing = signed()
        missing.headers.removeAll { $0.name == "Authorization" }
        #expect(await code(of: missing) == .missingAuthenticationToken)

        var malformed = signed()
        malformed.headers = malformed.headers.map { $0.name == "Authorization" ? ($0.name, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE") : $0 }
        #expect(await code(of: malformed) == .incompleteSignature)

        var noDate = signed()
        noDate.headers.removeAll { $0.name == "X-Amz-Date" }
        #expect(await code(of: noDate) == .incompleteSignature)
    }

    /// The signature is compared byte by byte over contiguous storage: its hex letters count in either
    /// case, any other change fails, and fields may be spaced with blanks and tabs in any order.
    @Test func comparesTheSignatureInEitherCaseAndFieldsInAnyLayout() async throws {
        func rewritten(_ change: (String) -> String) -> SigV4Request {
            var request = signed()
            request.headers = request.headers.map { $0.name == "Authorization" ? ($0.name, change($0.value)) : $0 }
            return request
        }
        func signature(_ value: String) -> String { String(value[value.range(of: "Signature=")!.upperBound...].prefix(64)) }
        let upper = rewritten { value in value.replacingOccurrences(of: signature(value), with: signature(value).uppercased()) }
        #expect(await code(of: upper) == nil)
        let oneDigit = rewritten { value in
            let old = signature(value)
            let flipped = (old.first == "0" ? "1" : "0") + old.dropFirst()
            return value.replacingOccurrences(of: old, with: flipped)
        }
        #expect(await code(of: oneDigit) == .invalidSignature)
        let short = rewritten { value in value.replacingOccurrences(of: signature(value), with: String(signature(value).dropLast())) }
        #expect(await code(of: short) == .incompleteSignature)
        let spaced = rewritten { value in
            let fields = value.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return "AWS4-HMAC-SHA256 \t" + fields.reversed().joined(separator: " ,\t ") + " \t"
        }
        #expect(await code(of: spaced) == nil)
        let emptyValue = rewritten { value in value.replacingOccurrences(of: "Credential=", with: "Credential=,Ignored=") }
        #expect(await code(of: emptyValue) == .incompleteSignature)
    }

    /// The credential scope's date must be the timestamp's day; signed header names count in any case
    /// (the canonical request lowers them).
    @Test func checksTheScopesDayAndReadsSignedHeaderNamesInAnyCase() async throws {
        func rewritten(_ change: (String) -> String) -> SigV4Request {
            var request = signed()
            request.headers = request.headers.map { $0.name == "Authorization" ? ($0.name, change($0.value)) : $0 }
            return request
        }
        let stamp = try #require(signed().headers.first { $0.name == "X-Amz-Date" }?.value)
        let day = String(stamp.prefix(8))
        for other in ["20000101", String(day.dropLast()), day + "0"] {
            let request = rewritten { $0.replacingOccurrences(of: "/\(day)/", with: "/\(other)/") }
            do {
                _ = try await verify(request)
                Issue.record("a scope dated \(other) was accepted for \(stamp)")
            } catch let error as CofferError {
                #expect(error.code == .invalidSignature)
                #expect(error.message.hasPrefix("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(other)' != '\(day)'"))
            }
        }
        let upper = rewritten { value in
            let names = value.range(of: "SignedHeaders=")!.upperBound
            let end = value[names...].firstIndex(of: ",")!
            return value.replacingCharacters(in: names..<end, with: value[names..<end].uppercased())
        }
        #expect(upper.header("authorization")?.contains("SignedHeaders=HOST") == true)
        #expect(await code(of: upper) == nil)
    }

    @Test func checksTheDeclaredPayloadHash() async {
        var request = signed()
        request.headers.append(("X-Amz-Content-Sha256", SigV4.sha256Hex(Array("other".utf8))))
        #expect(await code(of: request) == .invalidSignature)
    }

    @Test func devModeSkipsOnlyTheSecretOfAnUnknownKey() async throws {
        var unknown = signed(secret: "anything")
        unknown.headers = unknown.headers.map { h in
            h.name == "Authorization" ? (h.name, h.value.replacingOccurrences(of: "AKIDEXAMPLE", with: "AKIDUNKNOWN")) : h
        }
        #expect(try await verify(unknown, any: true).accessKeyID == "AKIDUNKNOWN")
        await #expect(throws: CofferError.self) { try await verify(unknown, now: Self.date.addingTimeInterval(3600), any: true) }
        // A key the lookup knows is verified even in --dev.
        await #expect(throws: CofferError.self) { try await verify(signed(secret: "anything"), any: true) }
        _ = try await verify(signed(), any: true)
    }

    @Test func verifiesThePresignedQueryForm() async throws {
        let scope = SigV4.Scope(date: "20150830", region: "us-east-1", service: "secretsmanager")
        let credential = URIEncoding.encode("AKIDEXAMPLE/\(scope.string)")
        let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=\(credential)&X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host"
        var request = SigV4Request(method: "GET", path: "/", query: query, headers: [("Host", "localhost")], body: [])
        let canonical = SigV4.canonicalRequest(request, signedHeaders: ["host"], payloadHash: SigV4.sha256Hex([]))
        let signature = SigV4.signature(
            signingKey: SigV4.signingKey(secret: Self.secret, scope: scope),
            stringToSign: SigV4.stringToSign(timestamp: "20150830T123600Z", scope: scope, canonicalRequest: canonical))
        request.query += "&X-Amz-Signature=\(signature)"
        _ = try await verify(request, now: Self.date.addingTimeInterval(200))
        #expect(await code(of: request, now: Self.date.addingTimeInterval(400)) == .invalidSignature)
    }

    @Test func timestampsRoundTrip() {
        let date = SigV4Timestamp.parse("20240229T235959Z")!
        #expect(SigV4Timestamp.format(date) == "20240229T235959Z")
        #expect(SigV4Timestamp.parseHTTPDate("Sun, 30 Aug 2015 12:36:00 GMT") == Self.date)
    }
}

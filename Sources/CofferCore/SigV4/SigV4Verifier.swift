public import struct Foundation.Date
public import struct Foundation.TimeInterval
import Crypto
import Synchronization

/// What a verified request proves: who signed it, for which region and service, and when.
public struct VerifiedRequest: Sendable, Equatable {
    public let accessKeyID: String
    public let scope: SigV4.Scope
    public let timestamp: Date
    public let sessionToken: String?
}

/// Looks up the secret half of an access key. `nil` means the key is unknown.
public protocol SigningSecretLookup: Sendable {
    func signingSecret(for accessKeyID: String) async throws -> Redacted<String>?
}

/// Verifies SigV4 in the header form and the presigned query form.
///
/// Every check answers with the error AWS gives for it; messages never repeat a signature.
public struct SigV4Verifier: Sendable {
    public static let allowedSkew: TimeInterval = 15 * 60
    /// Presigned URLs may live up to seven days, as on AWS.
    public static let maximumPresignedExpiry = 604_800

    /// Accepts a key the lookup does not know without comparing signatures (for `--dev`, where any
    /// dummy key is the account's root); a key it knows is still verified, and every other check applies.
    public let unsafeAcceptAnySecret: Bool
    let clock: any WallClock
    private let cache = SigningKeyCache()

    public init(clock: any WallClock, unsafeAcceptAnySecret: Bool = false) {
        self.clock = clock
        self.unsafeAcceptAnySecret = unsafeAcceptAnySecret
    }

    /// The parsed, not yet verified, signature claim of a request.
    struct Claim {
        var accessKeyID: String
        var scope: SigV4.Scope
        var signedHeaders: [String]
        /// Checked to be 64 hex digits; a slice of the header or query value it came in.
        var signature: Substring
        var timestamp: String
        var date: Date
        var expires: Int?
        var sessionToken: String?
        var presigned: Bool
    }

    /// The service name a request claims in its credential scope, if it carries one; the router
    /// uses it to dispatch the query-protocol services.
    public static func claimedService(_ request: SigV4Request) -> String? {
        try? parseClaim(request).scope.service
    }

    /// The access key and region a request claims, verified or not: the audit trail records failed
    /// authentications under the key they name.
    public static func claimedKey(_ request: SigV4Request) -> (accessKeyID: String, region: String)? {
        (try? parseClaim(request)).map { ($0.accessKeyID, $0.scope.region) }
    }

    public func verify(_ request: SigV4Request, expectedService: String?, secrets: any SigningSecretLookup)
        async throws(CofferError) -> VerifiedRequest
    {
        let claim = try Self.parseClaim(request)
        if let expectedService, claim.scope.service != expectedService {
            throw CofferError(.invalidSignature, "Credential should be scoped to correct service: '\(expectedService)'. ")
        }
        try checkTime(claim)
        let secret: Redacted<String>?
        do { secret = try await secrets.signingSecret(for: claim.accessKeyID) } catch {
            throw CofferError(.internalFailure, "credential lookup failed")
        }
        if unsafeAcceptAnySecret, secret == nil { return verified(claim) }
        guard let secret else {
            throw CofferError(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        let payloadHash = try Self.payloadHash(request, presigned: claim.presigned)
        let canonical = SigV4.canonicalRequestBytes(
            request, signedHeaders: claim.signedHeaders, payloadHash: payloadHash,
            excludingQueryItem: claim.presigned ? "X-Amz-Signature" : nil)
        let stringToSign = canonical.withUnsafeBufferPointer {
            SigV4.stringToSignBytes(timestamp: claim.timestamp, scope: claim.scope, canonicalRequest: $0)
        }
        let expected = SigV4.signature(
            keyed: cache.keyed(accessKeyID: claim.accessKeyID, secret: secret.value, scope: claim.scope), stringToSign: stringToSign)
        guard Self.signatureMatches(expected, claim.signature) else {
            throw CofferError(
                .invalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            )
        }
        return verified(claim)
    }

    private func verified(_ claim: Claim) -> VerifiedRequest {
        VerifiedRequest(accessKeyID: claim.accessKeyID, scope: claim.scope, timestamp: claim.date, sessionToken: claim.sessionToken)
    }

    private func checkTime(_ claim: Claim) throws(CofferError) {
        let now = clock.now()
        if let expires = claim.expires {
            if now.timeIntervalSince(claim.date) > Double(expires) {
                throw CofferError(
                    .invalidSignature,
                    "Signature expired: \(claim.timestamp) is now earlier than \(SigV4Timestamp.format(now.addingTimeInterval(-Double(expires)))) (\(SigV4Timestamp.format(now)) - \(expires) sec.)"
                )
            }
            if claim.date.timeIntervalSince(now) > Self.allowedSkew {
                throw notYetCurrent(claim, now)
            }
            return
        }
        if now.timeIntervalSince(claim.date) > Self.allowedSkew {
            throw CofferError(
                .invalidSignature,
                "Signature expired: \(claim.timestamp) is now earlier than \(SigV4Timestamp.format(now.addingTimeInterval(-Self.allowedSkew))) (\(SigV4Timestamp.format(now)) - 15 min.)"
            )
        }
        if claim.date.timeIntervalSince(now) > Self.allowedSkew { throw notYetCurrent(claim, now) }
    }

    private func notYetCurrent(_ claim: Claim, _ now: Date) -> CofferError {
        CofferError(
            .invalidSignature,
            "Signature not yet current: \(claim.timestamp) is still later than \(SigV4Timestamp.format(now.addingTimeInterval(Self.allowedSkew))) (\(SigV4Timestamp.format(now)) + 15 min.)"
        )
    }

    static func payloadHash(_ request: SigV4Request, presigned: Bool) throws(CofferError) -> String {
        let bodyHash = SigV4.sha256Hex(request.body)
        guard let declared = request.header("x-amz-content-sha256") else { return bodyHash }
        if declared == SigV4.unsignedPayload { return declared }
        guard declared.lowercased() == bodyHash else {
            throw CofferError(.invalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
        }
        return declared
    }

    static func parseClaim(_ request: SigV4Request) throws(CofferError) -> Claim {
        if let authorization = request.header("authorization") {
            return try parseHeaderClaim(authorization, request)
        }
        let items = request.queryItems
        if items.contains(where: { $0.name == "X-Amz-Algorithm" }) {
            return try parseQueryClaim(items)
        }
        throw CofferError(.missingAuthenticationToken, "Missing Authentication Token")
    }

    /// The claimed signature against the expected one (lowercase hex) in constant time, its hex letters
    /// in either case: the claim was checked to be 64 hex digits, and every hex digit has bit 5 set in
    /// lowercase (digits always), so `| 0x20` folds the case.
    static func signatureMatches(_ expected: String, _ claimed: Substring) -> Bool {
        var expected = expected
        var claimed = claimed
        return expected.withUTF8 { e in
            claimed.withUTF8 { c in
                guard e.count == c.count else { return false }
                var difference: UInt8 = 0
                for index in 0..<e.count { difference |= e[index] ^ (c[index] | 0x20) }
                return difference == 0
            }
        }
    }

    private static func parseHeaderClaim(_ authorization: String, _ request: SigV4Request) throws(CofferError) -> Claim {
        let trimmed = authorization.trimmingSpaces
        var contiguous = trimmed
        // By bytes: Substring's hasPrefix and == walk Characters, on every request.
        let prefix: StaticString = "AWS4-HMAC-SHA256 "
        guard contiguous.withUTF8({ $0.count >= prefix.utf8CodeUnitCount && UnsafeBufferPointer(rebasing: $0[..<prefix.utf8CodeUnitCount]).sameBytes(as: prefix) })
        else {
            if trimmed.hasPrefix("AWS ") || trimmed.hasPrefix("AWS3") {
                throw CofferError(.incompleteSignature, "Only AWS4-HMAC-SHA256 signatures are supported.")
            }
            throw CofferError(.incompleteSignature, "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        var credential: Substring?, signature: Substring?, signedHeaders: Substring?
        // `Name=value` fields between commas, walked by offset over the contiguous bytes (Substring's
        // UTF-8 index walking cost ~1,400 instructions a field): no array of parts, no copies.
        let utf8 = trimmed.utf8
        contiguous.withUTF8 { bytes in
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
            var start = SigV4.algorithm.utf8.count
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
                var low = start, high = end
                start = end + 1
                while low < high, isSpace(bytes[low]) { low += 1 }
                while high > low, isSpace(bytes[high - 1]) { high -= 1 }
                var equals = low
                while equals < high, bytes[equals] != UInt8(ascii: "=") { equals += 1 }
                // No name, no `=`, or no value: not a field.
                guard equals > low, equals + 1 < high else { continue }
                let name = UnsafeBufferPointer(rebasing: bytes[low..<equals])
                let value = Substring(utf8[utf8.index(utf8.startIndex, offsetBy: equals + 1)..<utf8.index(utf8.startIndex, offsetBy: high)])
                if name.sameBytes(as: "Credential") {
                    credential = value
                } else if name.sameBytes(as: "Signature") {
                    signature = value
                } else if name.sameBytes(as: "SignedHeaders") {
                    signedHeaders = value
                }
            }
        }
        var missing: [String] = []
        if credential == nil || signature == nil || signedHeaders == nil {
            for (name, value) in [("Credential", credential), ("Signature", signature), ("SignedHeaders", signedHeaders)] where value == nil {
                missing.append("Authorization header requires '\(name)' parameter.")
            }
        }
        let timestampText: String?
        if let amzDate = request.header("x-amz-date") {
            timestampText = amzDate
        } else if let httpDate = request.header("date"), let date = SigV4Timestamp.parseHTTPDate(httpDate) {
            timestampText = SigV4Timestamp.format(date)
        } else {
            timestampText = nil
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        guard missing.isEmpty, let credential, let signature, let signedHeaders, let timestampText
        else { throw CofferError(.incompleteSignature, missing.joined(separator: " ")) }
        return try buildClaim(
            credential: credential, signedHeaders: signedHeaders, signature: signature, timestamp: timestampText,
            expires: nil, sessionToken: request.header("x-amz-security-token"), presigned: false)
    }

    private static func parseQueryClaim(_ items: [(name: String, value: String)]) throws(CofferError) -> Claim {
        func value(_ name: String) -> String? { items.first(where: { $0.name == name })?.value }
        guard value("X-Amz-Algorithm") == SigV4.algorithm else {
            throw CofferError(.incompleteSignature, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        }
        var missing: [String] = []
        for name in ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"] where value(name) == nil {
            missing.append("AWS query-string parameters must include '\(name)'.")
        }
        guard missing.isEmpty, let credential = value("X-Amz-Credential"), let signature = value("X-Amz-Signature"),
            let signedHeaders = value("X-Amz-SignedHeaders"), let timestamp = value("X-Amz-Date")
        else { throw CofferError(.incompleteSignature, missing.joined(separator: " ") + " Re-examine the query-string parameters.") }
        var expires = 900
        if let text = value("X-Amz-Expires") {
            guard let parsed = Int(text), parsed >= 0 else {
                throw CofferError(.incompleteSignature, "X-Amz-Expires should be a number")
            }
            guard parsed <= maximumPresignedExpiry else {
                throw CofferError(.incompleteSignature, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
            }
            expires = parsed
        }
        return try buildClaim(
            credential: credential[...], signedHeaders: signedHeaders[...], signature: signature[...], timestamp: timestamp,
            expires: expires, sessionToken: value("X-Amz-Security-Token"), presigned: true)
    }

    private static func buildClaim(
        credential: Substring, signedHeaders: Substring, signature: Substring, timestamp: String, expires: Int?,
        sessionToken: String?, presigned: Bool
    ) throws(CofferError) -> Claim {
        let parts = credential.fields(byte: UInt8(ascii: "/"))
        guard parts.count == 5, !parts[0].isEmpty else {
            throw CofferError(.incompleteSignature, "Credential should be scoped to a valid region. ")
        }
        guard parts[4].sameBytes(as: "aws4_request") else {
            throw CofferError(.incompleteSignature, "Credential should be scoped with a valid terminator: 'aws4_request', not '\(parts[4])'. ")
        }
        guard !parts[2].isEmpty else { throw CofferError(.incompleteSignature, "Credential should be scoped to a valid region. ") }
        guard let date = SigV4Timestamp.parse(timestamp) else {
            throw CofferError(.incompleteSignature, "Date must be in ISO-8601 'basic format'. Got '\(timestamp)'. See http://en.wikipedia.org/wiki/ISO_8601")
        }
        // The date's bytes against the timestamp's first eight: `prefix(8)` walked Characters.
        let sameDay = timestamp.withUTF8Bytes { stamp in
            parts[1].withUTF8Bytes { day in day.count == 8 && stamp.count >= 8 && day.elementsEqual(stamp[..<8]) }
        }
        guard sameDay else {
            throw CofferError(
                .invalidSignature,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(parts[1])' != '\(timestamp.prefix(8))', from '\(timestamp)'."
            )
        }
        // Signers send the names lower-case already; only a name with a capital is copied lowered.
        var headers = signedHeaders.fields(byte: UInt8(ascii: ";"), omittingEmptySubsequences: true)
        for index in headers.indices where headers[index].withUTF8Bytes({ $0.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) }) {
            headers[index] = headers[index].lowercased()
        }
        guard headers.contains("host") || headers.contains(":authority") else {
            throw CofferError(.incompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        }
        var contiguous = signature
        guard contiguous.withUTF8({ $0.count == 64 && $0.allSatisfy(Hex.isDigit) }) else {
            throw CofferError(.incompleteSignature, "The signature is not a 64-character hex string.")
        }
        return Claim(
            accessKeyID: parts[0], scope: SigV4.Scope(date: parts[1], region: parts[2], service: parts[3]),
            signedHeaders: headers, signature: signature, timestamp: timestamp, date: date, expires: expires,
            sessionToken: sessionToken, presigned: presigned)
    }
}

/// Derived signing keys per access key and scope, so the four HMACs of key derivation run once a
/// day per key instead of on every request.
final class SigningKeyCache: Sendable {
    /// The HMAC already keyed with the derived key: a copy of it signs a request without hashing
    /// the key's pads again.
    private struct Entry: Sendable {
        let secret: String
        let keyed: KeyedHMAC
    }
    /// Hashed field by field: building one string key cost an allocation per request. Every field
    /// is hashed: a caller names any region and service it likes, so a hash of fewer would let one
    /// key id fill the table with entries that collide.
    private struct Key: Hashable, Sendable {
        let accessKeyID: String
        let scope: SigV4.Scope
    }
    private let entries = Mutex<[Key: Entry]>([:])
    private static let capacity = 4096

    func keyed(accessKeyID: String, secret: String, scope: SigV4.Scope) -> KeyedHMAC {
        let cacheKey = Key(accessKeyID: accessKeyID, scope: scope)
        // The entry remembers the secret it was derived from, so a changed secret misses the cache.
        // It lives only in this process's memory, beside the signing key derived from it.
        if let entry = entries.withLock({ $0[cacheKey] }), constantTimeEquals(entry.secret.utf8, secret.utf8) { return entry.keyed }
        let keyed = KeyedHMAC(key: SymmetricKey(data: SigV4.signingKey(secret: secret, scope: scope)))
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[cacheKey] = Entry(secret: secret, keyed: keyed)
        }
        return keyed
    }
}

import Crypto
public import struct Foundation.Date

/// The SigV4 computations shared by the verifier and Coffer's own signing client.
public enum SigV4 {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// The credential scope `date/region/service/aws4_request`.
    public struct Scope: Sendable, Hashable {
        public var date: String
        public var region: String
        public var service: String
        public init(date: String, region: String, service: String) {
            self.date = date
            self.region = region
            self.service = service
        }
        public var string: String {
            var out: [UInt8] = []
            append(to: &out)
            return String(decoding: out, as: UTF8.self)
        }

        func append(to out: inout [UInt8]) {
            out.append(contentsOf: date.utf8)
            out.append(UInt8(ascii: "/"))
            out.append(contentsOf: region.utf8)
            out.append(UInt8(ascii: "/"))
            out.append(contentsOf: service.utf8)
            out.append(contentsOf: "/aws4_request".utf8)
        }
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        Hex.encode(SHA256Bytes.hash(bytes))
    }

    public static func sha256Hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { Hex.encode(SHA256Bytes.hash(UnsafeRawBufferPointer($0))) }
    }

    public static func signingKey(secret: String, scope: Scope) -> [UInt8] {
        var key = Array("AWS4\(secret)".utf8)
        for part in [scope.date, scope.region, scope.service, "aws4_request"] {
            key = hmac(key, Array(part.utf8))
        }
        return key
    }

    public static func hmac(_ key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// The canonical request: method, URI, query, headers, signed header list and payload hash.
    public static func canonicalRequest(
        _ request: SigV4Request, signedHeaders: [String], payloadHash: String, excludingQueryItem: String? = nil
    ) -> String {
        String(decoding: canonicalRequestBytes(request, signedHeaders: signedHeaders, payloadHash: payloadHash,
                                               excludingQueryItem: excludingQueryItem), as: UTF8.self)
    }

    /// The canonical request as the bytes that are hashed: every request is verified through this,
    /// so it is written into one buffer (growing a String cost a tenth of the verification).
    static func canonicalRequestBytes(
        _ request: SigV4Request, signedHeaders: [String], payloadHash: String, excludingQueryItem: String? = nil
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: request.method.utf8)
        out.append(newline)
        if request.path.isEmpty || request.path == "/" {
            out.append(UInt8(ascii: "/"))
        } else {
            out.append(contentsOf: URIEncoding.encode(normalizedPath(request.path), keepSlash: true).utf8)
        }
        out.append(newline)
        if !request.query.isEmpty {
            var pairs: [(name: String, value: String)] = []
            for item in request.queryItems where item.name != excludingQueryItem {
                pairs.append((name: URIEncoding.encode(item.name), value: URIEncoding.encode(item.value)))
            }
            pairs.sort { (a: (name: String, value: String), b: (name: String, value: String)) -> Bool in
                a.name == b.name ? a.value < b.value : a.name < b.name
            }
            for (index, pair) in pairs.enumerated() {
                if index > 0 { out.append(UInt8(ascii: "&")) }
                out.append(contentsOf: pair.name.utf8)
                out.append(UInt8(ascii: "="))
                out.append(contentsOf: pair.value.utf8)
            }
        }
        out.append(newline)
        // Names and the hash appended from their bytes: `append(contentsOf: s.utf8)` walked the view (~170 instructions each).
        for name in signedHeaders {
            name.withUTF8Bytes { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: ":"))
            var first = true
            request.fields.forEachValue(named: name) { value in
                if !first { out.append(UInt8(ascii: ",")) }
                // Bytes past ASCII go through a String as before (invalid UTF-8 is repaired the same way).
                if value.allSatisfy({ $0 < 0x80 }) {
                    appendCanonicalHeaderValue(value, to: &out)
                } else {
                    appendCanonicalHeaderValue(String(decoding: value, as: UTF8.self), to: &out)
                }
                first = false
            }
            out.append(newline)
        }
        out.append(newline)
        for (index, name) in signedHeaders.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ";")) }
            name.withUTF8Bytes { out.append(contentsOf: $0) }
        }
        out.append(newline)
        payloadHash.withUTF8Bytes { out.append(contentsOf: $0) }
        return out
    }

    private static let newline = UInt8(ascii: "\n")

    public static func stringToSign(timestamp: String, scope: Scope, canonicalRequest: String) -> String {
        var canonical = canonicalRequest
        return canonical.withUTF8 { String(decoding: stringToSignBytes(timestamp: timestamp, scope: scope, canonicalRequest: $0), as: UTF8.self) }
    }

    static func stringToSignBytes(timestamp: String, scope: Scope, canonicalRequest: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        out.append(contentsOf: algorithm.utf8)
        out.append(newline)
        out.append(contentsOf: timestamp.utf8)
        out.append(newline)
        scope.append(to: &out)
        out.append(newline)
        Hex.append(SHA256Bytes.hash(UnsafeRawBufferPointer(canonicalRequest)), to: &out)
        return out
    }

    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        signature(keyed: KeyedHMAC(key: SymmetricKey(data: signingKey)), stringToSign: Array(stringToSign.utf8))
    }

    /// With the HMAC already keyed (the verifier keeps one per derived key).
    static func signature(keyed: KeyedHMAC, stringToSign: [UInt8]) -> String {
        Hex.encode(keyed.authenticationCode(for: stringToSign))
    }

    /// Removes `.` and `..` segments and repeated slashes, as botocore does before signing.
    static func normalizedPath(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." { _ = segments.popLast(); continue }
            segments.append(segment)
        }
        let joined = "/" + segments.joined(separator: "/")
        return path.hasSuffix("/") && joined != "/" ? joined + "/" : joined
    }

    /// Trims the value and folds runs of spaces and tabs into one space, as the canonical form requires.
    static func appendCanonicalHeaderValue(_ value: String, to out: inout [UInt8]) {
        value.withUTF8Bytes { appendCanonicalHeaderValue($0, to: &out) }
    }

    static func appendCanonicalHeaderValue(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var low = 0, high = bytes.count
        while low < high, isSpace(bytes[low]) { low += 1 }
        while high > low, isSpace(bytes[high - 1]) { high -= 1 }
        var runStart = low
        var index = low
        // Copies the runs between blanks whole; a blank run becomes one space.
        while index < high {
            guard isSpace(bytes[index]) else { index += 1; continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            out.append(0x20)
            while index < high, isSpace(bytes[index]) { index += 1 }
            runStart = index
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<high]))
    }

    /// Signs `request` in place with the header form, the way an AWS SDK does. Used by Coffer's
    /// client and by tests.
    public static func sign(
        _ request: inout SigV4Request, accessKeyID: String, secret: String, region: String, service: String,
        date: Date, sessionToken: String? = nil
    ) {
        let timestamp = SigV4Timestamp.format(date)
        let scope = Scope(date: String(timestamp.prefix(8)), region: region, service: service)
        request.fields.removeAll { ["authorization", "x-amz-date", "x-amz-security-token"].contains($0.name.lowercased()) }
        request.fields.append((name: "X-Amz-Date", value: timestamp))
        if let sessionToken { request.fields.append((name: "X-Amz-Security-Token", value: sessionToken)) }
        let signed = Array(Set(request.fields.map { $0.name.lowercased() })).sorted()
        let canonical = canonicalRequest(request, signedHeaders: signed, payloadHash: sha256Hex(request.body))
        let signature = signature(
            signingKey: signingKey(secret: secret, scope: scope),
            stringToSign: stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical))
        request.fields.append(
            (name: "Authorization",
             value: "\(algorithm) Credential=\(accessKeyID)/\(scope.string), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"))
    }
}

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
        public var string: String { "\(date)/\(region)/\(service)/aws4_request" }
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }

    public static func sha256Hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { Hex.encode(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
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
        let uri = request.path.isEmpty ? "/" : URIEncoding.encode(normalizedPath(request.path), keepSlash: true)
        var pairs: [(name: String, value: String)] = []
        for item in request.queryItems where item.name != excludingQueryItem {
            pairs.append((name: URIEncoding.encode(item.name), value: URIEncoding.encode(item.value)))
        }
        pairs.sort { (a: (name: String, value: String), b: (name: String, value: String)) -> Bool in
            a.name == b.name ? a.value < b.value : a.name < b.name
        }
        // One string grown in place: every request is verified through this.
        var text = request.method
        text.reserveCapacity(512)
        text += "\n"
        text += uri
        text += "\n"
        for (index, pair) in pairs.enumerated() {
            if index > 0 { text += "&" }
            text += pair.name
            text += "="
            text += pair.value
        }
        text += "\n"
        for name in signedHeaders {
            text += name
            text += ":"
            var first = true
            for header in request.headers where Glob.equalIgnoringCase(header.name, name) {
                if !first { text += "," }
                text += canonicalHeaderValue(header.value)
                first = false
            }
            text += "\n"
        }
        text += "\n"
        for (index, name) in signedHeaders.enumerated() {
            if index > 0 { text += ";" }
            text += name
        }
        text += "\n"
        text += payloadHash
        return text
    }

    public static func stringToSign(timestamp: String, scope: Scope, canonicalRequest: String) -> String {
        "\(algorithm)\n\(timestamp)\n\(scope.string)\n\(sha256Hex(canonicalRequest))"
    }

    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        signature(keyed: KeyedHMAC(key: SymmetricKey(data: signingKey)), stringToSign: stringToSign)
    }

    /// With the HMAC already keyed (the verifier keeps one per derived key).
    static func signature(keyed: KeyedHMAC, stringToSign: String) -> String {
        Hex.encode(keyed.authenticationCode(for: Array(stringToSign.utf8)))
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

    /// Trims the value and folds runs of spaces into one, as the canonical form requires.
    static func canonicalHeaderValue(_ value: String) -> String {
        let trimmed = value.trimmingSpaces
        // Most values have no tab and no run of spaces to fold: then they are their own canonical form.
        var previous: UInt8 = 0
        var folds = false
        for byte in trimmed.utf8 {
            if byte == 0x09 || (byte == 0x20 && previous == 0x20) {
                folds = true
                break
            }
            previous = byte
        }
        if !folds { return String(trimmed) }
        var out: [UInt8] = []
        out.reserveCapacity(trimmed.utf8.count)
        var lastWasSpace = false
        for byte in trimmed.utf8 {
            if byte == 0x20 || byte == 0x09 {
                if !lastWasSpace { out.append(0x20) }
                lastWasSpace = true
            } else {
                out.append(byte)
                lastWasSpace = false
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Signs `request` in place with the header form, the way an AWS SDK does. Used by Coffer's
    /// client and by tests.
    public static func sign(
        _ request: inout SigV4Request, accessKeyID: String, secret: String, region: String, service: String,
        date: Date, sessionToken: String? = nil
    ) {
        let timestamp = SigV4Timestamp.format(date)
        let scope = Scope(date: String(timestamp.prefix(8)), region: region, service: service)
        request.headers.removeAll { ["authorization", "x-amz-date", "x-amz-security-token"].contains($0.name.lowercased()) }
        request.headers.append((name: "X-Amz-Date", value: timestamp))
        if let sessionToken { request.headers.append((name: "X-Amz-Security-Token", value: sessionToken)) }
        let signed = Array(Set(request.headers.map { $0.name.lowercased() })).sorted()
        let canonical = canonicalRequest(request, signedHeaders: signed, payloadHash: sha256Hex(request.body))
        let signature = signature(
            signingKey: signingKey(secret: secret, scope: scope),
            stringToSign: stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical))
        request.headers.append(
            (name: "Authorization",
             value: "\(algorithm) Credential=\(accessKeyID)/\(scope.string), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"))
    }
}

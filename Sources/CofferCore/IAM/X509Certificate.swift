import Crypto
import _CryptoExtras
public import struct Foundation.Date
import struct Foundation.Data

/// What IAM reads from an uploaded certificate: that it is one PEM X.509 certificate, its validity
/// and its public key, enough for UploadServerCertificate's and UploadSigningCertificate's checks
/// (MalformedCertificate, the key pair matching, Expiration) without a full X.509 library.
public struct X509Certificate: Sendable, Equatable {
    public let der: [UInt8]
    public let notBefore: Date
    public let notAfter: Date
    /// The SubjectPublicKeyInfo, as DER.
    public let publicKeyInfo: [UInt8]

    public init(pem: String) throws(CofferError) {
        let blocks = Self.pemBlocks(pem, label: "CERTIFICATE")
        guard blocks.count == 1, let der = blocks.first else { throw Self.malformed }
        try self.init(der: der)
    }

    public init(der: [UInt8]) throws(CofferError) {
        var reader = DERReader(der)
        guard var certificate = reader.next(tag: 0x30), reader.atEnd, var tbs = certificate.next(tag: 0x30) else { throw Self.malformed }
        if tbs.peekTag == 0xA0 { _ = tbs.next(tag: 0xA0) }
        guard tbs.next(tag: 0x02) != nil, tbs.next(tag: 0x30) != nil, tbs.next(tag: 0x30) != nil,
              var validity = tbs.next(tag: 0x30), let start = validity.time(), let end = validity.time(),
              tbs.next(tag: 0x30) != nil, let spki = tbs.nextElement(tag: 0x30),
              certificate.next(tag: 0x30) != nil, certificate.next(tag: 0x03) != nil
        else { throw Self.malformed }
        self.der = der
        notBefore = start
        notAfter = end
        publicKeyInfo = spki
    }

    static let malformed = CofferError(.malformedCertificate, "Unable to parse certificate. Please ensure the certificate is in PEM format.")

    /// Whether `privateKeyPEM` (PKCS#1 or PKCS#8 RSA, or EC P-256/384/521) is this certificate's key.
    public func matches(privateKeyPEM: String) throws(CofferError) -> Bool {
        let pem = privateKeyPEM.trimmingCharacters(in: .whitespacesAndNewlines)
        let candidates: [() throws -> [UInt8]] = [
            { Array(try _RSA.Signing.PrivateKey(pemRepresentation: pem).publicKey.derRepresentation) },
            { Array(try P256.Signing.PrivateKey(pemRepresentation: pem).publicKey.derRepresentation) },
            { Array(try P384.Signing.PrivateKey(pemRepresentation: pem).publicKey.derRepresentation) },
            { Array(try P521.Signing.PrivateKey(pemRepresentation: pem).publicKey.derRepresentation) },
        ]
        for candidate in candidates {
            if let publicKey = try? candidate() { return publicKey == publicKeyInfo }
        }
        throw CofferError(.malformedCertificate, "Unable to parse private key. Please ensure the private key is in PEM format.")
    }

    /// The base64 bodies of the PEM blocks with this label.
    public static func pemBlocks(_ text: String, label: String) -> [[UInt8]] {
        var blocks: [[UInt8]] = []
        var body: String?
        for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line == "-----BEGIN \(label)-----" {
                body = ""
            } else if line == "-----END \(label)-----" {
                if let text = body, let data = Data(base64Encoded: text) { blocks.append(Array(data)) } else { return [] }
                body = nil
            } else if body != nil {
                body! += line
            }
        }
        return body == nil ? blocks : []
    }
}

/// Reads DER's tag-length-value elements, refusing anything that runs past its container.
struct DERReader {
    private let bytes: [UInt8]
    private var offset: Int
    private let end: Int

    init(_ bytes: [UInt8]) { self.init(bytes, 0, bytes.count) }
    private init(_ bytes: [UInt8], _ start: Int, _ end: Int) {
        self.bytes = bytes
        offset = start
        self.end = end
    }

    var atEnd: Bool { offset == end }
    var peekTag: UInt8? { offset < end ? bytes[offset] : nil }

    /// The next element's (content start, content end, element start), if it has `tag`.
    private mutating func header(tag: UInt8) -> (Int, Int, Int)? {
        let start = offset
        guard offset + 2 <= end, bytes[offset] == tag else { return nil }
        var length = Int(bytes[offset + 1])
        var cursor = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, cursor + count <= end else { return nil }
            length = bytes[cursor..<cursor + count].reduce(0) { $0 << 8 | Int($1) }
            cursor += count
        }
        guard length >= 0, cursor + length <= end else { return nil }
        offset = cursor + length
        return (cursor, cursor + length, start)
    }

    /// The next element's contents, as a reader.
    mutating func next(tag: UInt8) -> DERReader? {
        header(tag: tag).map { DERReader(bytes, $0.0, $0.1) }
    }

    /// The next element whole (tag and length included).
    mutating func nextElement(tag: UInt8) -> [UInt8]? {
        header(tag: tag).map { Array(bytes[$0.2..<$0.1]) }
    }

    /// A UTCTime or GeneralizedTime, as a date.
    mutating func time() -> Date? {
        let tag = peekTag
        guard tag == 0x17 || tag == 0x18, let (start, stop, _) = header(tag: tag!) else { return nil }
        let text = String(decoding: bytes[start..<stop], as: UTF8.self)
        guard text.hasSuffix("Z") else { return nil }
        let digits = text.dropLast()
        guard digits.allSatisfy(\.isNumber), digits.count == (tag == 0x17 ? 12 : 14) else { return nil }
        let numbers = Array(digits).map { Int(String($0))! }
        func take(_ at: Int, _ count: Int) -> Int { numbers[at..<at + count].reduce(0) { $0 * 10 + $1 } }
        var year: Int
        var at: Int
        if tag == 0x17 {
            year = take(0, 2)
            year += year >= 50 ? 1900 : 2000
            at = 2
        } else {
            year = take(0, 4)
            at = 4
        }
        let month = take(at, 2), day = take(at + 2, 2), hour = take(at + 4, 2), minute = take(at + 6, 2), second = take(at + 8, 2)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second))
    }
}

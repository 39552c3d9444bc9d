/// PEM private keys (RSA, EC, DSA, PKCS#8, encrypted PKCS#8, OpenSSH, PGP): the block is found by
/// its BEGIN line and parsed, not just matched: the body must decode from base64 to a DER
/// SEQUENCE or an `openssh-key-v1` blob of real size, so a truncated example or a `...` in
/// documentation is not a finding.
struct PrivateKeyDetector: Detector {
    static let rule = Rule("private-key", "Private key", help: "Treat the key as compromised: replace it, revoke what it signed or authenticated, and keep the new one in a secret store.")
    var rules: [Rule] { [Self.rule] }
    let keywords = ["-----BEGIN "]

    /// The longest key body read (a 16384-bit RSA key is about 12 KiB of base64).
    static let maximumBody = 16_384

    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate]) {
        guard text.matches("-----BEGIN ", at: start) else { return }
        let labelLength = text.run(from: end, limit: 60) { ByteClass.isUpper($0) || $0 == 0x20 || ByteClass.isDigit($0) || $0 == UInt8(ascii: "_") }
        let label = text.string(end..<(end + labelLength))
        guard label.hasSuffix("PRIVATE KEY") || label.hasSuffix("PRIVATE KEY BLOCK"), text.matches("-----", at: end + labelLength) else { return }
        let bodyStart = end + labelLength + 5
        let limit = min(text.count, bodyStart + Self.maximumBody)
        // The END line; the body in between, minus RFC 1421 headers (Proc-Type, DEK-Info) and PGP's.
        var i = bodyStart
        var endMarker: Int?
        while i < limit {
            if text[i] == UInt8(ascii: "-"), text.matches("-----END ", at: i) { endMarker = i; break }
            i += 1
        }
        guard let close = endMarker else { return }
        // Logical lines: real newlines, or the two characters \n of a key pasted into JSON or code.
        var body: [UInt8] = []
        var encrypted = false
        var current: [UInt8] = []
        func flush() {
            if current.contains(UInt8(ascii: ":")) {
                if String(decoding: current, as: UTF8.self).contains("ENCRYPTED") { encrypted = true }
            } else if !(label.contains("PGP") && current.first == UInt8(ascii: "=")) {
                body.append(contentsOf: current.filter { ByteClass.isBase64($0) || $0 == UInt8(ascii: "=") })
            }
            current.removeAll(keepingCapacity: true)
        }
        var i2 = bodyStart
        while i2 < close {
            let b = text[i2]
            if ByteClass.isNewline(b) {
                flush()
            } else if b == 0x5C, i2 + 1 < close, text[i2 + 1] == UInt8(ascii: "n") {
                flush()
                i2 += 1
            } else {
                current.append(b)
            }
            i2 += 1
        }
        flush()
        guard let der = Base64.decode(body), der.count >= 64 else { return }
        let openssh = Array("openssh-key-v1\u{0}".utf8)
        let isDER = der[0] == 0x30 && (der[1] == 0x82 || der[1] == 0x81 || der[1] >= 0x40)
        let isOpenSSH = der.starts(with: openssh)
        let isPGP = label.contains("PGP")
        guard isDER || isOpenSSH || isPGP else { return }
        let kind = label.replacingOccurrences(of: " BLOCK", with: "")
        found.append(Candidate(rule: Self.rule, secret: start..<(close + 9 + labelLength + 5),
                               note: encrypted || label.contains("ENCRYPTED") ? "\(kind), encrypted" : kind))
    }
}

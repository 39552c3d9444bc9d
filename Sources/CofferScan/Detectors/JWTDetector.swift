import CofferCore

/// JSON Web Tokens: three base64url parts whose header decodes to a JSON object naming `alg`
/// and whose payload decodes to a JSON object. Unsigned tokens (`alg: none`) grant nothing and
/// are not findings.
struct JWTDetector: Detector {
    static let rule = Rule("jwt", "JSON Web Token", help: "Revoke the session or rotate the signing key if the token is still valid; keep tokens out of source.")
    var rules: [Rule] { [Self.rule] }
    let keywords = ["eyJ"]

    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate]) {
        guard text.matches("eyJ", at: start), !ByteClass.isBase64URL(text.before(start)) else { return }
        let header = text.run(from: start, limit: 2048, ByteClass.isBase64URL)
        guard header >= 10, text.at(start + header) == UInt8(ascii: ".") else { return }
        let payloadStart = start + header + 1
        let payload = text.run(from: payloadStart, limit: 8192, ByteClass.isBase64URL)
        guard payload >= 10, text.at(payloadStart + payload) == UInt8(ascii: ".") else { return }
        let signatureStart = payloadStart + payload + 1
        let signature = text.run(from: signatureStart, limit: 2048, ByteClass.isBase64URL)
        guard signature >= 16 else { return }
        guard let headerJSON = Self.object(text.slice(start..<(start + header))), case .string(let alg)? = headerJSON["alg"],
            alg.lowercased() != "none", Self.object(text.slice(payloadStart..<(payloadStart + payload))) != nil
        else { return }
        found.append(Candidate(rule: Self.rule, secret: start..<(signatureStart + signature), note: "alg \(alg)"))
    }

    static func object(_ part: [UInt8]) -> JSONObject? {
        guard let decoded = Base64.decode(part, urlSafe: true), case .object(let object)? = try? JSONParser.parse(decoded) else { return nil }
        return object
    }
}

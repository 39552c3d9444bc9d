/// Credentials carried base64-encoded: `Authorization: Basic dXNlcjpwYXNz` headers and Docker's
/// `config.json` (`"auth": "base64(user:password)"`). The value is decoded and must be
/// `user:password` with a password that is not a placeholder.
struct BasicAuthDetector: Detector {
    static let rule = Rule("basic-auth-credentials", "User name and password in base64 (HTTP Basic or a Docker auth entry)",
                           help: "Change the password and let the client read it from a credential store (docker-credential-*, a secret).")
    var rules: [Rule] { [Self.rule] }
    let keywords = ["Basic ", "\"auth\""]

    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate]) {
        var i = end
        if keyword == 1 {
            // "auth": "..."
            i += text.run(from: i, limit: 8, ByteClass.isSpace)
            guard text.at(i) == UInt8(ascii: ":") else { return }
            i += 1
            i += text.run(from: i, limit: 8, ByteClass.isSpace)
            guard text.at(i) == UInt8(ascii: "\"") else { return }
            i += 1
        } else if !text.matches("Basic ", at: start) {
            return
        }
        let length = text.run(from: i, limit: 1024) { ByteClass.isBase64($0) || $0 == UInt8(ascii: "=") }
        guard length >= 8, !ByteClass.isAlnum(text.at(i + length)) else { return }
        let encoded = text.slice(i..<(i + length))
        guard let decoded = Base64.decode(encoded), let colon = decoded.firstIndex(of: UInt8(ascii: ":")), colon > 0,
            decoded.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
        else { return }
        let password = Array(decoded[(colon + 1)...])
        guard password.count >= 6, !Placeholders.isPlaceholder(password, references: false) else { return }
        found.append(Candidate(rule: Self.rule, secret: i..<(i + length), note: "user \(String(decoding: decoded[..<colon], as: UTF8.self).prefix(32))"))
    }
}

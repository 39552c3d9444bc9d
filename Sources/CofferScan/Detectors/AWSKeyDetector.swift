/// AWS access key ids (AKIA, ASIA, ABIA, ACCA, A3T...) and the 40-character secret key written
/// near them. A pair is one finding (the secret is what leaks); an id alone is a finding of its own
/// kind, since it still names the account and the user. Coffer's root credentials are AWS-format
/// keys and are found the same way.
struct AWSKeyDetector: Detector {
    static let pair = Rule("aws-access-key", "AWS access key pair (key id and secret access key)",
                           help: "Deactivate and delete the key (IAM UpdateAccessKey, DeleteAccessKey), then keep the new one in a secret store; `coffer scan --verify` tells whether it is live.")
    static let keyID = Rule("aws-access-key-id", "AWS access key id",
                            help: "Find where its secret key went, then deactivate and delete the key.")

    var rules: [Rule] { [Self.pair, Self.keyID] }
    let keywords = ["AKIA", "ASIA", "ABIA", "ACCA", "A3T"]

    /// How far from the key id (in bytes, either side) its secret is looked for.
    static let pairingRadius = 600

    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate]) {
        // Upper case exactly, a word boundary before, 20 characters in all, a boundary after.
        for i in start..<end where !ByteClass.isUpper(text[i]) && !ByteClass.isDigit(text[i]) { return }
        if ByteClass.isAlnum(text.before(start)) { return }
        let rest = 20 - (end - start)
        guard text.run(from: end, limit: rest + 1, ByteClass.isBase32Upper) == rest, !ByteClass.isAlnum(text.at(start + 20)) else { return }
        let id = start..<(start + 20)
        let idBytes = text.slice(id)
        if Placeholders.knownExamples.contains(String(decoding: idBytes, as: UTF8.self)) || idBytes.suffix(7) == Array("EXAMPLE".utf8) { return }
        if Set(idBytes.dropFirst(4)).count <= 3 { return }
        if let secret = Self.secret(near: id, in: text) {
            found.append(Candidate(rule: Self.pair, secret: secret, partner: id))
        } else {
            found.append(Candidate(rule: Self.keyID, secret: id))
        }
    }

    /// The nearest 40-character base64 token around the key id that reads like a secret key.
    static func secret(near id: Range<Int>, in text: ByteText) -> Range<Int>? {
        let lower = max(0, id.lowerBound - pairingRadius)
        let upper = min(text.count, id.upperBound + pairingRadius)
        var best: (range: Range<Int>, distance: Int)?
        var i = lower
        while i < upper {
            guard ByteClass.isBase64(text[i]), !ByteClass.isBase64(text.before(i)) || i == lower else { i += 1; continue }
            let length = text.run(from: i, limit: 41, ByteClass.isBase64)
            if length == 40, isSecretKey(text.slice(i..<(i + 40))) {
                let distance = i < id.lowerBound ? id.lowerBound - i : i - id.upperBound
                if best == nil || distance < best!.distance { best = (i..<(i + 40), distance) }
            }
            i += max(length, 1)
        }
        return best?.range
    }

    /// Random-looking: mixed case and digits (a git SHA or a hex digest is not a secret key), not
    /// a documentation example.
    static func isSecretKey(_ bytes: [UInt8]) -> Bool {
        guard bytes.contains(where: ByteClass.isUpper), bytes.contains(where: ByteClass.isLower), bytes.contains(where: ByteClass.isDigit) else {
            return false
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if Placeholders.knownExamples.contains(text) || text.hasSuffix("EXAMPLEKEY") { return false }
        return Entropy.shannon(bytes) >= 4.2
    }
}

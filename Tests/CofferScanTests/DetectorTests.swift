@testable import CofferScan
import Foundation
import Testing

/// A GitHub- or npm-format token with a correct checksum.
func checksummed(_ prefix: String, random: String) -> String {
    prefix + random + String(decoding: CRC32.base62(CRC32.checksum(Array(random.utf8)), width: 6), as: UTF8.self)
}

func rules(in text: String) -> [String] { SecretScanner().scan(Array(text.utf8)).map(\.rule.id) }

@Suite struct DetectorTests {
    let github = checksummed("ghp_", random: "R8kq2Lm9Zx4Pw7Tn3Vb6Yc1Hd5Jf0G")
    let npm = checksummed("npm_", random: "a8Kq2Lm9Zx4Pw7Tn3Vb6Yc1Hd5Jf0G")

    @Test func automatonFindsEveryKeywordCaseInsensitively() {
        let automaton = KeywordAutomaton(keywords: ["he", "she", "his", "hers"])
        var hits: [(Int, Int)] = []
        Array("uSHErs ahis".utf8).withUnsafeBufferPointer { automaton.scan($0) { hits.append(($0, $1)) } }
        #expect(hits.map(\.0) == [1, 0, 3, 2])
        #expect(hits.map(\.1) == [4, 4, 6, 11])
    }

    @Test func crc32MatchesZlib() {
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        #expect(String(decoding: CRC32.base62(0, width: 6), as: UTF8.self) == "000000")
    }

    @Test(arguments: [
        "GITHUB_TOKEN=TOKEN\n", "npm config set //registry.npmjs.org/:_authToken=NPM\n",
    ])
    func checksummedTokensAreFound(template: String) {
        let text = template.replacingOccurrences(of: "TOKEN", with: github).replacingOccurrences(of: "NPM", with: npm)
        let found = rules(in: text)
        #expect(found == [text.contains("ghp_") ? "github-token" : "npm-token"])
    }

    @Test func aWrongChecksumIsNotAToken() {
        var broken = Array(github)
        broken[10] = broken[10] == "a" ? "b" : "a"
        #expect(rules(in: "token: \(String(broken))\n").filter { $0 == "github-token" }.isEmpty)
    }

    @Test func awsPairAndLoneKeyID() {
        let pair = "aws_access_key_id = AKIA6GBMW7QFGZXVVBN6\naws_secret_access_key = 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\n"
        let found = SecretScanner().scan(Array(pair.utf8))
        #expect(found.map(\.rule.id) == ["aws-access-key"])
        #expect(found.first.map { String(decoding: $0.value, as: UTF8.self) } == "4mQiit4tJjSl++WG9fq7Dcy0Wz0hSMNEEAmBjwEY")
        #expect(found.first?.partnerValue.map { String(decoding: $0, as: UTF8.self) } == "AKIA6GBMW7QFGZXVVBN6")
        #expect(rules(in: "key = 'ASIAY34FZKBOKMUTVV7A'") == ["aws-access-key-id"])
    }

    @Test(arguments: [
        "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  // AWS's documentation pair
        "AKIA...", "export AWS_ACCESS_KEY_ID='AKIA...'", "AKIA6GBMW7QFGZXVVBN",  // too short
        "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 AKIAXXXXXXXXXXXXXXXX",
        "password = os.environ['DB_PASSWORD']", "password: ${DB_PASSWORD}", "password = \"{{ vault_password }}\"",
        "password=changeme", "api_key = \"your-api-key-here\"", "secret_name: app/prod/db", "token = self.token",
        "if password == 'x':", "PASSWORD_MIN_LENGTH = 12", "password: str", "def set_password(self, password):",
        "postgres://user:${PASSWORD}@db:5432/app", "mysql://root:<password>@localhost/db", "https://example.com/docs",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
        "The token is stored in Secrets Manager: anomaly-detector/database/audit-store",
        "secret = \"IQoJb3JpZ2luX2VjE\" + encoded", "fields = [\"password\", \"token\"]", "check(\"password\", password)", "\"secretsmanager\": [\"secret\": \"AWS::SecretsManager::Secret\"]",
        // Types, not values: declarations and parameters with a type annotation.
        "var privateKey: P256Signing2Key", "init(format: Int, privateKey: ASN1OctetString1) throws", "struct SEC1PrivateKey: ASN1Taggable1 {",
        // Published on purpose, a library's name, a block scalar that holds prose.
        "publicToken = \"pk7Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc6\"", "notes = \"Maven - io.jsonwebtoken:jjwt-api-0.12.6\"",
        "api_token: |\n  Paste the token you were given here\n",
    ])
    func nearMissesAreNotFindings(text: String) {
        #expect(rules(in: text).isEmpty, "\(text)")
    }

    @Test(arguments: [
        ("DB_PASSWORD=Tr0ub4dor&3x\n", "password-assignment"),
        ("  password: \"k9#Lm2$vQ8!pZ\"\n", "password-assignment"),
        ("{\"api_key\": \"4f9a8c2e7b1d6f3a9e0c5b8d2a7f1e6c\"}", "secret-assignment"),
        ("<password>Zq8!rT2#mW5p</password>", "password-assignment"),
        ("spring.datasource.password=Vx7#kP2q!Lm9", "password-assignment"),
        ("define('DB_PASSWORD', 'Qm4!zT8#pL2x');", "password-assignment"),
        ("props.put(\"api_token\", \"4f9a8c2e7b1d6f3a9e0c5b8d\");", "secret-assignment"),
        ("Server=db;Database=app;User Id=sa;Password=Rk7#mW2!qZ9p;", "password-assignment"),
        ("mysql --user=app --password=Hx5%tL8@wQ3n db", "password-assignment"),
        ("resource \"aws_db_instance\" \"db\" {\n  password = \"Gh5$tR8@wQ2z\"\n}", "password-assignment"),
        ("\"    conn = connect(password=\\\"Nb4%hY7&kL1x\\\")\\n\",", "password-assignment"),
        ("DATABASE_URL=postgresql://app:Xk9vR2mQ7pLz@db.internal:5432/app", "url-credentials"),
        ("mongodb+srv://svc:Pq7Wm2Zr9Kx4@cluster0.mongodb.net/", "url-credentials"),
        ("COFFER_ROOT_KEY=q3Jm8Zr1Vx5Kp9Lt2Wn7Yb4Hc6Df0Gs3Aa1Bb2Cc3Dd=", "coffer-root-credentials"),
        ("AccountKey=" + String(repeating: "Kq8Zr1Vx5Kp9Lt2Wn7Yb4Hc6Df0Gs3Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2Mm3Nn4Oo5Pp6Qq7Rr8Ss", count: 1).prefix(86) + "==;",
         "azure-storage-key"),
        ("SLACK_BOT_TOKEN=xoxb-2405678901-2405678901234-Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc6", "slack-token"),
        ("STRIPE_KEY=sk_live_51Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc6", "stripe-key"),
        ("key=AIzaSyB8Zr1Vx5Kp9Lt2Wn7Yb4Hc6Df0Gs3Aa1B", "google-api-key"),
        ("SENDGRID=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", "sendgrid-api-key"),
        // A type between the name and "=" (Go, Swift, Kotlin, Python annotations).
        ("var deployToken string = \"Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc\"", "secret-assignment"),
        ("let apiToken: String = \"Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc\"", "secret-assignment"),
        ("password: str = \"Zq8!rT2#mW5p\"", "password-assignment"),
        // PHP's and make's other assignment operators.
        ("$apiToken .= \"Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc\";", "secret-assignment"),
        ("DEPLOY_TOKEN ?= Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc", "secret-assignment"),
        ("DEPLOY_TOKEN += Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc", "secret-assignment"),
        ("DEPLOY_TOKEN ::= Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc", "secret-assignment"),
        ("DEPLOY_TOKEN :::= Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc", "secret-assignment"),
        // The value on a line of its own: an XML element, a YAML block scalar.
        ("<deployToken>\n    Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc\n</deployToken>", "secret-assignment"),
        ("deploy_token: |\n  Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc\n", "secret-assignment"),
        ("deploy_token: >-\n  Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc\n", "secret-assignment"),
        // Names the keyword list missed: creds, hyphenated and run-together private keys.
        ("db_creds = Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc", "secret-assignment"),
        ("private-key: Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc6Df0Gs3Aa1B-_x", "secret-assignment"),
        ("privateKey = \"Hq8Zr1Vx5Kp9Lt2Wn7Yb4Hc6Df0Gs3Aa1B\"", "secret-assignment"),
        // A YAML flow mapping's comma is not a parameter list's.
        ("credentials: {user: app, password: Zq8rT2mW5pX9}", "password-assignment"),
    ])
    func truePositives(text: String, rule: String) {
        #expect(rules(in: text) == [rule], "\(text)")
    }

    @Test func privateKeysAreParsedNotMatched() throws {
        let der = [UInt8]([0x30, 0x82, 0x04, 0xA4]) + (0..<200).map { UInt8($0 & 0xFF) }
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        let pem = "-----BEGIN RSA PRIVATE KEY-----\n\(body)\n-----END RSA PRIVATE KEY-----\n"
        #expect(rules(in: pem) == ["private-key"])
        // Pasted into JSON with \n escapes, as service-account files carry them.
        let escaped = "{\"private_key\": \"" + pem.replacingOccurrences(of: "\n", with: "\\n") + "\"}"
        #expect(rules(in: escaped) == ["private-key"])
        let openssh = Array("openssh-key-v1\u{0}".utf8) + (0..<120).map { UInt8($0) }
        let sshPEM = "-----BEGIN OPENSSH PRIVATE KEY-----\n\(Data(openssh).base64EncodedString())\n-----END OPENSSH PRIVATE KEY-----"
        #expect(SecretScanner().scan(Array(sshPEM.utf8)).first?.note == "OPENSSH PRIVATE KEY")
        // A body that does not decode to a key is not one.
        #expect(rules(in: "-----BEGIN PRIVATE KEY-----\nnot base64 at all, just words in a document here ok\n-----END PRIVATE KEY-----").isEmpty)
    }

    @Test func jwtHeaderIsDecoded() {
        let header = Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        let payload = Data(#"{"sub":"1234567890","name":"x"}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        let token = "\(header).\(payload).SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        let found = SecretScanner().scan(Array("Authorization: Bearer \(token)".utf8))
        #expect(found.map(\.rule.id) == ["jwt"] && found.first?.note == "alg HS256")
    }

    @Test func allowCommentsAndLinePositions() {
        let text = "a\nb\nDB_PASSWORD=Tr0ub4dor&3x # coffer:allow\n# pragma: allowlist nextline secret\nAPI_PASSWORD=Xy7#Lm2$Qw9!\nPASS=Rt5%Kp8&Zm3@\n"
        let found = SecretScanner().scan(Array(text.utf8))
        #expect(found.count == 1)
        #expect(found.first?.line == 6 && found.first?.column == 6)
    }

    @Test func basicAuthIsDecoded() {
        let pair = Data("deploy:Xk9#vR2mQ7pL".utf8).base64EncodedString()
        #expect(rules(in: "curl -H 'Authorization: Basic \(pair)' https://api.internal") == ["basic-auth-credentials"])
        #expect(rules(in: "{\"auths\": {\"registry.example.com\": {\"auth\": \"\(pair)\"}}}") == ["basic-auth-credentials"])
        let placeholder = Data("user:password".utf8).base64EncodedString()
        #expect(rules(in: "Authorization: Basic \(placeholder)").isEmpty)
        #expect(rules(in: "Authorization: Basic realm=\"api\"").isEmpty)
        // A decoded password is the password: one that starts with "@" or "$" is not a reference
        // (the scan corpus's seeds 1 and 2 each had a Docker auth entry missed for it).
        let at = Data("ci-qjpaq:@Fq@T8=hsocRe_?Std".utf8).base64EncodedString()
        #expect(rules(in: "{\"auths\": {\"registry.example.com\": {\"auth\": \"\(at)\"}}}") == ["basic-auth-credentials"])
    }

    @Test func redactionShowsOnlyTheEnds() {
        #expect(Finding.redact(Array("Tr0ub4dor&3x".utf8)) == "T**********x")
        #expect(Finding.redact(Array("short".utf8)) == "*****")
    }
}

/// One true token and one near miss for every prefix format.
@Suite struct TokenFormatTests {
    static func hex(_ n: Int) -> String { String((0..<n).map { Array("0123456789abcdef")[($0 * 7 + 3) % 16] }) }
    static func b62(_ n: Int) -> String { String((0..<n).map { Array("aZ3kQ9mB2xL7pW4tR8vN1cH6yJ0dF5gS")[($0 * 5 + 1) % 32] }) }
    static func atlassian() -> String {
        let body = "ATATT3xFfGF0" + b62(170)
        return body + String(format: "%08X", CRC32.checksum(Array(body.utf8)))
    }

    static let cases: [(String, String)] = {
        var list: [(String, String)] = []
        list.append(("glpat-" + b62(20), "gitlab-token"))
        list.append(("sk-proj-" + b62(20) + "T3BlbkFJ" + b62(20), "openai-api-key"))
        list.append(("sk-ant-api03-" + b62(93) + "AA", "anthropic-api-key"))
        list.append(("SK" + hex(32), "twilio-api-key"))
        list.append(("pypi-AgEIcHlwaS5vcmc" + b62(60), "pypi-token"))
        list.append(("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", "huggingface-token"))
        list.append(("shpat_" + hex(32), "shopify-token"))
        list.append(("dop_v1_" + hex(64), "digitalocean-token"))
        list.append(("dapi" + hex(32), "databricks-token"))
        list.append(("hvs." + b62(95), "vault-token"))
        list.append(("AGE-SECRET-KEY-1" + String(repeating: "QZ7KP2XM", count: 7) + "QZ", "age-secret-key"))
        list.append(("PMAK-" + hex(24) + "-" + hex(34), "postman-api-key"))
        list.append((atlassian(), "atlassian-api-token"))
        list.append(("key-" + hex(32), "mailgun-api-key"))
        list.append(("lin_api_" + b62(40), "linear-api-key"))
        list.append(("dp.pt." + b62(43), "doppler-token"))
        list.append(("xoxp-1234567890-1234567890-1234567890-" + hex(32), "slack-token"))
        list.append(("https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/aZkQmBxLpWtRvNcHyJdFgSaZ", "slack-webhook"))
        list.append(("rk_live_" + b62(30), "stripe-key"))
        list.append(("GOCSPX-" + b62(28), "google-oauth-client-secret"))
        list.append(("sq0csp-" + b62(43), "square-token"))
        list.append(("NRAK-" + "QZ7KP2XM3B9C4D5E6F7G8H9J0K1", "new-relic-key"))
        list.append(("glsa_" + b62(32) + "_" + hex(8), "grafana-token"))
        list.append(("bkua_" + hex(40), "buildkite-token"))
        list.append(("7362519804:AAH" + b62(32), "telegram-bot-token"))
        return list
    }()

    /// Formats of one exact length: a token a character short is not one of them.
    static let fixedLength: Set<String> = ["anthropic-api-key", "twilio-api-key", "huggingface-token", "shopify-token",
                                           "digitalocean-token", "databricks-token", "age-secret-key", "postman-api-key", "mailgun-api-key",
                                           "linear-api-key", "doppler-token", "atlassian-api-token", "google-oauth-client-secret",
                                           "new-relic-key", "grafana-token", "buildkite-token"]

    @Test func eachFormatIsFoundAndAShortOneIsNot() {
        for (token, rule) in Self.cases {
            #expect(rules(in: "value = \(token)\n") == [rule], "\(token)")
            if Self.fixedLength.contains(rule) {
                #expect(!rules(in: "value = \(token.dropLast())\n").contains(rule), "\(token)")
            }
        }
    }

    @Test func atlassianChecksumIsChecked() {
        var broken = Array(Self.atlassian().utf8)
        broken[20] = broken[20] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        #expect(rules(in: String(decoding: broken, as: UTF8.self)).filter { $0 == "atlassian-api-token" }.isEmpty)
    }

    @Test(arguments: ["hf_your_token_here", "shpat_" + "x" * 32, "key-" + "0" * 32, "dapi" + "a" * 32])
    func placeholdersAreNot(text: String) {
        #expect(rules(in: "token_example = \(text)").filter { $0 != "secret-assignment" }.isEmpty, "\(text)")
    }
}

private func * (s: String, n: Int) -> String { String(repeating: s, count: n) }

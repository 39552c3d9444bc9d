@testable import CofferScan
import Foundation
import Testing

/// Credentials written base64-encoded (Kubernetes Secrets, Docker configs) are found in what they
/// decode to, reported where the encoded text is.
@Suite struct EncodedSegmentsTests {
    let github = checksummed("ghp_", random: "R8kq2Lm9Zx4Pw7Tn3Vb6Yc1Hd5Jf0G")

    func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    var pem: String {
        let der = [UInt8]([0x30, 0x82, 0x04, 0xA4]) + (0..<200).map { UInt8($0 & 0xFF) }
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN RSA PRIVATE KEY-----\n\(body)\n-----END RSA PRIVATE KEY-----\n"
    }

    @Test func aKubernetesSecretsDataIsDecodedAndReportedAtItsLine() throws {
        let manifest = """
            apiVersion: v1
            kind: Secret
            data:
              GITHUB_TOKEN: \(b64(github))
              tls.key: \(b64(pem))
              username: \(b64("admin"))
            """
        let matches = SecretScanner().scan(Array(manifest.utf8))
        #expect(matches.map(\.rule.id) == ["github-token", "private-key"])
        #expect(matches.map(\.line) == [4, 5])
        #expect(matches.allSatisfy { $0.note?.hasPrefix("base64-encoded") == true })
        // The secret is the decoded one: the same fingerprint as the token written in the clear.
        #expect(matches[0].value == Array(github.utf8))
        let clear = Finding(match: SecretScanner().scan(Array("token = \"\(github)\"".utf8))[0], path: "a.yaml")
        #expect(Finding(match: matches[0], path: "a.yaml").fingerprint == clear.fingerprint)
    }

    @Test func aDockerConfigInsideASecretIsTwoLevelsDeepAndAThirdIsNotRead() {
        let config = "{\"auths\":{\"registry.example.com\":{\"auth\":\"\(b64("ci-bot:Zq8rT2mW5pX9kL"))\"}}}"
        #expect(rules(in: "data:\n  .dockerconfigjson: \(b64(config))\n") == ["basic-auth-credentials"])
        #expect(rules(in: "blob: \(b64(b64(b64(github))))\n").isEmpty)
        #expect(rules(in: "blob: \(b64(b64(github)))\n") == ["github-token"])
    }

    @Test func everySecretOfOneDecodedTextIsReported() {
        let env = "GITHUB_TOKEN=\(github)\nDB_PASSWORD=Zq8!rT2#mW5p\n"
        let matches = SecretScanner().scan(Array("ENV_FILE: \(b64(env))\n".utf8))
        #expect(Set(matches.map(\.rule.id)) == ["github-token", "password-assignment"])
        #expect(Set(matches.map(\.value)) == [Array(github.utf8), Array("Zq8!rT2#mW5p".utf8)])
    }

    @Test func identifiersDigestsAndBinaryAreNotText() {
        let random = Data((0..<48).map { UInt8(($0 * 97 + 13) & 0xFF) }).base64EncodedString()
        for text in ["let aVeryLongIdentifierNameForSomething = 1", "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                     "image: \(random)", "urlSafe: \(random.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))"] {
            #expect(rules(in: text).isEmpty, "\(text)")
        }
        #expect(!EncodedSegments.startsAsText(UnsafeBufferPointer(start: nil, count: 0)))
        let word = Array("aVeryLongIdentifierNameForSomething".utf8)
        #expect(word.withUnsafeBufferPointer { EncodedSegments.text(of: $0, urlSafe: false) } == nil)
        let encoded = Array(b64("this decodes to a sentence of text").utf8)
        #expect(encoded.withUnsafeBufferPointer { EncodedSegments.text(of: $0, urlSafe: false) } == Array("this decodes to a sentence of text".utf8))
    }

    @Test func anAllowCommentOnTheEncodedLineSilencesIt() {
        #expect(rules(in: "GITHUB_TOKEN: \(b64(github))  # coffer:allow\n").isEmpty)
    }

    @Test func runsAreFoundInEitherAlphabetWithTheirPadding() {
        var runs: [(String, Bool)] = []
        // "text with a question???" encodes with a "/", which the URL-safe alphabet writes "_".
        let standard = b64("sixteen bytes of text!"), urlSafe = b64("text with a question???").replacingOccurrences(of: "/", with: "_")
        let text = Array("a=\(standard) b=\(urlSafe) short=abc".utf8)
        text.withUnsafeBufferPointer { bytes in
            EncodedSegments.each(in: bytes) { run, urlSafe in runs.append((String(decoding: bytes[run], as: UTF8.self), urlSafe)) }
        }
        #expect(runs.map(\.0) == [standard, urlSafe])
        #expect(runs.map(\.1) == [false, true])
    }
}

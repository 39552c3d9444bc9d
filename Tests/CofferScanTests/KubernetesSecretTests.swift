@testable import CofferScan
import Foundation
import Testing

/// Every value of a Kubernetes Secret manifest's data is secret, whatever its key is called.
@Suite struct KubernetesSecretTests {
    func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func theDataAndStringDataOfASecretAreFindingsAndOtherKindsAreNot() {
        let manifests = """
            apiVersion: v1
            kind: Secret
            metadata:
              name: app
            data:
              # the signing key
              signing: '\(b64("Xq8rT2mW5pX9kL"))'
              empty: ""
              templated: {{ .Values.signing | b64enc }}
              ca.crt: \(b64("-----BEGIN CERTIFICATE-----\nMIIB"))
              sample: \(b64("changeme"))
              blob: |
                \(b64("Vn3#kP8qLm2!xZ"))
            stringData:
              db-password: Zq8rT2mW5pX9
            ---
            apiVersion: v1
            kind: ConfigMap
            data:
              setting: \(b64("not-a-secret-1234"))
            ---
            apiVersion: v1
            data:
              extra: \(b64("Wm9!rT2#qL5p"))
            kind: "Secret"
            ---
            kind: ExternalSecret
            spec:
              data:
                - secretKey: api-key
            """
        let matches = SecretScanner().scan(Array(manifests.utf8))
        #expect(matches.map(\.rule.id) == Array(repeating: "kubernetes-secret", count: 4))
        #expect(matches.map(\.note) == ["signing", "blob", "db-password", "extra"])
        #expect(matches.map(\.line) == [7, 13, 15, 24])
    }

    @Test func aTokenInsideTheDataIsReportedAsTheToken() {
        let token = checksummed("ghp_", random: "R8kq2Lm9Zx4Pw7Tn3Vb6Yc1Hd5Jf0G")
        let manifest = "apiVersion: v1\nkind: Secret\ndata:\n  GITHUB_TOKEN: \(b64(token))\n"
        #expect(rules(in: manifest) == ["github-token"])
    }

    @Test func aDocumentIsReadOnceHoweverManyKindLinesItHas() {
        // Not a valid manifest, but a scanner meets such files: the document is read by its first kind
        // line, each value once, and the 2,000 kind lines after it do not read it again.
        let lines = "kind: Secret\ndata:\n  signing: \(b64("Xq8rT2mW5pX9kL"))\n"
        let text = String(repeating: lines, count: 3) + String(repeating: "kind: Secret\n", count: 2000)
        let matches = SecretScanner().scan(Array(text.utf8))
        #expect(matches.map(\.line) == [3, 6, 9])
    }
}

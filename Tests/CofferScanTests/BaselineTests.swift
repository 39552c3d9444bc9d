@testable import CofferScan
import Foundation
import Testing

@Suite struct BaselineTests {
    /// A finding for `value` on `line` of `path`, as the scanner would report it.
    func finding(_ path: String, line: Int, value: String, partner: String? = nil, commit: String? = nil) -> Finding {
        let rule = SecretScanner().rules.first { $0.id == "password-assignment" }!
        let match = Match(rule: rule, secret: 0..<value.utf8.count, partner: nil, note: nil, line: line, column: 1, endLine: line,
                          endColumn: 2, value: Array(value.utf8), partnerValue: partner.map { Array($0.utf8) })
        var found = Finding(match: match, path: path, blob: commit == nil ? nil : "b10b")
        if let commit { found.introduction = GitHistory.Introduction(commit: commit, author: "a", date: "d", path: path) }
        return found
    }

    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("baseline-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func gitleaksIgnoreEntriesMatchFileAndLineAndTheirCommit() throws {
        let text = """
            # known
            config/app.env:generic-api-key:3
            3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e:src/db.py:generic-api-key:12

            """
        let ignore = try Baseline.gitleaksIgnore(text.replacingOccurrences(of: "\n", with: "\r\n"), root: "repo", source: ".gitleaksignore")
        #expect(ignore.contains(finding("repo/config/app.env", line: 3, value: "x")))
        #expect(!ignore.contains(finding("repo/config/app.env", line: 4, value: "x")))
        #expect(!ignore.contains(finding("repo/other/app.env", line: 3, value: "x")))
        // A commit-bearing entry names a history finding introduced by that commit, not a file's.
        #expect(ignore.contains(finding("repo/src/db.py", line: 12, value: "x", commit: "3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e")))
        #expect(!ignore.contains(finding("repo/src/db.py", line: 12, value: "x", commit: "0000000c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e")))
        #expect(!ignore.contains(finding("repo/src/db.py", line: 12, value: "x")))
    }

    @Test func aMalformedGitleaksIgnoreLineIsAnErrorNamingIt() {
        #expect(throws: ScanError.self) { try Baseline.gitleaksIgnore("a.env:rule:one\n", root: nil, source: "x") }
        #expect(throws: ScanError.self) { try Baseline.gitleaksIgnore("just-a-path\n", root: nil, source: "x") }
    }

    @Test func detectSecretsBaselinesMatchTheFileAndTheSecretsSHA1() throws {
        // detect-secrets 1.5.0's own file for `DB_PASSWORD=Tr0ub4dor&3x` in a.env and an AWS key id in creds.ini.
        let path = try file("""
            {"version": "1.5.0", "plugins_used": [], "filters_used": [], "results": {
              "a.env": [{"type": "Secret Keyword", "filename": "a.env", "hashed_secret": "c643246db75853796634f3acb9c5218398f34d98",
                         "is_verified": false, "line_number": 1}],
              "creds.ini": [{"type": "AWS Access Key", "filename": "creds.ini", "hashed_secret": "33414068174ad408345154357676f77a18cf8981",
                             "is_verified": false, "line_number": 1}]}}
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let baseline = try Baseline(file: path)
        #expect(baseline.contains(finding("./a.env", line: 9, value: "Tr0ub4dor&3x")))
        #expect(!baseline.contains(finding("a.env", line: 1, value: "Tr0ub4dor&3y")))
        #expect(!baseline.contains(finding("b.env", line: 1, value: "Tr0ub4dor&3x")))
        // An AWS pair is known when detect-secrets knew either half.
        #expect(baseline.contains(finding("work/creds.ini", line: 2, value: "4mQiit4tJjSl++WG9fq7Dcy0Wz0hSMNEEAmBjwEY", partner: "AKIAQWERTYUIOPASDFGH")))
    }

    @Test func cofferBaselinesAndReportsStillMatchByFingerprint() throws {
        let known = finding("a.env", line: 1, value: "Tr0ub4dor&3x")
        let path = try file(Baseline.file([known]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let baseline = try Baseline(file: path)
        #expect(baseline.fingerprints == [known.fingerprint])
        #expect(baseline.contains(finding("a.env", line: 40, value: "Tr0ub4dor&3x")))
        #expect(!baseline.contains(finding("a.env", line: 1, value: "another-Passw0rd")))
        // A file that is neither JSON nor gitleaks fingerprints is refused, not read as an empty baseline.
        let junk = try file("{not json")
        defer { try? FileManager.default.removeItem(atPath: junk) }
        #expect(throws: ScanError.self) { try Baseline(file: junk) }
    }
}

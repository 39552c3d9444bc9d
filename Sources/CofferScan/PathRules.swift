/// Decisions that depend on where a match is: cryptographic libraries ship published test
/// vectors (HPKE, KATs, Wycheproof) whose `shared_secret` and `key` members are hex by the
/// thousand and protect nothing. A generic secret that is pure hex in such a file is not a finding;
/// format-specific tokens and private keys there still are.
enum PathRules {
    static let vectorMarks = ["test-vectors", "test_vectors", "testvectors", "test vectors", "vectors/", "kat.json", "kat/", "wycheproof"]

    static func isPublishedTestVector(path: String, match: Match) -> Bool {
        guard match.rule.id == "secret-assignment", match.value.allSatisfy(ByteClass.isHex) else { return false }
        let lower = path.lowercased()
        return vectorMarks.contains { lower.contains($0) } || lower.hasSuffix("kat.json") || lower.hasSuffix(".kat")
    }
}

/// Azure Storage account keys in connection strings: `AccountKey=` followed by 88 characters of
/// base64 ending in `==` (64 random bytes).
struct AzureStorageKeyDetector: Detector {
    static let rule = Rule("azure-storage-key", "Azure Storage account key", help: "Rotate the storage account key in the Azure portal and use a managed identity or a secret store.")
    var rules: [Rule] { [Self.rule] }
    let keywords = ["AccountKey="]

    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate]) {
        guard text.matches("AccountKey=", at: start) else { return }
        let length = text.run(from: end, limit: 89) { ByteClass.isBase64($0) || $0 == UInt8(ascii: "=") }
        guard length == 88, text.at(end + 86) == UInt8(ascii: "="), text.at(end + 87) == UInt8(ascii: "=") else { return }
        let key = text.slice(end..<(end + 88))
        guard let decoded = Base64.decode(key), decoded.count == 64, Entropy.shannon(key) >= 4.5 else { return }
        found.append(Candidate(rule: Self.rule, secret: end..<(end + 88)))
    }
}

/// What a finding is, as reports name it: a stable id (SARIF's ruleId), a title and a hint.
public struct Rule: Sendable, Hashable {
    public let id: String
    public let title: String
    public let help: String

    public init(_ id: String, _ title: String, help: String) {
        self.id = id
        self.title = title
        self.help = help
    }
}

/// One match a detector confirmed, in byte offsets of the scanned text.
struct Candidate: Sendable {
    var rule: Rule
    /// The secret itself (what is redacted, fingerprinted and compared with baselines).
    var secret: Range<Int>
    /// A second part that belongs to it (an AWS secret key paired with its key id).
    var partner: Range<Int>?
    /// A short fact for the report (a JWT's algorithm, a key's type); never secret.
    var note: String?
    /// Found in the text a base64 run decodes to: the run's index among the text's runs (the
    /// candidate's ranges are the run), and the secret and partner as decoded.
    var decoded: (run: Int, value: [UInt8], partner: [UInt8]?)? = nil
}

/// Finds one family of credentials. It names the keywords that can start or introduce one; the
/// scanner calls it only where one of them occurs, with the keyword's position.
protocol Detector: Sendable {
    var rules: [Rule] { get }
    var keywords: [String] { get }
    /// `keyword` indexes this detector's own `keywords`; `start..<end` is where it occurs.
    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate])
}

/// One credential found in one piece of text, with its position.
public struct Match: Sendable, Equatable {
    public let rule: Rule
    /// Byte offsets of the secret (and of its partner, for an AWS key pair).
    public let secret: Range<Int>
    public let partner: Range<Int>?
    public let note: String?
    /// 1-based line and column (in bytes) of the secret's start.
    public let line: Int
    public let column: Int
    public let endLine: Int
    public let endColumn: Int
    /// The secret's bytes, for redaction, fingerprints and verification only: never logged.
    public let value: [UInt8]
    public let partnerValue: [UInt8]?
}

/// Runs every detector over a text in one pass: the keyword automaton finds where a credential
/// can start, and only there does a detector look. Then overlapping candidates are resolved (a
/// specific detector wins over the generic assignment one) and inline allow comments honoured.
public struct SecretScanner: Sendable {
    let detectors: [any Detector]
    let automaton: KeywordAutomaton
    /// For each automaton keyword: the detector and the detector's own keyword index.
    let routes: [(detector: Int, keyword: Int)]
    public let rules: [Rule]
    let disabled: Set<String>

    public init(disabledRules: Set<String> = [], configuration: ScanConfiguration = ScanConfiguration()) {
        let detectors: [any Detector] = [
            PrefixTokenDetector(tokens: TokenRules.detector.tokens + TokenRules.more + configuration.tokens), TelegramBotTokenDetector(), AWSKeyDetector(), PrivateKeyDetector(), JWTDetector(), URLCredentialDetector(), AssignmentDetector(),
            AzureStorageKeyDetector(), BasicAuthDetector(), KubernetesSecretDetector(),
        ]
        var keywords: [String] = []
        var routes: [(Int, Int)] = []
        for (d, detector) in detectors.enumerated() {
            for (k, keyword) in detector.keywords.enumerated() {
                keywords.append(keyword)
                routes.append((d, k))
            }
        }
        self.detectors = detectors
        self.routes = routes
        self.automaton = KeywordAutomaton(keywords: keywords)
        var seen = Set<String>()
        self.rules = detectors.flatMap(\.rules).filter { seen.insert($0.id).inserted }.sorted { $0.id < $1.id }
        self.disabled = disabledRules.union(configuration.disabled)
    }

    /// Everything found in `bytes`, in order of position.
    public func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> [Match] { scan(bytes, depth: 0) }

    /// How deep decoded text is decoded again: a Kubernetes Secret holding a Docker config whose
    /// `auth` is base64 too is two levels.
    static let decodingDepth = 2

    private func scan(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int) -> [Match] {
        let text = ByteText(bytes: bytes)
        var candidates: [(candidate: Candidate, priority: Int)] = []
        var found: [Candidate] = []
        automaton.scan(bytes) { keywordIndex, end in
            let route = routes[keywordIndex]
            let start = end - automaton.keywords[keywordIndex].utf8.count
            found.removeAll(keepingCapacity: true)
            detectors[route.detector].detect(text, keyword: route.keyword, start: start, end: end, into: &found)
            for candidate in found where !disabled.contains(candidate.rule.id) {
                candidates.append((candidate, Self.generic.contains(candidate.rule.id) ? 1 : 0))
            }
        }
        if depth < Self.decodingDepth {
            var runs = 0
            EncodedSegments.each(in: bytes) { run, urlSafe in
                guard let decoded = EncodedSegments.text(of: UnsafeBufferPointer(rebasing: bytes[run]), urlSafe: urlSafe) else { return }
                runs += 1
                for match in decoded.withUnsafeBufferPointer({ scan($0, depth: depth + 1) }) {
                    let note = match.note.map { "base64-encoded, \($0)" } ?? "base64-encoded"
                    let candidate = Candidate(rule: match.rule, secret: run, partner: match.partnerValue == nil ? nil : run, note: note,
                                              decoded: (runs, match.value, match.partnerValue))
                    candidates.append((candidate, Self.generic.contains(match.rule.id) ? 1 : 0))
                }
            }
        }
        guard !candidates.isEmpty else { return [] }
        return resolve(candidates, text)
    }

    public func scan(_ bytes: [UInt8]) -> [Match] { bytes.withUnsafeBufferPointer { scan($0) } }

    /// The generic assignment rules, which yield to a specific detector's finding of the same secret.
    static let generic = Set(AssignmentDetector().rules.map(\.id))

    private func resolve(_ candidates: [(candidate: Candidate, priority: Int)], _ text: ByteText) -> [Match] {
        // Specific detectors first, then what decoded text holds (it names the secret itself, not its
        // encoding); a candidate overlapping one already kept is the same secret, unless both came out of
        // one decoded run, whose own scan already told its secrets apart.
        let ordered = candidates.sorted { a, b in
            if a.priority != b.priority { return a.priority < b.priority }
            if (a.candidate.decoded == nil) != (b.candidate.decoded == nil) { return a.candidate.decoded != nil }
            return a.candidate.secret.lowerBound < b.candidate.secret.lowerBound
        }
        var kept: [Candidate] = []
        for (candidate, _) in ordered {
            let spans = [candidate.secret] + (candidate.partner.map { [$0] } ?? [])
            let overlaps = kept.contains { other in
                if let run = candidate.decoded?.run, other.decoded?.run == run { return false }
                let otherSpans = [other.secret] + (other.partner.map { [$0] } ?? [])
                return spans.contains { span in otherSpans.contains { $0.overlaps(span) } }
            }
            if !overlaps { kept.append(candidate) }
        }
        kept.sort { $0.secret.lowerBound < $1.secret.lowerBound }
        var lines = LineIndex(text)
        var matches: [Match] = []
        for candidate in kept {
            let first = min(candidate.secret.lowerBound, candidate.partner?.lowerBound ?? .max)
            if lines.isAllowed(at: first) || lines.isAllowed(at: candidate.secret.lowerBound) { continue }
            let (line, column) = lines.position(of: candidate.secret.lowerBound)
            let (endLine, endColumn) = lines.position(of: candidate.secret.upperBound)
            matches.append(Match(rule: candidate.rule, secret: candidate.secret, partner: candidate.partner, note: candidate.note,
                                 line: line, column: column, endLine: endLine, endColumn: endColumn,
                                 value: candidate.decoded?.value ?? text.slice(candidate.secret),
                                 partnerValue: candidate.decoded.map(\.partner) ?? candidate.partner.map { text.slice($0) }))
        }
        return matches
    }
}

/// Line numbers for the few offsets that have findings, and inline allow comments:
/// `coffer:allow` (or gitleaks' `gitleaks:allow`, detect-secrets' `pragma: allowlist secret`) on
/// the line, or `pragma: allowlist nextline secret` / `coffer:allow-next-line` on the line before.
struct LineIndex {
    let text: ByteText
    private var cursor = 0
    private var line = 1
    private var lineStart = 0
    /// How much of a line around a finding is searched for an allow comment: minified files and
    /// JSON vectors can be one line of megabytes, and must not cost that much per finding.
    static let window = 1024

    init(_ text: ByteText) { self.text = text }

    /// Offsets must be asked in increasing order (or the count restarts).
    mutating func position(of offset: Int) -> (line: Int, column: Int) {
        if offset < cursor {
            cursor = 0
            line = 1
            lineStart = 0
        }
        var i = cursor
        while i < offset {
            if text[i] == 0x0A {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        cursor = offset
        return (line, offset - lineStart + 1)
    }

    static let sameLine: [[UInt8]] = ["coffer:allow", "gitleaks:allow", "pragma: allowlist secret"].map { Array($0.utf8) }
    static let nextLine: [[UInt8]] = ["pragma: allowlist nextline secret", "coffer:allow-next-line"].map { Array($0.utf8) }

    func isAllowed(at offset: Int) -> Bool {
        let start = boundedLineStart(offset)
        let line = text.slice(start..<boundedLineEnd(offset))
        if Self.sameLine.contains(where: { Bytes.contains(line, $0) }) { return true }
        guard start > 0, ByteClass.isNewline(text[start - 1]) else { return false }
        let previous = text.slice(boundedLineStart(start - 1)..<(start - 1))
        return Self.nextLine.contains(where: { Bytes.contains(previous, $0) })
    }

    private func boundedLineStart(_ i: Int) -> Int {
        var j = min(i, text.count)
        let floor = max(0, i - Self.window)
        while j > floor, !ByteClass.isNewline(text[j - 1]) { j -= 1 }
        return j
    }

    private func boundedLineEnd(_ i: Int) -> Int {
        var j = i
        let ceiling = min(text.count, i + Self.window)
        while j < ceiling, !ByteClass.isNewline(text[j]) { j += 1 }
        return j
    }
}

import Foundation

/// One `coffer scan`: what to read, how, and what came out. The command line fills it; tests
/// and the benchmark drive it the same way.
public struct ScanRun {
    public var paths: [String] = []
    public var standardInput = false
    public var repository: String?
    public var range: String?
    public var since: String?
    public var gitignore = false
    public var maximumFileSize = ScanInputs.defaultMaximumFileSize
    public var disabledRules: Set<String> = []
    public var baseline: Baseline?
    /// Honour the `.gitleaksignore` at the top of each scanned directory and repository, as gitleaks does.
    public var gitleaksIgnoreFiles = true
    public var configuration = ScanConfiguration()
    /// Called now and then with (items, bytes) read so far.
    public var progress: ((Int, Int) -> Void)?

    public init() {}

    public struct Outcome {
        public var findings: [Finding] = []
        public var skipped: [Skipped] = []
        public var baselined = 0
        public var items = 0
        public var bytes = 0
        /// The rules the scan ran with (built-in and configured), for SARIF's rule list.
        public var rules: [Rule] = []
    }

    public func run() throws -> Outcome {
        let scanner = SecretScanner(disabledRules: disabledRules, configuration: configuration)
        let allowlist = configuration.compiled
        var outcome = Outcome()
        outcome.rules = scanner.rules
        let known = try knownFindings()
        func take(_ item: ScanItem) {
            outcome.items += 1
            outcome.bytes += item.bytes.count
            for match in scanner.scan(item.bytes) {
                if PathRules.isPublishedTestVector(path: item.path, match: match) { continue }
                if configuration.allows(path: item.path, value: match.value, compiled: allowlist) { continue }
                let finding = Finding(match: match, path: item.path, blob: item.blob)
                // A history finding is compared once the commit that introduced it is known (below).
                if item.blob == nil, known.contains(finding) {
                    outcome.baselined += 1
                    continue
                }
                outcome.findings.append(finding)
            }
            if outcome.items % 256 == 0 { progress?(outcome.items, outcome.bytes) }
        }
        let skip: (Skipped) -> Void = { outcome.skipped.append($0) }
        if standardInput { take(try ScanInputs.standardInput(maximumSize: maximumFileSize)) }
        for path in paths {
            try ScanInputs.files(under: path, gitignore: gitignore, maximumSize: maximumFileSize, skipped: skip) { take($0) }
        }
        if let repository {
            let history = try GitHistory(repository: repository)
            if history.isShallow { outcome.skipped.append(Skipped(path: repository, reason: "shallow clone: history before its cut is not scanned")) }
            let blobs = try history.blobs(range: range, since: since) { oid in
                outcome.skipped.append(Skipped(path: "object \(oid.prefix(12))", reason: "missing from the repository (corrupt or partial clone)"))
            }
            let before = outcome.findings.count
            try history.contents(of: blobs, maximumSize: maximumFileSize, skipped: skip) { take($0) }
            // Attribute each blob with findings to the commit that introduced it.
            let introductions = history.introductions(of: Set(outcome.findings[before...].compactMap(\.blob)))
            for index in before..<outcome.findings.count {
                if let blob = outcome.findings[index].blob { outcome.findings[index].introduction = introductions[blob] }
            }
            if !known.isEmpty {
                let found = outcome.findings[before...]
                let kept = found.filter { !known.contains($0) }
                outcome.baselined += found.count - kept.count
                outcome.findings.replaceSubrange(before..., with: kept)
            }
        }
        progress?(outcome.items, outcome.bytes)
        return outcome
    }

    /// The baseline given, with the `.gitleaksignore` of each scanned directory (its paths relative
    /// to the directory) and of the repository's work tree (its paths relative to the repository, as
    /// history findings name them).
    private func knownFindings() throws -> Baseline {
        var known = baseline ?? Baseline()
        guard gitleaksIgnoreFiles else { return known }
        var isDirectory: ObjCBool = false
        for path in paths where FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue {
            let file = path + "/.gitleaksignore"
            if let data = FileManager.default.contents(atPath: file) {
                known.merge(try Baseline.gitleaksIgnore(String(decoding: data, as: UTF8.self), root: path, source: file))
            }
        }
        if let repository, let data = FileManager.default.contents(atPath: repository + "/.gitleaksignore") {
            known.merge(try Baseline.gitleaksIgnore(String(decoding: data, as: UTF8.self), root: nil, source: repository + "/.gitleaksignore"))
        }
        return known
    }
}

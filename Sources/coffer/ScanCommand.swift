import ArgumentParser
import CofferClient
import CofferScan
import CofferServer
import Foundation

/// `coffer scan`: hard-coded credentials in files, standard input and git history.
struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find hard-coded credentials in files, standard input and git history.",
        discussion: "Exit status: 0 nothing found, 1 credentials found, 2 error.")

    @Argument(help: "Files and directories to scan (default: . unless --git or - is given); - reads standard input.")
    var paths: [String] = []
    @Option(name: .customLong("git"), help: "Scan the history of this repository: every blob reachable from any ref, once.")
    var repository: String?
    @Option(help: "With --git: only what BASE..HEAD adds (a pull request's range).") var range: String?
    @Option(help: "With --git: only commits after this date (anything git log --since takes).") var since: String?
    @Option(help: "text, json or sarif.") var format = "text"
    @Option(help: "Write the report here instead of standard output.") var output: String?
    @Option(help: "Known findings that do not count: a --write-baseline file, a JSON report, detect-secrets' .secrets.baseline or a .gitleaksignore.")
    var baseline: String?
    @Flag(name: .customLong("no-gitleaksignore"), help: "Do not honour the .gitleaksignore at the top of a scanned directory or repository.")
    var noGitleaksIgnore = false
    @Option(name: .customLong("write-baseline"), help: "Write the fingerprints of what was found to this file.") var writeBaseline: String?
    @Flag(help: "Scan only what git would track (honour .gitignore).") var gitignore = false
    @Option(name: .customLong("max-file-size"), help: "Skip files larger than this many MiB (default 10).") var maxFileSize = 10
    @Option(name: .customLong("disable-rule"), help: "A rule id not to report (repeatable).") var disabledRules: [String] = []
    @Option(help: "Your own rules and allowlists: a JSON file (README) or a gitleaks .toml (its allowlists).") var config: String?
    @Option(help: "Check each AWS key pair found against this endpoint (Coffer or AWS) with a signed STS GetCallerIdentity; with your own credentials (AWS CLI environment or profile) also its owner, age and last use. Nothing is sent without it.")
    var verify: String?
    @Option(help: "With --verify: the profile whose credentials ask IAM about a key (default: AWS_PROFILE or the environment).") var profile: String?
    @Flag(help: "List skipped files and each finding's fingerprint and remedy.") var verbose = false
    @Flag(name: .customLong("no-progress"), help: "No progress line on standard error.") var noProgress = false

    func run() async throws { try await exitingTwoOnError("scan") { try await scan() } }

    private func scan() async throws {
        guard ["text", "json", "sarif"].contains(format) else { throw ScanError("--format must be text, json or sarif") }
        var run = ScanRun()
        run.paths = paths.filter { $0 != "-" }
        run.standardInput = paths.contains("-")
        if run.paths.isEmpty, !run.standardInput, repository == nil { run.paths = ["."] }
        run.repository = repository
        run.range = range
        run.since = since
        run.gitignore = gitignore
        run.maximumFileSize = maxFileSize << 20
        run.disabledRules = Set(disabledRules)
        if let baseline { run.baseline = try Baseline(file: baseline) }
        run.gitleaksIgnoreFiles = !noGitleaksIgnore
        if let config { run.configuration = try ScanConfiguration(file: config) }
        if !noProgress, isatty(STDERR_FILENO) != 0 {
            run.progress = { items, bytes in
                FileHandle.standardError.write(Data("\rscanned \(items) files, \(bytes >> 20) MiB".utf8))
            }
        }
        var outcome = try run.run()
        if run.progress != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if let verify {
            guard let url = URL(string: verify), url.scheme == "http" || url.scheme == "https" else { throw ScanError("--verify takes an http(s) URL") }
            let environment = ProcessInfo.processInfo.environment
            let own = try? await Connection(endpoint: verify, region: nil, profile: profile).credentials()
            let verifier = KeyVerifier(endpoint: url, region: environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1",
                                       operatorCredentials: own)
            for index in outcome.findings.indices where outcome.findings[index].rule.id == "aws-access-key" {
                let match = outcome.findings[index].match
                guard let keyID = match.partnerValue else { continue }
                outcome.findings[index].verification = await verifier.verify(keyID: String(decoding: keyID, as: UTF8.self), secret: match.value)
            }
        }
        let report: String
        switch format {
        case "json": report = Reports.json(outcome.findings, skipped: outcome.skipped, baselined: outcome.baselined)
        case "sarif": report = Reports.sarif(outcome.findings, rules: outcome.rules, version: CofferNode.version)
        default: report = Reports.text(outcome.findings, skipped: outcome.skipped, baselined: outcome.baselined, verbose: verbose)
        }
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(report.utf8)) else { throw ScanError("cannot write \(output)") }
        } else {
            FileHandle.standardOutput.write(Data(report.utf8))
        }
        if let writeBaseline {
            guard FileManager.default.createFile(atPath: writeBaseline, contents: Data(Baseline.file(outcome.findings).utf8)) else {
                throw ScanError("cannot write \(writeBaseline)")
            }
        }
        if !outcome.findings.isEmpty { throw ExitCode(1) }
    }
}

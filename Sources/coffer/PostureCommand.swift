import ArgumentParser
import CofferCore
import CofferPosture
import CofferServer
import Foundation

/// `coffer posture`: credential hygiene of an account (Coffer or AWS), read through the public APIs.
struct Posture: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "posture",
        abstract: "Report an account's secrets, keys, credentials and policies against Security Hub / CIS thresholds.",
        discussion: """
            Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 for bad usage or an unreadable input, \
            3 when nothing failed but some checks could not run (a partial report).
            """)

    @Option(name: .customLong("endpoint-url"), help: "Default: AWS_ENDPOINT_URL, else http://127.0.0.1:4566.") var endpoint: String?
    @Option(help: "Default: AWS_REGION or AWS_DEFAULT_REGION, else us-east-1.") var region: String?
    @Option(name: .customLong("aws-profile"), help: "The credentials profile (default: AWS_PROFILE, else the environment, else default).")
    var awsProfile: String?
    @Option(help: "The rule set: foundational (Security Hub), cis (CIS 3.0), strict, or checklist (12-character passwords, all four classes, 90 days, 24 remembered).") var profile: String?
    @Option(help: "A JSON file of thresholds and rules (docs/posture.md); its profile is the base.") var config: String?
    @Option(help: "A terraform.tfvars to grade against the Basic, Enhanced and Enterprise security tiers.") var tfvars: String?
    @Option(help: "text, json or sarif.") var format = "text"
    @Flag(name: .customLong("json-output"), help: "Print the JSON report (same as --format json).") var jsonOutput = false
    @Option(name: .customLong("report-file"), help: "Also write the JSON report to this file.") var reportFile: String?
    @Option(name: .customLong("fail-on"), help: "critical, high, medium, low, informational or none (default high).") var failOn = "high"
    @Flag(name: .customLong("no-progress"), help: "No progress lines on standard error.") var noProgress = false

    func run() async throws { try await exitingTwoOnError("posture") { try await posture() } }

    private func posture() async throws {
        let format = jsonOutput ? "json" : format
        guard ["text", "json", "sarif"].contains(format) else { throw ValidationError("--format must be text, json or sarif") }
        let threshold: PostureSeverity? = failOn.lowercased() == "none" ? nil
            : try PostureSeverity(argument: failOn).orThrow(ValidationError("--fail-on takes critical, high, medium, low, informational or none"))
        var settings = try config.map { try PostureConfiguration(file: $0) } ?? PostureConfiguration(profile: profile ?? "foundational")
        if let profile, config != nil {
            let base = try PostureConfiguration(profile: profile)
            settings.profile = base.profile
            settings.password = base.password
        }
        var tiers: TierReport?
        if let tfvars {
            guard let data = FileManager.default.contents(atPath: tfvars) else { throw ValidationError("cannot read \(tfvars)") }
            tiers = TerraformTiers.evaluate(file: tfvars, text: String(decoding: data, as: UTF8.self))
        }
        let showProgress = !noProgress
        var reader = AccountReader(callers: try await Connection(endpoint: endpoint, region: region, profile: awsProfile).callers())
        if showProgress { reader.progress = { FileHandle.standardError.write(Data("coffer posture: \($0)\n".utf8)) } }
        let snapshot = await reader.snapshot(days: settings.rootUsageDays)
        let report = PostureChecks.run(snapshot, configuration: settings, tiers: tiers)
        let json = PostureReports.json(report)
        let output = switch format {
        case "json": json
        case "sarif": PostureReports.sarif(report, version: CofferNode.version)
        default: PostureReports.text(report)
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        if let reportFile {
            guard FileManager.default.createFile(atPath: reportFile, contents: Data(json.utf8)) else { throw ValidationError("cannot write \(reportFile)") }
        }
        if let threshold, report.findings.contains(where: { $0.severity >= threshold }) { throw ExitCode(1) }
        if !report.notRun.isEmpty { throw ExitCode(3) }
    }
}

import ArgumentParser
import CofferCore
import CofferLint
import CofferPosture
import CofferServer
import Foundation

/// `coffer policy lint`: ValidatePolicy's checks and Coffer's least-privilege verdicts, on files,
/// standard input, or every policy stored in a running Coffer (or AWS account).
struct Lint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check IAM policies: grammar, the IAM dataset, and least privilege decided by Coffer's evaluator.",
        discussion: "Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 when the input could not be read.")

    @Argument(help: "Policy files; - reads standard input. With --endpoint-url and no files, every policy stored there.") var files: [String] = []
    @Option(name: .customLong("policy-type"), help: "auto, identity, boundary, resource, trust, secret, key, scp or rcp (default auto: a Principal makes it a resource policy, sts:AssumeRole* a trust policy).")
    var policyType = "auto"
    @Option(help: "text, json or sarif.") var format = "text"
    @Option(help: "Write the report here instead of standard output.") var output: String?
    @Option(name: .customLong("fail-on"), help: "error, security_warning, warning, suggestion or none (default security_warning: errors and security warnings fail).")
    var failOn = "security_warning"
    @Option(name: .customLong("ignore-finding"), help: "CODE, SOURCE or SOURCE.CODE not to report (repeatable), as cfn-policy-validator takes them.")
    var ignored: [String] = []
    @Flag(name: .customLong("no-suggestions"), help: "Do not print suggested policies in text output.") var noSuggestions = false
    @OptionGroup var connection: Connection
    @Flag(name: .customLong("from-endpoint"), help: "Lint every policy stored at the endpoint (managed and inline policies, trust policies, secret and key policies).")
    var fromEndpoint = false
    @Option(name: .customLong("endpoint"), help: "Short for --from-endpoint --endpoint-url URL.") var storedAt: String?

    func run() async throws { try await exitingTwoOnError("policy lint") { try await lint() } }

    private func lint() async throws {
        guard ["text", "json", "sarif"].contains(format) else { throw ValidationError("--format must be text, json or sarif") }
        let threshold: LintLevel? = failOn.lowercased() == "none" ? nil : try LintLevel(argument: failOn).orThrow(ValidationError("--fail-on takes error, security_warning, warning, suggestion or none"))
        var inputs: [PolicyInput] = []
        for file in files.flatMap(Self.expand) {
            let text: String
            if file == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                text = String(decoding: data, as: UTF8.self)
            }
            inputs.append(PolicyInput(source: file == "-" ? "stdin" : file, text: text, kind: try PolicyKindOption(policyType)))
        }
        if fromEndpoint || storedAt != nil {
            let source = storedAt.map { Connection(endpoint: $0, region: connection.region, profile: connection.profile) } ?? connection
            for stored in try await AccountReader(callers: try await source.callers()).policies() {
                let kind: PolicyKindOption = switch stored.kind {
                case .identity: .identity
                case .trust: .trust
                case .secret: .secret
                case .key: .key
                }
                inputs.append(PolicyInput(source: stored.source, text: stored.text, kind: kind))
            }
        }
        if inputs.isEmpty { throw ValidationError("give policy files, - for standard input, or --endpoint URL") }
        var results: [LintResult] = []
        for input in inputs {
            let (type, resource) = input.kind.resolve(input.text)
            let result = PolicyLinter.lint(input.text, source: input.source, type: type, resource: resource)
            let kept = result.findings.filter { finding in
                !ignored.contains { $0 == finding.code || $0 == input.source || $0 == "\(input.source).\(finding.code)" }
            }
            results.append(LintResult(source: result.source, findings: kept, suggestion: result.suggestion))
        }
        let report = switch format {
        case "json": LintReports.json(results)
        case "sarif": LintReports.sarif(results, version: CofferNode.version)
        default: LintReports.text(results, showSuggestions: !noSuggestions)
        }
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(report.utf8)) else { throw ValidationError("cannot write \(output)") }
        } else {
            FileHandle.standardOutput.write(Data(report.utf8))
        }
        if let threshold, results.contains(where: { $0.findings.contains { $0.level >= threshold } }) { throw ExitCode(1) }
    }
}

extension Lint {
    /// A directory stands for every `*.json` under it, in a stable order.
    static func expand(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
              let walker = FileManager.default.enumerator(atPath: path) else { return [path] }
        let base = path.hasSuffix("/") ? path : path + "/"
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }.sorted().map { base + $0 }
    }
}

/// A policy to lint and what it is attached to.
struct PolicyInput {
    let source: String
    let text: String
    let kind: PolicyKindOption
}

/// `--policy-type`, resolved per document when `auto`.
enum PolicyKindOption: String {
    case auto, identity, boundary, resource, trust, secret, key, scp, rcp

    init(_ text: String) throws {
        guard let kind = PolicyKindOption(rawValue: text.lowercased()) else {
            throw ValidationError("--policy-type takes auto, identity, boundary, resource, trust, secret, key, scp or rcp")
        }
        self = kind
    }

    func resolve(_ text: String) -> (LintPolicyType, LintResourceKind) {
        switch self {
        case .identity, .boundary: return (.identity, .none)
        case .resource: return (.resource, .other)
        case .trust: return (.resource, .roleTrust)
        case .secret: return (.resource, .secret)
        case .key: return (.resource, .key)
        case .scp: return (.serviceControl, .none)
        case .rcp: return (.resourceControl, .none)
        case .auto:
            // A resource policy when every statement names a principal; a stray Principal in an
            // identity policy is then reported as the error it is.
            guard case .object(let root)? = try? JSONParser.parse(text) else { return (.identity, .none) }
            let statements: [JSONValue] = switch root["Statement"] {
            case .array(let list)?: list
            case .object?: [root["Statement"]!]
            default: [.object(root)]
            }
            let withPrincipal = statements.filter { $0.objectValue?["Principal"] != nil || $0.objectValue?["NotPrincipal"] != nil }
            guard !statements.isEmpty, withPrincipal.count == statements.count else { return (.identity, .none) }
            return text.contains("sts:AssumeRole") ? (.resource, .roleTrust) : (.resource, .other)
        }
    }
}

extension Optional {
    func orThrow(_ error: some Error) throws -> Wrapped {
        guard let self else { throw error }
        return self
    }
}

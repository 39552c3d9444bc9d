import ArgumentParser
import CofferCore
import Foundation

struct Policy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Work with IAM policies locally.", subcommands: [Simulate.self, Lint.self])
}

/// `coffer policy simulate`: the server's policy engine, run on local files.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Evaluate policy files for actions and resources, as `aws iam simulate-custom-policy` does.")

    @Option(name: .customLong("policy"), help: "An identity policy file (repeatable).") var policies: [String] = []
    @Option(help: "A permissions boundary policy file.") var boundary: String?
    @Option(name: .customLong("resource-policy"), help: "A resource policy file (a secret's or a key's policy).") var resourcePolicy: String?
    @Option(name: .customLong("action"), help: "An action such as secretsmanager:GetSecretValue (repeatable).") var actions: [String] = []
    @Option(name: .customLong("resource"), help: "A resource ARN (repeatable; default *).") var resources: [String] = []
    @Option(name: .customLong("context"), help: "A context entry key=value[,value...] (repeatable).") var context: [String] = []
    @Option(name: .customLong("caller-arn"), help: "The principal's ARN (default arn:aws:iam::123456789012:user/SimulatedUser).")
    var callerARN = "arn:aws:iam::123456789012:user/SimulatedUser"
    @Flag(help: "Print JSON shaped like SimulateCustomPolicy's EvaluationResults.") var json = false
    @Flag(name: .customLong("fail-on-deny"), help: "Exit with status 1 if any decision is not allowed.") var failOnDeny = false

    func validate() throws {
        if policies.isEmpty { throw ValidationError("give at least one --policy") }
        if actions.isEmpty { throw ValidationError("give at least one --action") }
    }

    func run() async throws {
        var set = PolicySet()
        for path in policies { set.identity.append(NamedPolicy(name: path, document: try load(path, kind: .identity))) }
        if let boundary { set.boundary = NamedPolicy(name: boundary, document: try load(boundary, kind: .identity)) }
        if let resourcePolicy { set.resource = NamedPolicy(name: resourcePolicy, document: try load(resourcePolicy, kind: .resource)) }
        var keys: [String: [String]] = [:]
        for entry in context {
            guard let equals = entry.firstIndex(of: "=") else { throw ValidationError("--context takes key=value[,value...]: \(entry)") }
            keys[String(entry[..<equals])] = entry[entry.index(after: equals)...].split(separator: ",").map(String.init)
        }
        let account = ARN(callerARN)?.account ?? "123456789012"
        let principal = PrincipalIdentity(kind: callerARN.hasSuffix(":root") ? .root : .user, arn: callerARN, account: account)
        let results = PolicySimulator.simulate(policies: set, principal: principal, actions: actions, resources: resources, context: keys)
        if json {
            let array: [JSONValue] = results.map { result in
                .object([
                    "EvalActionName": .string(result.action), "EvalResourceName": .string(result.resource),
                    "EvalDecision": .string(result.decision),
                    "MatchedStatements": .array(result.matched.map { .object(["SourcePolicyId": .string($0.policy), "Sid": $0.sid.map(JSONValue.string) ?? .null]) }),
                ])
            }
            print(JSONWriter.string(.object(["EvaluationResults": .array(array)])))
        } else {
            for result in results {
                let why = result.matched.map { "\($0.policy)#\($0.sid ?? "statement \($0.index + 1)")" }.joined(separator: ", ")
                print([result.decision, result.action, result.resource, why].filter { !$0.isEmpty }.joined(separator: "\t"))
            }
        }
        if failOnDeny, results.contains(where: { $0.decision != "allowed" }) { throw ExitCode(1) }
    }

    private func load(_ path: String, kind: PolicyDocument.Kind) throws -> PolicyDocument {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        do { return try PolicyDocument.parse(text, kind: kind) } catch {
            throw ValidationError("\(path): MalformedPolicyDocument: \(error.message)")
        }
    }
}

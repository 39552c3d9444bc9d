import CofferCore

/// The `policyType` of ValidatePolicy, plus the policy kinds Coffer itself stores.
public enum LintPolicyType: String, Sendable, CaseIterable {
    case identity = "IDENTITY_POLICY", resource = "RESOURCE_POLICY"
    case serviceControl = "SERVICE_CONTROL_POLICY", resourceControl = "RESOURCE_CONTROL_POLICY"
}

/// What a resource policy is attached to, which narrows what it may say (ValidatePolicy's
/// `validatePolicyResourceType`, extended with the resources Coffer serves).
public enum LintResourceKind: String, Sendable {
    case none
    case roleTrust = "AWS::IAM::AssumeRolePolicyDocument"
    case secret = "AWS::SecretsManager::Secret"
    case key = "AWS::KMS::Key"
    case s3Bucket = "AWS::S3::Bucket"
    case other
}

/// `coffer policy lint` and ValidatePolicy: grammar and semantic checks against the IAM dataset,
/// then least-privilege checks decided by Coffer's policy evaluator.
public enum PolicyLinter {
    public static func lint(_ text: String, source: String = "policy", type: LintPolicyType = .identity,
                            resource: LintResourceKind = .none, dataset: IAMDataset = .shared) -> LintResult {
        var context = LintContext(text: text, type: type, resource: resource, dataset: dataset)
        let root: JSONValue
        do {
            (root, context.spans) = try JSONParser.parseLocated(Array(text.utf8))
        } catch {
            context.syntaxError(error)
            return LintResult(source: source, findings: context.findings, suggestion: nil)
        }
        DocumentChecks.run(root, &context)
        // The evaluator gets the statements that can be read as statements; a broken one is reported
        // above and must not hide what the others grant.
        let broken = context.findings.filter { $0.level == .error && DocumentChecks.structural.contains($0.code) }
        let brokenStatements = Set(broken.compactMap { finding -> Int? in
            guard let path = finding.locations.first?.path, path.count >= 2, path[0] == .value("Statement"), case .index(let i) = path[1] else { return nil }
            return i
        })
        let documentBroken = broken.contains { finding in
            guard let path = finding.locations.first?.path else { return true }
            return path.count < 2 && !(context.bareStatement && finding.code == "MISSING_STATEMENT")
        }
        if !documentBroken {
            let statements: [JSONValue] = context.bareStatement ? [root] : context.statements.filter { !brokenStatements.contains($0.number) }
                .compactMap { DocumentChecks.value(at: $0.path, in: root) }
                // Sids do not bear on what is granted; a duplicate one must not stop the evaluator.
                .map { statement -> JSONValue in
                    guard case .object(var object) = statement else { return statement }
                    object["Sid"] = nil
                    return .object(object)
                }
            let kept = context.bareStatement ? context.statements : context.statements.filter { !brokenStatements.contains($0.number) }
            if !kept.isEmpty {
                let document = JSONWriter.string(.object(["Version": .string("2012-10-17"), "Statement": .array(statements)]))
                LeastPrivilege.run(document, statements: kept, &context)
            }
        }
        let findings = context.findings.sorted { a, b in
            let pa = a.locations.first?.start.offset ?? -1, pb = b.locations.first?.start.offset ?? -1
            return pa != pb ? pa < pb : a.level > b.level
        }
        return LintResult(source: source, findings: findings, suggestion: PolicyFixer.suggest(root, findings: findings, context: context))
    }
}

/// What the checks share while walking one document.
struct LintContext {
    let text: String
    let type: LintPolicyType
    let resource: LintResourceKind
    let dataset: IAMDataset
    var spans: JSONSpans?
    var findings: [LintFinding] = []
    var statements: [StatementFacts] = []
    /// The document is one statement without its policy around it.
    var bareStatement = false
    /// Statement paths and what the fixer may change in each, filled by the checks.
    var fixes: [Fix] = []

    enum Fix {
        /// Replace a String/Arn equality operator whose values hold wildcards with its Like form.
        case likeOperator(operatorPath: [JSONPathElement], replacement: String)
        /// Move actions out of a statement into their own, with `resource` instead of the statement's
        /// resources when given, and without the condition when `dropCondition`.
        case moveActions(statement: [JSONPathElement], actions: [String], resource: String?, dropCondition: Bool, reason: String)
    }

    init(text: String, type: LintPolicyType, resource: LintResourceKind, dataset: IAMDataset) {
        self.text = text
        self.type = type
        self.resource = resource
        self.dataset = dataset
    }

    var isResourcePolicy: Bool { type == .resource || type == .resourceControl }
    var isTrustPolicy: Bool { resource == .roleTrust }

    /// Records a finding at `path`; `nameOnly` points at the member's name rather than its value.
    mutating func report(_ code: String, _ level: LintLevel, _ details: String, at path: [JSONPathElement], nameOnly: Bool = false) {
        let location = locate(path, nameOnly: nameOnly)
        findings.append(LintFinding(level: level, code: code, details: details, learnMoreLink: IssueCatalog.link(code: code, level: level),
                                    locations: location.map { [$0] } ?? []))
    }

    /// Records one of Coffer's own codes at its catalogued level (or a lower one for a scoped case).
    mutating func report(_ code: String, _ details: String, at path: [JSONPathElement], level: LintLevel? = nil) {
        report(code, level ?? IssueCatalog.cofferCodes[code]?.0 ?? .warning, details, at: path)
    }

    func locate(_ path: [JSONPathElement], nameOnly: Bool = false) -> LintLocation? {
        guard let spans else { return nil }
        guard let range = nameOnly ? spans.keys[path] ?? spans.values[path] : spans.values[path] ?? spans.keys[path] else { return nil }
        var elements: [LintPathElement] = path.map {
            switch $0 {
            case .index(let i): .index(i)
            case .key(let k): .value(k)
            }
        }
        if nameOnly, case .key(let k)? = path.last { elements[elements.count - 1] = .key(k) }
        let start = spans.position(of: range.lowerBound), end = spans.position(of: range.upperBound)
        return LintLocation(path: elements, start: LintPosition(line: start.line, column: start.column, offset: range.lowerBound),
                            end: LintPosition(line: end.line, column: end.column, offset: range.upperBound))
    }

    mutating func syntaxError(_ error: JSONParser.SyntaxError) {
        var lines = [0]
        for (offset, byte) in text.utf8.enumerated() where byte == 0x0A { lines.append(offset + 1) }
        let line = (lines.lastIndex { $0 <= error.offset } ?? 0)
        let position = LintPosition(line: line + 1, column: error.offset - lines[line], offset: error.offset)
        findings.append(LintFinding(
            level: .error, code: "JSON_SYNTAX_ERROR",
            details: "Fix the JSON syntax error at index \(error.offset) line \(position.line) column \(position.column): \(error.reason).",
            learnMoreLink: IssueCatalog.link(code: "JSON_SYNTAX_ERROR", level: .error),
            locations: [LintLocation(path: [], start: position, end: position)]))
    }
}

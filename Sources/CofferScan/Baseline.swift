import CofferCore
import Crypto
import Foundation

/// Known findings that no longer fail CI. Three kinds of file say which:
/// - Coffer's own: a `--write-baseline` file or any earlier JSON report. Identity is the fingerprint
///   (rule, path, secret), so a known secret that moves within its file stays known and a new one
///   is always reported.
/// - detect-secrets' `.secrets.baseline`: identity is the file and the SHA-1 of the secret
///   (detect-secrets' own, without its plugin type, whose names are not Coffer's rule ids).
/// - gitleaks' `.gitleaksignore`: `[commit:]file:rule-id:line` per line. The file, the line and the
///   commit (when given, for a history finding) must match; the rule id is not compared, since gitleaks'
///   ids are not Coffer's (`generic-api-key` against `password-assignment`).
public struct Baseline: Sendable {
    public private(set) var fingerprints: Set<String>
    private var secretDigests: [String: Set<String>] = [:]
    private var locations: [Location] = []

    struct Location: Sendable, Equatable {
        var commit: String?
        var file: String
        var line: Int
    }

    public init(fingerprints: Set<String> = []) { self.fingerprints = fingerprints }

    public init(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ScanError("cannot read the baseline \(path)") }
        let bytes = [UInt8](data)
        guard let value = try? JSONParser.parse(bytes) else {
            // Not JSON: gitleaks' ignore file, whose entries name files as gitleaks ran on them.
            self = try Self.gitleaksIgnore(String(decoding: bytes, as: UTF8.self), root: nil, source: path)
            return
        }
        guard case .object(let object) = value else { throw ScanError("\(path) is not a baseline (a JSON object)") }
        self.init()
        if case .array(let list)? = object["fingerprints"] {
            for case .string(let f) in list { fingerprints.insert(f) }
        }
        if case .array(let list)? = object["findings"] {
            for case .object(let finding) in list { if case .string(let f)? = finding["fingerprint"] { fingerprints.insert(f) } }
        }
        if case .object(let results)? = object["results"] {
            for (file, entries) in results.members {
                guard case .array(let list) = entries else { continue }
                for case .object(let entry) in list {
                    if case .string(let digest)? = entry["hashed_secret"] { secretDigests[Self.normalized(file), default: []].insert(digest.lowercased()) }
                }
            }
        }
    }

    /// A `.gitleaksignore`'s entries; `root` is the directory it was found in (its paths are relative to
    /// it), nil for a file named on the command line.
    public static func gitleaksIgnore(_ text: String, root: String?, source: String) throws -> Baseline {
        var baseline = Baseline()
        // By Character: "\r\n" is one, so CRLF files split as LF ones do.
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3, let number = Int(fields.removeLast()), number > 0, !fields.removeLast().isEmpty else {
                throw ScanError("\(source):\(index + 1): not a gitleaks fingerprint ([commit:]file:rule-id:line)")
            }
            var commit: String?
            if fields.count > 1, fields[0].count >= 7, fields[0].count <= 64, fields[0].allSatisfy(\.isHexDigit) {
                commit = fields.removeFirst().lowercased()
            }
            var file = normalized(fields.joined(separator: ":"))
            if let root, normalized(root) != "" { file = normalized(root) + "/" + file }
            baseline.locations.append(Location(commit: commit, file: file, line: number))
        }
        return baseline
    }

    public var isEmpty: Bool { fingerprints.isEmpty && secretDigests.isEmpty && locations.isEmpty }

    public mutating func merge(_ other: Baseline) {
        fingerprints.formUnion(other.fingerprints)
        secretDigests.merge(other.secretDigests) { $0.union($1) }
        locations += other.locations
    }

    public func contains(_ finding: Finding) -> Bool {
        if fingerprints.contains(finding.fingerprint) { return true }
        let path = Self.normalized(finding.path)
        if !secretDigests.isEmpty {
            let digests = secretDigests.filter { Self.names(path, $0.key) }.values.reduce(into: Set<String>()) { $0.formUnion($1) }
            let secrets = [finding.match.value] + (finding.match.partnerValue.map { [$0] } ?? [])
            if !digests.isEmpty, secrets.contains(where: { digests.contains(Hex.encode(Array(Insecure.SHA1.hash(data: $0)))) }) { return true }
        }
        return locations.contains { location in
            guard location.line == finding.match.line, Self.names(path, location.file) else { return false }
            guard let commit = location.commit else { return true }
            guard let introduced = finding.introduction?.commit.lowercased() else { return false }
            return introduced.hasPrefix(commit) || commit.hasPrefix(introduced)
        }
    }

    /// Whether a finding's path is the file an entry names: the same path, or the entry's path at the
    /// end of it (entries are written relative to where their tool ran).
    private static func names(_ path: String, _ file: String) -> Bool {
        path == file || path.hasSuffix("/" + file)
    }

    private static func normalized(_ path: String) -> String {
        var path = Substring(path)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        while path.hasSuffix("/") { path = path.dropLast() }
        return path == "." ? "" : String(path)
    }

    public static func file(_ findings: [Finding]) -> String {
        let value: JSONValue = .object([
            "version": .number(1),
            "fingerprints": .array(Set(findings.map(\.fingerprint)).sorted().map(JSONValue.string)),
        ])
        return JSONWriter.string(value) + "\n"
    }
}

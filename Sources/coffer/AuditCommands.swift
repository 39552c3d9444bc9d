import ArgumentParser
import CofferCore
import CofferServer
import Foundation

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check and export the audit trail of a data directory.", subcommands: [Verify.self, Export.self])
}

/// Options both audit commands take: where the data is and which records.
struct AuditRange: ParsableArguments {
    @Option(help: "The data directory (default ./coffer-data; env COFFER_DATA_DIR).") var dataDir: String?
    @Option(help: "A shared PostgreSQL database's URL instead of the data directory's file (env COFFER_DATABASE_URL).") var database: String?
    @Option(help: "Only records at or after this time (ISO 8601, e.g. 2026-11-22T10:00:00Z, or epoch seconds).") var from: String?
    @Option(help: "Only records at or before this time.") var to: String?

    func open() async throws -> AuditFiles {
        let environment = ProcessInfo.processInfo.environment
        return try await AuditFiles.open(dataDirectory: dataDir ?? environment["COFFER_DATA_DIR"] ?? "./coffer-data",
                                         database: database ?? environment["COFFER_DATABASE_URL"], environment: environment)
    }

    func range() throws -> (from: Date?, to: Date?) {
        let range = (try from.map(Self.date), try to.map(Self.date))
        if let start = range.0, let end = range.1, start > end { throw ValidationError("--from must not be after --to") }
        return range
    }

    static func date(_ text: String) throws -> Date {
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions.insert(.withFractionalSeconds)
        if let date = formatter.date(from: text) { return date }
        throw ValidationError("not a time: \(text) (use ISO 8601 such as 2026-11-22T10:00:00Z, or epoch seconds)")
    }
}

/// `coffer audit verify`: the chain, the digests' signatures and links, and the tail.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the audit trail's hash chain and signed digests; exits 1 on any change, insertion, deletion, reordering or cut-off tail.")

    @OptionGroup var range: AuditRange
    @Flag(help: "Print the result as JSON.") var json = false

    func run() async throws {
        let (from, to) = try range.range()
        let files = try await range.open()
        let result = try await files.trail.verify(from: from, to: to)
        await files.close()
        let report = result.report
        if json {
            var out: JSONObject = ["intact": .bool(report.isIntact), "recordsChecked": .number(Double(report.recordsChecked)),
                                   "digests": .number(Double(result.digests))]
            if let problem = report.problem { out["problem"] = .string(problem.rawValue) }
            if let position = report.position { out["position"] = .number(Double(position)) }
            if let first = result.firstSequence { out["firstSequence"] = .number(Double(first)) }
            if let last = result.lastSequence { out["lastSequence"] = .number(Double(last)) }
            print(JSONWriter.string(.object(out)))
        } else if let problem = report.problem {
            print("audit trail FAILED verification: \(Self.describe(problem)) at record \(report.position.map(String.init) ?? "?")"
                + " (\(report.recordsChecked) records before it verified)")
        } else {
            let span = result.firstSequence.map { "records \($0)-\(result.lastSequence ?? $0)" } ?? "no records"
            print("audit trail verified: \(report.recordsChecked) records (\(span)), \(result.digests) signed digests")
        }
        if !report.isIntact { throw ExitCode(1) }
    }

    static func describe(_ problem: AuditChain.Report.Problem) -> String {
        switch problem {
        case .changed: return "record changed"
        case .inserted: return "record inserted"
        case .deleted: return "record deleted"
        case .reordered: return "records reordered"
        case .truncated: return "trail cut off at the end"
        case .badDigestSignature: return "digest signature invalid"
        case .brokenDigestChain: return "digest chain broken"
        }
    }
}

/// `coffer audit export`: CloudTrail log files for a SIEM.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the audit records of a time range as CloudTrail log files ({\"Records\": [...]}).")

    @OptionGroup var range: AuditRange
    @Option(help: "The directory to write log files to; - writes one document to standard output.") var output = "-"
    @Option(help: "Records per file.") var recordsPerFile = 1000
    @Flag(help: "Write gzip-compressed .json.gz files, as CloudTrail delivers them (with --output DIR).") var gzip = false

    func validate() throws {
        guard recordsPerFile > 0 else { throw ValidationError("--records-per-file must be positive") }
        guard !gzip || output != "-" else { throw ValidationError("--gzip writes files: give --output DIR") }
    }

    func run() async throws {
        let (from, to) = try range.range()
        let files = try await range.open()
        if output == "-" {
            // One document, streamed: records are written as they are read.
            let out = FileHandle.standardOutput
            out.write(Data(#"{"Records":["#.utf8))
            var first = true
            try await files.trail.records(from: from, to: to) { record in
                out.write(Data((first ? [] : [UInt8(ascii: ",")]) + record))
                first = false
            }
            out.write(Data("]}\n".utf8))
        } else {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            var batch: [[UInt8]] = []
            var written = 0
            var fileCount = 0
            func flush() throws {
                guard !batch.isEmpty else { return }
                fileCount += 1
                let document = Array(#"{"Records":["#.utf8) + Array(batch.joined(separator: [UInt8(ascii: ",")])) + Array("]}\n".utf8)
                let name = String(format: "coffer_CloudTrail_%06d.json", fileCount) + (gzip ? ".gz" : "")
                try Data(gzip ? try Gzip.compress(document) : document).write(to: URL(fileURLWithPath: output).appendingPathComponent(name))
                written += batch.count
                batch.removeAll()
            }
            try await files.trail.records(from: from, to: to) { record in
                batch.append(record)
                if batch.count == recordsPerFile { try flush() }
            }
            try flush()
            FileHandle.standardError.write(Data("exported \(written) records to \(fileCount) files in \(output)\n".utf8))
        }
        await files.close()
    }
}

import Foundation

/// A repository's history as distinct blobs: every blob reachable from any ref (other branches,
/// tags, deleted files), each read once, in the order git lists them, through one `git cat-file
/// --batch` stream. Findings are attributed afterwards to the commit that introduced the blob,
/// which costs one `git log --find-object` per blob that has findings, not per blob.
public struct GitHistory: Sendable {
    public let repository: String

    public init(repository: String) throws {
        self.repository = repository
        _ = try Git.run(["-C", repository, "rev-parse", "--git-dir"])
    }

    /// Whether the clone is shallow: history before its cut is not there to be scanned.
    public var isShallow: Bool {
        (try? Git.run(["-C", repository, "rev-parse", "--is-shallow-repository"])).map { String(decoding: $0, as: UTF8.self).hasPrefix("true") } ?? false
    }

    /// Distinct blobs with the first path git lists them under. `range` (`BASE..HEAD`) limits to
    /// what a pull request adds; `since` to commits after a date.
    public func blobs(range: String? = nil, since: String? = nil, missing: ((String) -> Void)? = nil) throws -> [(blob: String, path: String)] {
        // --missing=print: a corrupt repository lists what it lacks ("?OID") instead of stopping.
        var arguments = ["-C", repository, "rev-list", "--objects", "--missing=print", "--filter=object:type=blob", "--filter-provided-objects"]
        if let since { arguments.append("--since=\(since)") }
        arguments.append(range ?? "--all")
        let output = try Git.run(arguments)
        var seen = Set<Substring>()
        var blobs: [(String, String)] = []
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("?") {
                missing?(String(line.dropFirst()))
                continue
            }
            let oid = line.prefix(while: { $0 != " " })
            guard oid.count >= 40, seen.insert(oid).inserted else { continue }
            let path = line.count > oid.count ? String(line.dropFirst(oid.count + 1)) : ""
            blobs.append((String(oid), path))
        }
        return blobs
    }

    /// Streams the blobs' contents through one `git cat-file --batch`; blobs over `maximumSize`,
    /// binary or missing (a corrupt repository) are reported through `skipped`.
    public func contents(of blobs: [(blob: String, path: String)], maximumSize: Int, skipped: (Skipped) -> Void,
                         _ each: (ScanItem) throws -> Void) throws {
        guard !blobs.isEmpty else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Git.executable())
        process.arguments = ["-C", repository, "cat-file", "--batch"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let request = Data(blobs.map { $0.blob + "\n" }.joined().utf8)
        let writer = input.fileHandleForWriting
        Thread.detachNewThread {
            writer.write(request)
            try? writer.close()
        }
        var reader = BufferedReader(handle: output.fileHandleForReading)
        defer { process.waitUntilExit() }
        for (blob, path) in blobs {
            guard let header = reader.line() else { throw ScanError("git cat-file stopped early: the repository may be corrupt") }
            let fields = header.split(separator: " ")
            if fields.count >= 2, fields[1] == "missing" {
                skipped(Skipped(path: "\(path) (blob \(blob.prefix(12)))", reason: "missing from the repository"))
                continue
            }
            guard fields.count == 3, let size = Int(fields[2]) else { throw ScanError("git cat-file answered unexpectedly for \(blob)") }
            let bytes = reader.bytes(size)
            _ = reader.bytes(1)
            guard bytes.count == size else { throw ScanError("git cat-file stopped early: the repository may be corrupt") }
            if size > maximumSize {
                skipped(Skipped(path: "\(path) (blob \(blob.prefix(12)))", reason: "larger than \(maximumSize >> 20) MiB"))
                continue
            }
            if ScanInputs.isBinary(bytes) { continue }
            try each(ScanItem(path: path, blob: blob, bytes: bytes))
        }
    }

    /// The commit that first added the blob (oldest first across all refs), its author date and
    /// the path it was added under.
    public struct Introduction: Sendable, Equatable {
        public let commit: String
        public let author: String
        public let date: String
        public let path: String
    }

    /// The introductions of many blobs in one pass over the history (`git log --all --reverse
    /// --raw`), instead of one `git log --find-object` per blob, which walks the history each time.
    public func introductions(of blobs: Set<String>) -> [String: Introduction] {
        guard blobs.count > 2 else {
            var found: [String: Introduction] = [:]
            for blob in blobs { if let intro = introduction(of: blob) { found[blob] = intro } }
            return found
        }
        return firstAdditions(of: blobs, extra: [])
    }

    public func introduction(of blob: String) -> Introduction? {
        firstAdditions(of: [blob], extra: ["--find-object=\(blob)"])[blob]
    }

    /// Reads `git log --all --reverse --raw` (oldest first) and keeps, for each wanted blob, the
    /// first commit whose raw line (":100644 100644 OLD NEW M\tpath") has it as the new side.
    private func firstAdditions(of blobs: Set<String>, extra: [String]) -> [String: Introduction] {
        guard let output = try? Git.run(["-C", repository, "log", "--all", "--reverse", "--no-abbrev", "--raw", "--no-renames",
                                          "--format=%x01%H%x09%aI%x09%ae"] + extra)
        else { return [:] }
        var found: [String: Introduction] = [:]
        for entry in String(decoding: output, as: UTF8.self).split(separator: "\u{01}") {
            let lines = entry.split(separator: "\n")
            guard let head = lines.first else { continue }
            let meta = head.split(separator: "\t", omittingEmptySubsequences: false)
            guard meta.count == 3 else { continue }
            for raw in lines.dropFirst() where raw.hasPrefix(":") {
                let parts = raw.split(separator: "\t", maxSplits: 1)
                let fields = parts[0].split(separator: " ")
                guard fields.count >= 4, parts.count == 2 else { continue }
                let blob = String(fields[3])
                if blobs.contains(blob), found[blob] == nil {
                    found[blob] = Introduction(commit: String(meta[0]), author: String(meta[2]), date: String(meta[1]), path: String(parts[1]))
                }
            }
            if found.count == blobs.count { break }
        }
        return found
    }
}

/// Reads lines and counted byte runs from a pipe with one buffer.
struct BufferedReader {
    let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false

    init(handle: FileHandle) { self.handle = handle }

    private mutating func fill() -> Bool {
        guard !finished else { return false }
        let data = handle.availableData
        if data.isEmpty {
            finished = true
            return false
        }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: data)
        return true
    }

    mutating func line() -> String? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[position..<newline], as: UTF8.self)
                position = newline + 1
                return line
            }
            if !fill() { return nil }
        }
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        while buffer.count - position < count {
            if !fill() { break }
        }
        let available = min(count, buffer.count - position)
        let out = Array(buffer[position..<(position + available)])
        position += available
        return out
    }
}

import Foundation

/// Something scanned: a file, standard input, or one git blob, with where it came from.
public struct ScanItem: Sendable {
    public var path: String
    /// The git blob id, for history scans.
    public var blob: String?
    public var bytes: [UInt8]
}

/// Why something was not scanned; reported, never fatal.
public struct Skipped: Sendable, Equatable {
    public let path: String
    public let reason: String
}

/// Reads the things a scan covers, one at a time, so memory stays flat in the size of the tree.
public enum ScanInputs {
    /// Files larger than this are skipped (and reported): generated bundles and data files, not code.
    public static let defaultMaximumFileSize = 10 << 20

    /// A NUL byte in the first 8 KiB marks a binary file, as git and grep decide.
    public static func isBinary(_ bytes: [UInt8]) -> Bool { bytes.prefix(8192).contains(0) }

    /// Every regular file under `root` (or `root` itself), skipping `.git`, symlinks, binaries and
    /// files over `maximumSize`; with `gitignore`, only what git would track (`git ls-files
    /// --cached --others --exclude-standard`).
    public static func files(under root: String, gitignore: Bool, maximumSize: Int, skipped: (Skipped) -> Void,
                             _ each: (ScanItem) throws -> Void) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw ScanError("\(root): no such file or directory")
        }
        if !isDirectory.boolValue {
            if let item = read(root, display: root, maximumSize: maximumSize, skipped: skipped) { try each(item) }
            return
        }
        if gitignore, let listed = try? Git.run(["-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]) {
            for name in listed.split(separator: 0) {
                let relative = String(decoding: name, as: UTF8.self)
                if let item = read(root + "/" + relative, display: display(root, relative), maximumSize: maximumSize, skipped: skipped) {
                    try each(item)
                }
            }
            return
        }
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { throw ScanError("\(root): cannot be read") }
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name == ".git" {
                enumerator.skipDescendants()
                continue
            }
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else {
                skipped(Skipped(path: display(root, relative), reason: "cannot be read"))
                continue
            }
            if info.st_mode & S_IFMT == S_IFLNK {
                if stat(path, &info) != 0 { skipped(Skipped(path: display(root, relative), reason: "broken symbolic link")) }
                continue
            }
            guard info.st_mode & S_IFMT == S_IFREG else { continue }
            if let item = read(path, display: display(root, relative), maximumSize: maximumSize, skipped: skipped) { try each(item) }
        }
    }

    static func display(_ root: String, _ relative: String) -> String {
        root == "." ? relative : (root.hasSuffix("/") ? root + relative : root + "/" + relative)
    }

    static func read(_ path: String, display: String, maximumSize: Int, skipped: (Skipped) -> Void) -> ScanItem? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            skipped(Skipped(path: display, reason: "cannot be read"))
            return nil
        }
        guard Int(info.st_size) <= maximumSize else {
            skipped(Skipped(path: display, reason: "larger than \(maximumSize >> 20) MiB"))
            return nil
        }
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() else {
            skipped(Skipped(path: display, reason: "cannot be read"))
            return nil
        }
        try? handle.close()
        let bytes = [UInt8](data)
        if isBinary(bytes) {
            skipped(Skipped(path: display, reason: "binary"))
            return nil
        }
        return ScanItem(path: display, bytes: bytes)
    }

    /// Standard input, read whole (up to the size cap).
    public static func standardInput(maximumSize: Int) throws -> ScanItem {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard data.count <= maximumSize else { throw ScanError("standard input is larger than \(maximumSize >> 20) MiB") }
        return ScanItem(path: "<stdin>", bytes: [UInt8](data))
    }
}

public struct ScanError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// git, run as a subprocess: the one tool every repository format, pack and protocol is read with.
enum Git {
    static func executable() throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/git"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ScanError("git is not installed")
    }

    /// Runs git and returns its standard output; throws with its standard error on failure.
    static func run(_ arguments: [String], input: [UInt8]? = nil) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable())
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            let writer = stdin.fileHandleForWriting
            Thread.detachNewThread {
                writer.write(Data(input))
                try? writer.close()
            }
        }
        // Drain stderr on its own so a chatty git cannot fill the pipe and stall.
        let errorData = LockedData()
        let errorReader = errors.fileHandleForReading
        let drained = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errorData.set(errorReader.readDataToEndOfFile())
            drained.signal()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        drained.wait()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errorData.get(), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "failed"
            throw ScanError("git \(arguments.first(where: { !$0.hasPrefix("-") && $0 != "-C" }) ?? ""): \(message)")
        }
        return [UInt8](data)
    }
}

final class LockedData: @unchecked Sendable {
    // Safe: written once by the draining thread before the semaphore is signalled, read after.
    private var data = Data()
    func set(_ value: Data) { data = value }
    func get() -> Data { data }
}

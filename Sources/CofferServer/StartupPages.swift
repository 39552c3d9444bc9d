import CofferCore
#if canImport(Glibc)
import Glibc
#endif

/// Start-up runs code and reads constants a running server never touches again: argument parsing,
/// configuration, migrations, key and credential loading, the first SQLite opens. Linux keeps every
/// page of the executable a process has touched mapped, and around each its fault-around window
/// (64 KiB, or a whole large folio of a file written recently, as a new build or install is), so a
/// server at idle held 13.8 MiB, about 2.5 MiB of it read-only pages only start-up used. Once it listens, the
/// executable's read-only mappings are unmapped from the process (`MADV_DONTNEED`): the pages stay in
/// the page cache, where the kernel may reclaim them, and what requests need maps back on first use
/// with a minor fault. (`MADV_PAGEOUT` dropped them from the cache too, and the reads from disk that
/// followed added 12 ms to the first answer.) `MADV_DONTNEED` on a private mapping also discards pages
/// the process changed, so only mappings that are not writable and hold no such page (no
/// `Anonymous` memory: the relocated `.data.rel.ro` has some) are released.
public enum StartupPages {
    /// Advises the kernel to unmap the executable's clean read-only pages; returns the bytes advised
    /// (0 where there is no /proc, as on macOS).
    @discardableResult
    public static func release() -> Int {
        #if os(Linux)
        guard let executable = executablePath(), let smaps = fopen("/proc/self/smaps", "r") else { return 0 }
        var mappings: [Mapping] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        while getline(&line, &capacity, smaps) > 0, let line {
            // Of a mapping's ~25 lines only its header (hex digits first) and `Anonymous:` are read:
            // this runs before the first answer, so the rest is not made into Strings.
            // (`Anonymous:` is looked for first: its "A" is a hex digit too.)
            let first = UInt8(bitPattern: line[0])
            if first == UInt8(ascii: "A"), strncmp(line, "Anonymous:", 10) == 0 {
                if !mappings.isEmpty { mappings[mappings.count - 1].anonymous = String(cString: line).contains { $0 >= "1" && $0 <= "9" } }
            } else if Hex.isDigit(first), let mapping = Mapping(String(cString: line)) {
                mappings.append(mapping)
            }
        }
        free(line)
        fclose(smaps)
        var advised = 0
        for mapping in mappings where mapping.path == executable && !mapping.writable && !mapping.anonymous {
            if madvise(UnsafeMutableRawPointer(bitPattern: mapping.start), mapping.end - mapping.start, MADV_DONTNEED) == 0 {
                advised += mapping.end - mapping.start
            }
        }
        return advised
        #else
        return 0
        #endif
    }

    /// One mapping's header line of /proc/self/smaps (as in /proc/self/maps): `start-end perms offset dev inode path`.
    struct Mapping: Equatable {
        let start: Int
        let end: Int
        let writable: Bool
        let path: String
        /// Whether any of its pages is the process's own copy (written since it was mapped).
        var anonymous = false

        init?(_ line: String) {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5, fields[1].count == 4 else { return nil }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = Int(range[0], radix: 16), let end = Int(range[1], radix: 16), start < end else { return nil }
            self.start = start
            self.end = end
            writable = fields[1].dropFirst().first == "w"
            var path = fields.count == 6 ? Substring(fields[5]) : ""
            while path.first == " " { path = path.dropFirst() }
            while path.last == "\n" { path = path.dropLast() }
            self.path = String(path)
        }
    }

    #if os(Linux)
    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    #endif
}

import CofferCore
import Testing

@Suite struct BackupArchiveTests {
    let root = RootKey.generate(random: SystemRandomSource())
    let id: [UInt8] = Array(repeating: 7, count: 16)

    func sealed(_ chunks: [[UInt8]]) throws -> [[UInt8]] {
        try chunks.enumerated().map { index, chunk in
            Array(try BackupArchive.seal(chunk, id: id, index: index, last: index == chunks.count - 1, root: root).dropFirst(4))
        }
    }

    @Test func chunksOpenOnlyInTheirPlace() throws {
        let parts = try sealed([[1, 2], [3], [4, 5, 6]])
        #expect(try BackupArchive.open(parts[1], id: id, index: 1, last: false, root: root) == [3])
        #expect(try BackupArchive.open(parts[2], id: id, index: 2, last: true, root: root) == [4, 5, 6])
        // Swapped, cut after the second chunk (which then claims to be last), from another archive, another key.
        #expect(throws: CofferError.self) { try BackupArchive.open(parts[1], id: id, index: 0, last: false, root: root) }
        #expect(throws: CofferError.self) { try BackupArchive.open(parts[1], id: id, index: 1, last: true, root: root) }
        #expect(throws: CofferError.self) { try BackupArchive.open(parts[0], id: [UInt8](repeating: 8, count: 16), index: 0, last: false, root: root) }
        let other = RootKey.generate(random: SystemRandomSource())
        #expect(throws: CofferError.self) { try BackupArchive.open(parts[0], id: id, index: 0, last: false, root: other) }
    }
}

import ArgumentParser
import Foundation

/// The toolkit's commands exit 0 or 1 on their own verdict and 2 on any error, which they print as
/// `coffer NAME: why` rather than as a crash.
func exitingTwoOnError(_ command: String, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("coffer \(command): \(error)\n".utf8))
        throw ExitCode(2)
    }
}

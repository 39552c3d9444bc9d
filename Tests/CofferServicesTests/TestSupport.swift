import CofferCore
import Foundation
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: WallClock {
    private let current = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
    func now() -> Date { current.withLock { $0 } }
    func advance(days: Double) { current.withLock { $0 = $0.addingTimeInterval(days * 86_400) } }
}

/// The AWS error code `body` fails with (internalFailure for anything not a CofferError), or nil.
func errorCode(_ body: () async throws -> Void) async -> CofferError.Code? {
    do {
        try await body()
        return nil
    } catch let error as CofferError {
        return error.code
    } catch {
        return .internalFailure
    }
}

import CofferCore
import Foundation
import Synchronization

/// A signed-in console user: the key pair that signs the session's calls, and a CSRF token.
struct ConsoleSession: Sendable {
    let credentials: ConsoleCredentials
    let region: String
    let principalARN: String
    let expiration: Date
    /// Every form carries it; a POST without it is refused.
    let csrf: String
}

/// Console sessions, in memory, by a random id the browser holds in an HttpOnly cookie. A session
/// ends at sign-out, an hour after sign-in, or when its key is refused; a restarted server forgets them all.
final class ConsoleSessions: Sendable {
    private let sessions = Mutex<[String: ConsoleSession]>([:])
    private let limit = 10_000
    /// A session ends an hour after sign-in, whatever is done in it.
    static let lifetime: Double = 3600

    func open(_ session: ConsoleSession, now: Date) -> String {
        let id = Self.randomToken()
        sessions.withLock { sessions in
            if sessions.count >= limit { sessions = sessions.filter { $0.value.expiration > now } }
            if sessions.count >= limit, let oldest = sessions.min(by: { $0.value.expiration < $1.value.expiration })?.key {
                sessions[oldest] = nil
            }
            sessions[id] = session
        }
        return id
    }

    /// The session the id names, unless it has expired (then it is forgotten).
    func session(_ id: String, now: Date) -> ConsoleSession? {
        sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expiration > now else {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    func close(_ id: String) {
        sessions.withLock { _ = $0.removeValue(forKey: id) }
    }

    /// 256 bits from the system's generator (getrandom on Linux), as hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = generator.next() as UInt64
            return String(word, radix: 16).leftPadded(to: 16)
        }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

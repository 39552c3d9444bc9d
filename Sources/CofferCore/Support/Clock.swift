public import struct Foundation.Date

/// The source of "now" for every time-based decision (SigV4 skew, deletion windows), injected so
/// tests can move time.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The real clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

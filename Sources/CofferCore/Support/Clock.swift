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

/// A clock shifted by a fixed offset, for tests that must see expiries and windows pass
/// (`COFFER_UNSAFE_CLOCK_OFFSET_SECONDS`). Never for production: it moves SigV4's notion of now.
public struct UnsafeOffsetClock: WallClock {
    public let base: any WallClock
    public let offset: Double
    public init(base: any WallClock, offset: Double) {
        self.base = base
        self.offset = offset
    }
    public func now() -> Date { base.now().addingTimeInterval(offset) }
}

import Synchronization

/// A change another node committed to a shared store, as that store heard of it.
public struct RemoteChange: Sendable, Equatable {
    public enum Subject: Sendable, Equatable {
        /// A record (``Record/kind``, or nil for a removal) and its ARN.
        case record(kind: String?, arn: String)
        case accessKey(id: String)
        case setting(name: String)
    }

    public let subject: Subject
    public init(_ subject: Subject) { self.subject = subject }

    /// Whether the change may alter who may do what (IAM, sessions, access keys), or cannot be told.
    public var mayChangePermissions: Bool {
        switch subject {
        case .record(let kind?, _): !Self.dataKinds.contains(kind)
        case .record(nil, _), .accessKey: true
        case .setting: false
        }
    }

    /// Kinds whose changes never alter an identity's policies (resource policies are evaluated from the
    /// record's own text each time).
    static let dataKinds: Set<String> = ["secret", "ssm-parameter", "kms-key", "kms-alias", "cloudtrail-trail"]
}

/// How a node's caches hear of other nodes' changes to a store they share (PostgreSQL).
///
/// While the feed is not live (the listener lost its connection and has not caught up) caches must
/// neither answer nor fill: a change made meanwhile would not reach them. When it comes back, every
/// subscriber is told to forget everything (``Event/reset``) before the feed is live again.
public final class ChangeFeed: Sendable {
    public enum Event: Sendable, Equatable {
        case changed(RemoteChange)
        /// Forget everything: changes may have been missed.
        case reset
    }

    private struct State {
        var live = false
        var subscribers: [@Sendable (Event) -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var isLive: Bool { state.withLock { $0.live } }

    public func subscribe(_ handler: @escaping @Sendable (Event) -> Void) {
        state.withLock { $0.subscribers.append(handler) }
    }

    public func publish(_ change: RemoteChange) { deliver(.changed(change)) }

    /// The listener lost its connection: caches stop answering until ``resume()``.
    public func suspend() {
        state.withLock { $0.live = false }
        deliver(.reset)
    }

    /// The listener is listening again: everything is forgotten first, then caches may answer.
    public func resume() {
        deliver(.reset)
        state.withLock { $0.live = true }
    }

    private func deliver(_ event: Event) {
        for handler in state.withLock({ $0.subscribers }) { handler(event) }
    }
}

/// A store that may be shared with other nodes, whose changes then reach this node through a feed;
/// wrappers pass their base's feed on.
public protocol SharedStore: Sendable {
    var remoteChanges: ChangeFeed? { get }
}

public enum SharedStores {
    /// The feed of `store`, if it (or what it wraps) is shared.
    public static func feed(of store: any CofferStore) -> ChangeFeed? { (store as? any SharedStore)?.remoteChanges }
}

/// Runs background work on one node at a time among those sharing a store.
public protocol ExclusiveWork: Sendable {
    /// Runs `body` unless another node is running work of the same name; returns whether it ran.
    @discardableResult
    func exclusively(_ name: String, _ body: @Sendable () async throws -> Void) async throws -> Bool
}

/// One node alone on its store (SQLite, memory): its work never meets another node's.
public struct LocalWork: ExclusiveWork {
    public init() {}
    public func exclusively(_ name: String, _ body: @Sendable () async throws -> Void) async throws -> Bool {
        try await body()
        return true
    }
}

public import CofferCore
import Synchronization

/// A change storage is about to commit, as an audit scope sees it.
public struct AuditChange: Sendable, Equatable {
    public let arn: String
    /// The record kind (``Record/kind``), or nil where storage does not know it (removals, access keys).
    public let kind: String?
    public let removal: Bool
    /// A new record, rather than a change to one.
    public let creation: Bool
    /// What the change writes (a record, an access key) where the store knows it when the audit
    /// record is claimed: the call's `responseElements` are made from it.
    public let written: (any Sendable)?

    public init(arn: String, kind: String?, removal: Bool, creation: Bool = false, written: (any Sendable)? = nil) {
        self.arn = arn
        self.kind = kind
        self.removal = removal
        self.creation = creation
        self.written = written
    }

    public static func == (a: AuditChange, b: AuditChange) -> Bool {
        a.arn == b.arn && a.kind == b.kind && a.removal == b.removal && a.creation == b.creation
    }
}

/// The audit record that must commit together with the changes a piece of work makes.
///
/// The request path (or a background job) binds a scope to its task; every store that commits a
/// change asks the bound scope for the record to write in the same transaction (``claim(for:)``).
/// A request's record is claimed once, by its first committed change; a failed write hands it back
/// (``release()``). Background work records one service event per change instead.
///
/// This keeps "a change is committed with its record or not at all" in storage, without every
/// service passing records around.
public final class AuditScope: Sendable {
    @TaskLocal public static var current: AuditScope?

    public enum Mode: Sendable {
        /// One record for the whole call, built when its first change commits.
        case request(@Sendable (_ resources: [AuditResource], _ change: AuditChange) -> AuditAppend)
        /// One record per change, or none where the builder returns nil.
        case perChange(@Sendable (AuditChange) -> AuditAppend?)
    }

    private struct State {
        var committed = false
        var resources: [AuditResource] = []
    }

    private let mode: Mode
    private let state = Mutex(State())

    public init(_ mode: Mode) { self.mode = mode }

    /// Whether the request's record already committed with a change.
    public var committed: Bool { state.withLock { $0.committed } }

    /// The resources the call was authorized against, in order, without repeats.
    public var resources: [AuditResource] { state.withLock { $0.resources } }

    public func note(_ resource: AuditResource) {
        state.withLock { state in
            if !state.resources.contains(resource) { state.resources.append(resource) }
        }
    }

    /// The record to commit with `change`, if one is due.
    public func claim(for change: AuditChange) -> AuditAppend? {
        switch mode {
        case .perChange(let build):
            return build(change)
        case .request(let build):
            let resources: [AuditResource]? = state.withLock { state in
                if state.committed { return nil }
                state.committed = true
                // A secret is authorized by name before it exists; its record names the ARN it got.
                state.resources = state.resources.map { resource in
                    change.arn.hasPrefix(resource.name + "-") && change.arn.count == resource.name.count + 7
                        ? AuditResource(type: resource.type, name: change.arn) : resource
                }
                return state.resources
            }
            return resources.map { build($0, change) }
        }
    }

    /// The write that claimed the record did not commit: the next one must carry it.
    public func release() {
        if case .request = mode { state.withLock { $0.committed = false } }
    }

    /// Bookkeeping a call does on the side (a role's last use, the regions KMS keys live in): written
    /// without claiming the call's record, which then commits with the change the call is for (and
    /// whose `responseElements` it carries).
    public static func unaudited<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        try await $current.withValue(nil, operation: body)
    }

    /// Runs a store's write with the record due for `change` (unless the write brought its own),
    /// handing the record back if the write fails.
    public static func committing<T>(_ change: AuditChange, explicit: AuditAppend? = nil,
                                     _ body: (AuditAppend?) async throws -> T) async throws -> T {
        guard explicit == nil, let scope = current else { return try await body(explicit) }
        let record = scope.claim(for: change)
        do {
            return try await body(record)
        } catch {
            if record != nil { scope.release() }
            throw error
        }
    }
}

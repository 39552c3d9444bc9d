import CofferCore
import Foundation
import Logging
import CofferClient
import Synchronization

/// Where alerts go and when they fire (the config file's `alerts` section).
public struct AlertSettings: Sendable, Equatable {
    /// Webhook URLs that get a Slack-compatible JSON body (`{"text": ...}`).
    public var webhooks: [String] = []
    /// Denials for one principal that, when exceeded within the window, raise an alert.
    public var denialThreshold = 5
    public var denialWindowSeconds: Double = 300
    /// Alert on every use of the account's root credentials (at most once a minute per access key).
    public var rootUsage = true
    /// How often, and how many times, a failed delivery is tried again.
    public var retryBaseSeconds: Double = 1
    public var maxAttempts = 5

    public init() {}
}

/// Watches calls for what seed 001 alarms on (unauthorized calls, root usage) and posts alerts to
/// webhooks. Observation is a few dictionary updates under a lock; delivery, with its retries and
/// backoff, runs on its own task, so a slow or dead webhook never holds up a request.
final class AlertMonitor: Sendable {
    struct Alert: Sendable {
        let kind: String
        let text: String
        let details: JSONObject
    }

    private struct State {
        var denials: [String: [Date]] = [:]
        var denialAlerted: [String: Date] = [:]
        var rootAlerted: [String: Date] = [:]
    }

    private let settings: AlertSettings
    private let state = Mutex(State())
    private let outbox: AsyncStream<Alert>.Continuation

    init(settings: AlertSettings, logger: Logger) {
        self.settings = settings
        let (stream, outbox) = AsyncStream<Alert>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        self.outbox = outbox
        Task {
            for await alert in stream {
                for hook in settings.webhooks {
                    await Self.deliver(alert, to: hook, settings: settings, logger: logger)
                }
            }
        }
    }

    /// No more alerts; deliveries under way finish on their own (each within its timeout).
    func stop() {
        outbox.finish()
    }

    static func isDenial(_ errorCode: String) -> Bool {
        errorCode.hasPrefix("AccessDenied") || errorCode.hasSuffix("UnauthorizedOperation")
    }

    func observe(identity: AuditIdentity, errorCode: String?, eventName: String, time: Date) {
        let who = identity.arn ?? identity.principalID
        if let errorCode, Self.isDenial(errorCode) {
            let count: Int? = state.withLock { state in
                let since = time.addingTimeInterval(-settings.denialWindowSeconds)
                var recent = state.denials[who, default: []].filter { $0 > since }
                recent.append(time)
                state.denials[who] = recent
                guard recent.count > settings.denialThreshold else { return nil }
                if let last = state.denialAlerted[who], last > since { return nil }
                state.denialAlerted[who] = time
                return recent.count
            }
            if let count {
                raise(Alert(kind: "unauthorized-api-calls",
                            text: "Coffer: \(count) denied calls by \(who) within \(Int(settings.denialWindowSeconds)) s (last: \(eventName), \(errorCode))",
                            details: ["principal": .string(who), "denials": .number(Double(count)), "lastEventName": .string(eventName)]))
            }
        }
        if settings.rootUsage, identity.kind == .root {
            let key = identity.accessKeyID ?? who
            let due = state.withLock { state in
                if let last = state.rootAlerted[key], time.timeIntervalSince(last) < 60 { return false }
                state.rootAlerted[key] = time
                return true
            }
            if due {
                raise(Alert(kind: "root-account-usage", text: "Coffer: the account root credentials were used (\(eventName), access key \(key))",
                            details: ["principal": .string(who), "accessKeyId": .string(key), "eventName": .string(eventName)]))
            }
        }
    }

    /// The audit trail failed verification.
    func verificationBroke(problem: String, position: Int?) {
        raise(Alert(kind: "audit-verification-failed",
                    text: "Coffer: the audit trail failed verification: \(problem) at record \(position.map(String.init) ?? "?")",
                    details: ["problem": .string(problem), "position": position.map { .number(Double($0)) } ?? .null]))
    }

    /// A rotation step failed; the message names the step and the function, never a value.
    func rotationFailed(secretARN: String, step: String, message: String) {
        raise(Alert(kind: "rotation-failed", text: "Coffer: rotation of \(secretARN) failed during \(step)",
                    details: ["secret": .string(secretARN), "step": .string(step), "error": .string(message)]))
    }

    private func raise(_ alert: Alert) { outbox.yield(alert) }

    private static func deliver(_ alert: Alert, to hook: String, settings: AlertSettings, logger: Logger) async {
        guard let url = URL(string: hook) else { return }
        let body = JSONWriter.bytes(.object(["text": .string(alert.text), "alert": .string(alert.kind), "details": .object(alert.details)]))
        for attempt in 1...max(1, settings.maxAttempts) {
            if let response = try? await HTTPFetch.send("POST", to: url, headers: [(name: "Content-Type", value: "application/json")], body: body),
                (200..<300).contains(response.status)
            {
                return
            }
            guard attempt < settings.maxAttempts else { break }
            try? await Task.sleep(for: .seconds(settings.retryBaseSeconds * pow(2, Double(attempt - 1))))
        }
        // The URL may carry a token (Slack's do): log only the alert kind.
        logger.warning("alert delivery failed after retries", metadata: ["alert": "\(alert.kind)"])
    }
}

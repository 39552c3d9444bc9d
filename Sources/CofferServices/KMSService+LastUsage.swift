public import CofferCore
import CofferStorage
public import Foundation

/// GetKeyLastUsage, answered from the audit trail, which already holds every successful
/// cryptographic call with its key: no write on the hot path to keep a "last used" date.
extension KMSService {
    public struct LastUsage: Sendable {
        public let operation: String
        public let time: Date
        public let eventID: String
        public let requestID: String
    }

    /// The operations GetKeyLastUsage reports (the model's KeyLastUsageTrackingOperation).
    static let trackedOperations: Set<String> = [
        "Decrypt", "DeriveSharedSecret", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext", "GenerateMac", "ReEncrypt", "Sign", "Verify", "VerifyMac",
    ]
    static let lastUsageScanPage = 500

    /// The key, its last successful cryptographic use (nil if none since tracking began), and when
    /// tracking began: the key's creation, or the oldest record the trail still keeps if later.
    public func lastUsage(_ keyID: String, in scope: ResourceScope) async throws -> (key: KMSKey, usage: LastUsage?, trackingStart: Date) {
        if keyID.hasPrefix("alias/") || keyID.contains(":alias/") {
            throw CofferError(.notFound, "Alias names are not supported for GetKeyLastUsage; use the key ID or key ARN.")
        }
        let key = try await describeKey(keyID, in: scope)
        try await store.chainStagedAudit()
        var trackingStart = key.creationDate
        if let oldest = try await store.auditEntries(after: 0, limit: 1).first?.time, oldest > trackingStart { trackingStart = oldest }
        let lookup = EventLookup(attribute: (.resourceName, key.arn), start: nil, end: nil)
        let needle = lookup.requiredBytes
        var before: Int?
        while true {
            let page = try await store.auditEntries(before: before, from: key.creationDate, to: nil, limit: Self.lastUsageScanPage)
            for entry in page {
                guard lookup.mayMatch(entry.record, requiring: needle), let event = CloudTrailEvent(stored: entry.record),
                      event.eventSource == "kms.amazonaws.com", event.errorCode == nil,
                      Self.trackedOperations.contains(event.eventName), lookup.matches(event)
                else { continue }
                return (key, LastUsage(operation: event.eventName, time: event.eventTime, eventID: event.eventID, requestID: event.requestID), trackingStart)
            }
            guard page.count == Self.lastUsageScanPage, let last = page.last else { return (key, nil, trackingStart) }
            before = last.sequence
        }
    }
}

public import struct Foundation.Date

/// How CloudTrail writes the dates inside `responseElements` (not its ISO 8601 `eventTime`):
/// `Mar 3, 2025, 4:05:06 PM`, in UTC.
public enum CloudTrailDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func text(_ date: Date) -> String {
        let day = CivilDate(date)
        let seconds = Int((date.timeIntervalSince1970 - Double(day.daysSinceEpoch) * 86_400).rounded(.down))
        let hour = seconds / 3600, minute = seconds / 60 % 60, second = seconds % 60
        let hour12 = hour % 12 == 0 ? 12 : hour % 12
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(months[day.month - 1]) \(day.day), \(day.year), \(hour12):\(two(minute)):\(two(second)) \(hour < 12 ? "AM" : "PM")"
    }
}

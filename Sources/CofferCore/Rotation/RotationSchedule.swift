public import struct Foundation.Date

/// RotationRules as the API carries them and DescribeSecret echoes them.
public struct RotationRules: Sendable, Codable, Equatable {
    public var automaticallyAfterDays: Int?
    public var scheduleExpression: String?
    public var duration: String?

    public init(automaticallyAfterDays: Int? = nil, scheduleExpression: String? = nil, duration: String? = nil) {
        self.automaticallyAfterDays = automaticallyAfterDays
        self.scheduleExpression = scheduleExpression
        self.duration = duration
    }
}

/// One rotation window: the rotation starts at some time in `start..<end`; NextRotationDate is
/// the last second of it ("on or before this date").
public struct RotationWindow: Sendable, Equatable {
    public let start: Date
    public let end: Date

    public var nextRotationDate: Date { end.addingTimeInterval(-1) }

    /// A start time spread within the window by `key` (the secret's ARN), so that many secrets
    /// on one schedule do not all start at once; the last quarter hour stays free for retries.
    public func startTime(spreadBy key: String) -> Date {
        let room = end.timeIntervalSince(start) - 900
        guard room >= 60 else { return start }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return start.addingTimeInterval(Double(hash % UInt64(room)).rounded(.down))
    }
}

/// When a secret rotates, from its RotationRules: every N days, `rate()` in hours or days, or
/// `cron()`, each with an optional window (`Duration`). All UTC, as Secrets Manager computes it.
public struct RotationSchedule: Sendable, Equatable {
    public enum Cadence: Sendable, Equatable {
        case days(Int)
        case hours(Int)
        case cron(CronExpression)
    }

    public let cadence: Cadence
    /// The window length given by Duration; nil means the default (the rest of the UTC day for
    /// day schedules, one hour for hour schedules).
    public let windowHours: Int?

    /// Secrets Manager rotates at most every four hours.
    public static let minimumHours = 4
    public static let maximumRateDays = 999

    /// Checks `rules` as RotateSecret does; the error is AWS's code with a message naming the rule.
    public init(_ rules: RotationRules) throws(CofferError) {
        if rules.automaticallyAfterDays != nil, rules.scheduleExpression != nil {
            throw .invalidParameter("You cannot specify both rotation frequency and schedule expression together.")
        }
        var window: Int?
        if let duration = rules.duration {
            guard let hours = Int(duration.dropLast()), duration.hasSuffix("h"), hours >= 1 else {
                throw .invalidParameter("The rotation window duration \(duration) is not valid. Specify a whole number of hours of at least 1, such as 3h.")
            }
            window = hours
        }
        if let days = rules.automaticallyAfterDays {
            cadence = .days(days)
        } else if let expression = rules.scheduleExpression {
            do {
                cadence = try Self.parse(expression)
            } catch {
                throw .invalidParameter("The schedule expression \(expression) is not valid: \(error.reason).")
            }
        } else {
            throw .invalidParameter("You must specify either AutomaticallyAfterDays or ScheduleExpression in RotationRules.")
        }
        windowHours = window
        if let window { try Self.checkWindow(window, cadence: cadence) }
    }

    static func parse(_ expression: String) throws(ScheduleError) -> Cadence {
        let text = expression.trimmingSpaces
        if text.hasPrefix("rate(") && text.hasSuffix(")") {
            let parts = text.dropFirst(5).dropLast().split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, let value = Int(parts[0]), value >= 1 else {
                throw ScheduleError("a rate expression is rate(value unit), with a positive whole value")
            }
            switch parts[1] {
            case "hour", "hours":
                guard value >= minimumHours else { throw ScheduleError("a secret can rotate at most every \(minimumHours) hours") }
                return value % 24 == 0 ? .days(value / 24) : .hours(value)
            case "day", "days":
                guard value <= maximumRateDays else { throw ScheduleError("a rate expression can be at most \(maximumRateDays) days") }
                return .days(value)
            default:
                throw ScheduleError("the unit of a rate expression must be hours or days")
            }
        }
        if text.hasPrefix("cron(") && text.hasSuffix(")") {
            let cron = try CronExpression(String(text.dropFirst(5).dropLast()))
            guard !cron.hours.isEmpty else { throw ScheduleError("the expression never fires") }
            let gaps = zip(cron.hours.dropFirst(), cron.hours).map { $0 - $1 }
            if let smallest = gaps.min(), smallest < minimumHours {
                throw ScheduleError("a secret can rotate at most every \(minimumHours) hours")
            }
            if cron.hours.count > 1, cron.dayOfMonth == .any, cron.dayOfWeek == .any, cron.months.count == 12,
                24 - cron.hours.last! + cron.hours.first! < minimumHours
            {
                throw ScheduleError("a secret can rotate at most every \(minimumHours) hours")
            }
            guard cron.next(after: CivilDate(year: 2000, month: 1, day: 1), hour: -1, horizonDays: 366 * 8) != nil else {
                throw ScheduleError("the expression never fires")
            }
            return .cron(cron)
        }
        throw ScheduleError("it must be a rate() or cron() expression")
    }

    /// The window must fit before the next one and must not run into the next UTC day.
    static func checkWindow(_ hours: Int, cadence: Cadence) throws(CofferError) {
        let message = "The rotation window (Duration) of \(hours)h must not extend into the next rotation window or the next UTC day."
        switch cadence {
        case .days:
            if hours > 24 { throw .invalidParameter(message) }
        case .hours(let every):
            if hours > every { throw .invalidParameter(message) }
        case .cron(let cron):
            let gaps = zip(cron.hours.dropFirst(), cron.hours).map { $0 - $1 }
            if let smallest = gaps.min(), hours > smallest { throw .invalidParameter(message) }
            if let last = cron.hours.last, last + hours > 24 { throw .invalidParameter(message) }
        }
    }

    /// Whether Duration's default is one hour (schedules in hours) rather than the rest of the day.
    var isHourly: Bool {
        switch cadence {
        case .days: false
        case .hours: true
        case .cron(let cron): cron.hours.count > 1
        }
    }

    /// The first window that opens after `anchor` (the last rotation, the last change of the
    /// value, or when rotation was configured); nil for a cron expression that never fires again.
    public func window(after anchor: Date) -> RotationWindow? {
        let start: Date
        switch cadence {
        case .days(let days):
            start = CivilDate(anchor).adding(days: days).start
        case .hours(let hours):
            let hourStart = (anchor.timeIntervalSince1970 / 3600).rounded(.down) * 3600
            start = Date(timeIntervalSince1970: hourStart + Double(hours) * 3600)
        case .cron(let cron):
            let day = CivilDate(anchor)
            let hour = Int((anchor.timeIntervalSince(day.start) / 3600).rounded(.down))
            guard let fire = cron.next(after: day, hour: hour) else { return nil }
            start = fire.day.start.addingTimeInterval(Double(fire.hour) * 3600)
        }
        let length: Double
        if let windowHours {
            length = Double(windowHours) * 3600
        } else if isHourly {
            length = 3600
        } else {
            // The rest of the UTC day the window opens in.
            length = CivilDate(start).adding(days: 1).start.timeIntervalSince(start)
        }
        return RotationWindow(start: start, end: start.addingTimeInterval(length))
    }

    /// AutomaticallyAfterDays as DescribeSecret reports it: the configured days, or for an
    /// expression the shortest gap in whole days between its windows over the next year (AWS's
    /// example: `cron(0 16 1,15 * ? *)` reports 14); nil below a day.
    public func reportedDays(after anchor: Date) -> Int? {
        switch cadence {
        case .days(let days): return days
        case .hours: return nil
        case .cron:
            guard var previous = window(after: anchor) else { return nil }
            let horizon = anchor.addingTimeInterval(366 * 86_400)
            var shortest = Double.infinity
            while previous.start < horizon, let next = window(after: previous.start) {
                shortest = min(shortest, next.start.timeIntervalSince(previous.start))
                previous = next
            }
            guard shortest.isFinite else { return nil }
            let days = Int((shortest / 86_400).rounded(.up))
            return days >= 1 ? days : nil
        }
    }
}

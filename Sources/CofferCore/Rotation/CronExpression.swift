/// A Secrets Manager `cron()` schedule: EventBridge's six fields, with the limits Secrets Manager
/// adds (minutes must be 0, year must be `*`, one of day-of-month and day-of-week is `?`).
/// Every time is UTC.
public struct CronExpression: Sendable, Equatable {
    /// Hours of the day it fires at, ascending.
    public let hours: [Int]
    let months: Set<Int>
    let dayOfMonth: DayOfMonth
    let dayOfWeek: DayOfWeek

    enum DayOfMonth: Sendable, Equatable {
        case any
        case days(Set<Int>)
        case last(offset: Int)
        /// The weekday nearest the given day (`15W`), or the last weekday (`LW`).
        case nearestWeekday(Int)
        case lastWeekday
    }

    enum DayOfWeek: Sendable, Equatable {
        case any
        case days(Set<Int>)
        /// The last given weekday of the month (`6L`).
        case last(Int)
        /// The nth given weekday of the month (`6#3`).
        case nth(weekday: Int, n: Int)
    }

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// Parses the text inside `cron(...)`; the error says which rule the expression broke.
    public init(_ text: String) throws(ScheduleError) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 6 else { throw ScheduleError("a cron expression has six fields: minutes hours day-of-month month day-of-week year") }
        guard fields[0] == "0" else { throw ScheduleError("the minutes field of a rotation cron expression must be 0") }
        guard fields[5] == "*" else { throw ScheduleError("the year field of a rotation cron expression must be *") }
        hours = try Self.set(fields[1], range: 0...23, names: [], field: "hours").sorted()
        months = try Self.set(fields[3], range: 1...12, names: Self.monthNames, field: "month")
        let dom = fields[2], dow = fields[4]
        switch (dom == "?", dow == "?") {
        case (true, true), (false, false):
            throw ScheduleError("one of the day-of-month and day-of-week fields must be ?, and only one")
        case (false, true):
            dayOfWeek = .any
            dayOfMonth = try Self.dayOfMonth(dom)
        case (true, false):
            dayOfMonth = .any
            dayOfWeek = try Self.dayOfWeek(dow)
        }
    }

    private static func dayOfMonth(_ field: String) throws(ScheduleError) -> DayOfMonth {
        if field == "*" { return .any }
        if field == "L" { return .last(offset: 0) }
        if field == "LW" { return .lastWeekday }
        if field.hasPrefix("L-"), let offset = Int(field.dropFirst(2)), (0...30).contains(offset) { return .last(offset: offset) }
        if field.hasSuffix("W"), let day = Int(field.dropLast()), (1...31).contains(day) { return .nearestWeekday(day) }
        return .days(try set(field, range: 1...31, names: [], field: "day-of-month"))
    }

    private static func dayOfWeek(_ field: String) throws(ScheduleError) -> DayOfWeek {
        if field == "*" { return .any }
        if field == "L" { return .days([7]) }
        if field.hasSuffix("L") {
            let day = try single(String(field.dropLast()), range: 1...7, names: dayNames, field: "day-of-week")
            return .last(day)
        }
        if let hash = field.firstIndex(of: "#") {
            let day = try single(String(field[..<hash]), range: 1...7, names: dayNames, field: "day-of-week")
            guard let n = Int(field[field.index(after: hash)...]), (1...5).contains(n) else {
                throw ScheduleError("the day-of-week field's #n must be 1 to 5")
            }
            return .nth(weekday: day, n: n)
        }
        return .days(try set(field, range: 1...7, names: dayNames, field: "day-of-week"))
    }

    private static func single(_ text: String, range: ClosedRange<Int>, names: [String], field: String) throws(ScheduleError) -> Int {
        if let value = Int(text), range.contains(value) { return value }
        if let index = names.firstIndex(of: text.uppercased()) { return range.lowerBound + index }
        throw ScheduleError("'\(text)' is not a valid value for the \(field) field")
    }

    /// A list of `*`, values, ranges `a-b` and increments `a/n` or `*/n`.
    private static func set(_ text: String, range: ClosedRange<Int>, names: [String], field: String) throws(ScheduleError) -> Set<Int> {
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !part.isEmpty else { throw ScheduleError("the \(field) field has an empty list item") }
            var base = part
            var step = 1
            if let slash = part.firstIndex(of: "/") {
                base = String(part[..<slash])
                guard let n = Int(part[part.index(after: slash)...]), n >= 1, n <= range.upperBound else {
                    throw ScheduleError("the \(field) field has an invalid increment in '\(part)'")
                }
                step = n
            }
            let lower: Int, upper: Int
            if base == "*" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-"), dash != base.startIndex {
                lower = try single(String(base[..<dash]), range: range, names: names, field: field)
                upper = try single(String(base[base.index(after: dash)...]), range: range, names: names, field: field)
                guard lower <= upper else { throw ScheduleError("the \(field) field's range '\(base)' runs backwards") }
            } else {
                lower = try single(base, range: range, names: names, field: field)
                upper = part.contains("/") ? range.upperBound : lower
            }
            values.formUnion(stride(from: lower, through: upper, by: step))
        }
        return values
    }

    /// Whether the schedule fires on `day`.
    public func matches(_ day: CivilDate) -> Bool {
        guard months.contains(day.month) else { return false }
        let last = day.daysInMonth
        switch dayOfMonth {
        case .any: break
        case .days(let days): if !days.contains(day.day) { return false }
        case .last(let offset): if day.day != last - offset { return false }
        case .nearestWeekday(let target): if day.day != Self.nearestWeekday(to: min(target, last), in: day) { return false }
        case .lastWeekday: if day.day != Self.nearestWeekday(to: last, in: day) { return false }
        }
        switch dayOfWeek {
        case .any: return true
        case .days(let days): return days.contains(day.weekday)
        case .last(let weekday): return day.weekday == weekday && day.day + 7 > last
        case .nth(let weekday, let n): return day.weekday == weekday && (day.day - 1) / 7 + 1 == n
        }
    }

    /// The weekday (Monday to Friday) nearest `target` within `day`'s month.
    static func nearestWeekday(to target: Int, in day: CivilDate) -> Int {
        let date = CivilDate(year: day.year, month: day.month, day: target)
        switch date.weekday {
        case 7: return target == 1 ? 3 : target - 1  // Saturday: Friday before, or Monday after the 1st
        case 1: return target == day.daysInMonth ? target - 2 : target + 1  // Sunday: Monday after, or Friday before the end
        default: return target
        }
    }

    /// The first (day, hour) the schedule fires strictly after `(day, hour)`, looking ahead at
    /// most `horizonDays` days; nil if it never fires in that time (`cron(0 0 30 2 ? *)`).
    public func next(after day: CivilDate, hour: Int, horizonDays: Int = 366 * 5) -> (day: CivilDate, hour: Int)? {
        if matches(day), let h = hours.first(where: { $0 > hour }) { return (day, h) }
        var candidate = day
        for _ in 0..<horizonDays {
            candidate = candidate.adding(days: 1)
            if matches(candidate), let h = hours.first { return (candidate, h) }
        }
        return nil
    }
}

/// Why a schedule expression, window or rule set was refused.
public struct ScheduleError: Error, Sendable, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}

import CofferCore
import Foundation
import Testing

private func utc(_ text: String) -> Date {
    // "2026-02-03T17:42:00Z"
    let f = ISO8601DateFormatter()
    return f.date(from: text)!
}

private func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

@Suite struct CivilDateTests {
    @Test(arguments: [("1970-01-01", 5), ("2000-02-29", 3), ("2026-12-03", 5), ("2024-12-31", 3), ("1900-03-01", 5)])
    func weekdays(day: String, weekday: Int) {
        let parts = day.split(separator: "-").map { Int($0)! }
        let date = CivilDate(year: parts[0], month: parts[1], day: parts[2])
        #expect(date.weekday == weekday)
        #expect(CivilDate(daysSinceEpoch: date.daysSinceEpoch) == date)
        #expect(CivilDate(date.start) == date)
    }

    @Test func leapYears() {
        #expect(CivilDate.daysIn(month: 2, year: 2024) == 29)
        #expect(CivilDate.daysIn(month: 2, year: 2100) == 28)
        #expect(CivilDate.daysIn(month: 2, year: 2000) == 29)
        #expect(CivilDate(year: 2024, month: 2, day: 28).adding(days: 1) == CivilDate(year: 2024, month: 2, day: 29))
        #expect(CivilDate(year: 2023, month: 2, day: 28).adding(days: 1) == CivilDate(year: 2023, month: 3, day: 1))
    }
}

@Suite struct RotationScheduleTests {
    /// The value observed on AWS: 30 days after a change on 2026-02-03, to the end of that UTC day.
    @Test func daysEndAtTheLastSecondOfTheUTCDay() throws {
        let schedule = try RotationSchedule(RotationRules(automaticallyAfterDays: 30))
        let window = try #require(schedule.window(after: utc("2026-02-03T17:42:00Z")))
        #expect(iso(window.start) == "2026-03-05T00:00:00Z")
        #expect(iso(window.nextRotationDate) == "2026-03-05T23:59:59Z")
        let start = window.startTime(spreadBy: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf")
        #expect(start >= window.start && start < window.end.addingTimeInterval(-900))
    }

    @Test func durationShortensTheWindow() throws {
        let schedule = try RotationSchedule(RotationRules(scheduleExpression: "rate(10 days)", duration: "3h"))
        let window = try #require(schedule.window(after: utc("2024-02-25T10:00:00Z")))
        #expect(iso(window.start) == "2024-03-06T00:00:00Z")  // across the leap day
        #expect(iso(window.nextRotationDate) == "2024-03-06T02:59:59Z")
        #expect(schedule.reportedDays(after: utc("2024-02-25T10:00:00Z")) == 10)
    }

    @Test func hoursOpenOneHourWindows() throws {
        let schedule = try RotationSchedule(RotationRules(scheduleExpression: "rate(6 hours)"))
        let window = try #require(schedule.window(after: utc("2026-05-01T22:30:00Z")))
        #expect(iso(window.start) == "2026-05-02T04:00:00Z")
        #expect(iso(window.end) == "2026-05-02T05:00:00Z")
        #expect(schedule.reportedDays(after: utc("2026-05-01T22:30:00Z")) == nil)
    }

    @Test func cronOnTheFirstAndFifteenth() throws {
        let schedule = try RotationSchedule(RotationRules(scheduleExpression: "cron(0 16 1,15 * ? *)", duration: "2h"))
        let window = try #require(schedule.window(after: utc("2026-01-01T17:00:00Z")))
        #expect(iso(window.start) == "2026-01-15T16:00:00Z")
        #expect(iso(window.nextRotationDate) == "2026-01-15T17:59:59Z")
        #expect(schedule.reportedDays(after: utc("2026-01-01T17:00:00Z")) == 14)
        // Before 16:00 on a firing day, that day's window is next.
        #expect(iso(schedule.window(after: utc("2026-01-15T09:00:00Z"))!.start) == "2026-01-15T16:00:00Z")
    }

    @Test(arguments: [
        ("cron(0 8 L * ? *)", "2024-02-10T00:00:00Z", "2024-02-29T08:00:00Z"),
        ("cron(0 8 L * ? *)", "2023-02-10T00:00:00Z", "2023-02-28T08:00:00Z"),
        ("cron(0 10 ? FEB,MAY,AUG,NOV TUE#2 *)", "2026-01-01T00:00:00Z", "2026-02-10T10:00:00Z"),
        ("cron(0 12 ? * SUN *)", "2026-12-03T00:00:00Z", "2026-12-06T12:00:00Z"),
        ("cron(0 4/12 * * ? *)", "2026-12-03T05:00:00Z", "2026-12-03T16:00:00Z"),
        ("cron(0 4/12 * * ? *)", "2026-12-03T17:00:00Z", "2026-12-04T04:00:00Z"),
        ("cron(0 0 ? * 6L *)", "2026-12-01T00:00:00Z", "2026-12-25T00:00:00Z"),
        ("cron(0 9 15W * ? *)", "2026-08-01T00:00:00Z", "2026-08-14T09:00:00Z"),  // the 15th is a Saturday
        ("cron(0 9 1W * ? *)", "2026-07-31T00:00:00Z", "2026-08-03T09:00:00Z"),  // the 1st is a Saturday: Monday the 3rd
        ("cron(0 0 29 2 ? *)", "2025-01-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("cron(0 23 ? * MON-FRI *)", "2026-12-04T23:30:00Z", "2026-12-07T23:00:00Z"),
    ])
    func cronNextWindow(expression: String, after: String, expected: String) throws {
        let schedule = try RotationSchedule(RotationRules(scheduleExpression: expression))
        #expect(iso(try #require(schedule.window(after: utc(after))).start) == expected)
    }

    @Test func dayCronWindowRunsToTheEndOfTheDay() throws {
        let schedule = try RotationSchedule(RotationRules(scheduleExpression: "cron(0 20 * * ? *)"))
        let window = try #require(schedule.window(after: utc("2026-12-03T21:00:00Z")))
        #expect(iso(window.nextRotationDate) == "2026-12-04T23:59:59Z")
    }

    @Test(arguments: [
        RotationRules(automaticallyAfterDays: 30, scheduleExpression: "rate(10 days)"),
        RotationRules(scheduleExpression: "rate(3 hours)"),
        RotationRules(scheduleExpression: "rate(1000 days)"),
        RotationRules(scheduleExpression: "rate(0 days)"),
        RotationRules(scheduleExpression: "rate(5 weeks)"),
        RotationRules(scheduleExpression: "every day"),
        RotationRules(scheduleExpression: "cron(30 16 * * ? *)"),
        RotationRules(scheduleExpression: "cron(0 16 * * ? 2027)"),
        RotationRules(scheduleExpression: "cron(0 16 1 * MON *)"),
        RotationRules(scheduleExpression: "cron(0 16 ? * ? *)"),
        RotationRules(scheduleExpression: "cron(0 1,3 * * ? *)"),
        RotationRules(scheduleExpression: "cron(0 22,1 * * ? *)"),
        RotationRules(scheduleExpression: "cron(0 24 * * ? *)"),
        RotationRules(scheduleExpression: "cron(0 16 * 13 ? *)"),
        RotationRules(scheduleExpression: "cron(0 16 30 2 ? *)"),
        RotationRules(scheduleExpression: "cron(0 16 * *)"),
        RotationRules(scheduleExpression: "cron(0 16 * * ? *)", duration: "9h"),
        RotationRules(scheduleExpression: "rate(4 hours)", duration: "5h"),
        RotationRules(automaticallyAfterDays: 3, duration: "0h"),
        RotationRules(automaticallyAfterDays: 3, duration: "h"),
        RotationRules(duration: "2h"),
    ])
    func refused(rules: RotationRules) {
        #expect(throws: CofferError.self) { try RotationSchedule(rules) }
        do { _ = try RotationSchedule(rules) } catch { #expect(error.code == .invalidParameter) }
    }

    @Test func bothRulesGetAWSsMessage() {
        #expect(throws: CofferError.invalidParameter("You cannot specify both rotation frequency and schedule expression together.")) {
            try RotationSchedule(RotationRules(automaticallyAfterDays: 30, scheduleExpression: "rate(10 days)"))
        }
    }

    @Test func rateInWholeDaysOfHoursIsADaySchedule() throws {
        #expect(try RotationSchedule(RotationRules(scheduleExpression: "rate(48 hours)")).cadence == .days(2))
        #expect(try RotationSchedule(RotationRules(scheduleExpression: "rate(1 day)")).cadence == .days(1))
    }
}

public import struct Foundation.Date

/// The `yyyyMMdd'T'HHmmss'Z'` form SigV4 uses, and the RFC 7231 `Date` header form it also accepts.
public enum SigV4Timestamp {
    public static func format(_ date: Date) -> String { render(CivilTime(date), separated: false) }

    /// `2026-11-22T17:05:08Z`, as IAM and condition keys such as aws:CurrentTime write dates.
    public static func iso8601(_ date: Date) -> String { render(CivilTime(date), separated: true) }

    private static func powerOfTen(_ exponent: Int) -> Int { (0..<exponent).reduce(1) { value, _ in value * 10 } }

    /// Digits written into one buffer: every audit record and signature check formats a time.
    private static func render(_ c: CivilTime, separated: Bool) -> String {
        String(unsafeUninitializedCapacity: 40) { out in
            var position = 0
            func digits(_ value: Int, _ width: Int) {
                var rest = value
                for offset in stride(from: width - 1, through: 0, by: -1) {
                    out[position + offset] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                position += width
            }
            func mark(_ character: Unicode.Scalar) {
                out[position] = UInt8(ascii: character)
                position += 1
            }
            if c.year < 0 { mark("-") }
            let year = abs(c.year)
            var width = 4
            while year >= Self.powerOfTen(width) { width += 1 }
            digits(year, width)
            if separated { mark("-") }
            digits(c.month, 2)
            if separated { mark("-") }
            digits(c.day, 2)
            mark("T")
            digits(c.hour, 2)
            if separated { mark(":") }
            digits(c.minute, 2)
            if separated { mark(":") }
            digits(c.second, 2)
            mark("Z")
            return position
        }
    }

    /// The decimal number in `u[range]`, or nil if any byte is not a digit.
    static func decimal<Bytes: RandomAccessCollection<UInt8>>(_ u: Bytes, _ range: Range<Int>) -> Int? where Bytes.Index == Int {
        var value = 0
        for i in range {
            guard u[i] >= 48, u[i] <= 57 else { return nil }
            value = value * 10 + Int(u[i] - 48)
        }
        return value
    }

    public static func parse(_ text: String) -> Date? {
        // On the string's own bytes: every signed request's date is parsed.
        text.withUTF8Bytes { u -> Date? in
            guard u.count == 16, u[8] == UInt8(ascii: "T"), u[15] == UInt8(ascii: "Z") else { return nil }
            func number(_ range: Range<Int>) -> Int? { decimal(u, range) }
            guard let y = number(0..<4), let mo = number(4..<6), let d = number(6..<8), let h = number(9..<11),
                let mi = number(11..<13), let s = number(13..<15)
            else { return nil }
            return CivilTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s).date
        }
    }

    /// Parses `2030-12-02T21:34:33Z`, with or without fractional seconds, with `Z` or an offset.
    public static func parseISO8601(_ text: String) -> Date? {
        let u = Array(text.utf8)
        guard u.count >= 20, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " "),
            u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? { decimal(u, range) }
        guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10), let h = number(11..<13),
            let mi = number(14..<16), let s = number(17..<19), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
        else { return nil }
        let base = CivilTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s).date
        var i = 19
        var fraction = 0.0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                fraction += Double(u[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i < u.count else { return nil }
        if u[i] == UInt8(ascii: "Z"), i == u.count - 1 { return base.addingTimeInterval(fraction) }
        guard u.count - i == 6, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-"), u[i + 3] == UInt8(ascii: ":"),
            let oh = number(i + 1..<i + 3), let om = number(i + 4..<i + 6)
        else { return nil }
        let offset = Double(oh * 3600 + om * 60) * (u[i] == UInt8(ascii: "+") ? 1 : -1)
        return base.addingTimeInterval(fraction - offset)
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses `Sun, 06 Nov 1994 08:49:37 GMT`.
    public static func parseHTTPDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]),
            let monthIndex = months.firstIndex(of: String(parts[2])), let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        return CivilTime(year: year, month: monthIndex + 1, day: day, hour: time[0], minute: time[1], second: time[2]).date
    }

}

/// A UTC calendar date and time, computed without Foundation's calendars (which are slow and
/// locale-dependent); the day arithmetic is ``CivilDate``'s.
public struct CivilTime: Sendable, Equatable {
    public var year, month, day, hour, minute, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    public init(_ date: Date) {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        var days = total / 86_400
        var rem = total % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        hour = rem / 3600
        minute = rem % 3600 / 60
        second = rem % 60
        let civil = CivilDate(daysSinceEpoch: days)
        (year, month, day) = (civil.year, civil.month, civil.day)
    }

    public var date: Date {
        let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second))
    }
}

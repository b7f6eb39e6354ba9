#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A moment in UTC broken into calendar fields, as `gmtime` gives them.
struct UTCFields: Equatable, Sendable {
    var year: Int
    /// 1–12.
    var month: Int
    /// 1–31.
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
}

/// The clock and the calendar, through the C library.
enum Clock {
    /// Seconds since 1970 now.
    static func now() -> Int { Int(time(nil)) }

    /// `seconds` since 1970 as UTC calendar fields.
    static func utc(_ seconds: Int) -> UTCFields {
        var value = time_t(seconds)
        var parts = tm()
        gmtime_r(&value, &parts)
        return UTCFields(
            year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
    }

    /// UTC calendar fields as seconds since 1970 (`timegm`; out-of-range fields carry over).
    static func seconds(_ fields: UTCFields) -> Int {
        var parts = tm()
        parts.tm_year = Int32(clamping: fields.year - 1900)
        parts.tm_mon = Int32(clamping: fields.month - 1)
        parts.tm_mday = Int32(clamping: fields.day)
        parts.tm_hour = Int32(clamping: fields.hour)
        parts.tm_min = Int32(clamping: fields.minute)
        parts.tm_sec = Int32(clamping: fields.second)
        return Int(timegm(&parts))
    }
}

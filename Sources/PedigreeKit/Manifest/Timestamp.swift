/// Times as manifests record them: RFC 3339, UTC, whole seconds.
public enum Timestamp {
    /// `SOURCE_DATE_EPOCH` when it is set (reproducible builds), else the current time.
    ///
    /// - Throws: `TimestampError` when `SOURCE_DATE_EPOCH` is set but is not a whole number
    ///   of seconds.
    public static func now(environment: [String: String]) throws(TimestampError) -> String {
        if let value = environment["SOURCE_DATE_EPOCH"] {
            guard let seconds = Int(value), seconds >= 0 else { throw TimestampError(value: value) }
            return format(seconds)
        }
        return format(Clock.now())
    }

    /// `seconds` since 1970 as `YYYY-MM-DDTHH:MM:SSZ`.
    public static func format(_ seconds: Int) -> String {
        let parts = Clock.utc(seconds)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.year)-\(two(parts.month))-\(two(parts.day))T"
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))Z"
    }
}

/// `SOURCE_DATE_EPOCH` holds something other than seconds since 1970.
public struct TimestampError: Error, Equatable, CustomStringConvertible {
    public var value: String
    public var description: String { "SOURCE_DATE_EPOCH is '\(value)', not a whole number of seconds" }
}

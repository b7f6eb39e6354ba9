import Foundation

/// The words of a progress line: bytes done of the total, the rate and the time left.
public enum ProgressFormat {
    /// `1.5 GiB of 4.0 GiB (37%)  210.3 MiB/s  12s left`; without a total (nothing was
    /// announced, or more was read than announced) only what is known: `1.5 GiB  210.3 MiB/s`.
    public static func line(done: Int64, total: Int64, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = formatBytes(done)
        if total > 0, done <= total {
            let percent = Int((Double(done) * 100 / Double(total)).rounded(.down))
            line += " of \(formatBytes(total)) (\(percent)%)"
        }
        line += "  \(formatBytes(Int64(rate)))/s"
        if total > done, rate > 0 {
            line += "  \(formatDuration(Double(total - done) / rate)) left"
        }
        return line
    }
}

/// `1.5 GiB`, `512.0 MiB`, `12 B`.
public func formatBytes(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    guard unit > 0 else { return "\(bytes) B" }
    // One decimal as `%.1f` prints it, without Foundation's formatter: `value` is the byte count
    // over a power of two, so `value * 10` is exact (below 2^49 bytes) and its ties are true ties,
    // which printf breaks to even.
    let tenths = Int64((value * 10).rounded(.toNearestOrEven))
    return "\(tenths / 10).\(tenths % 10) \(units[unit])"
}

/// `1h02m`, `1m05s`, `42s`.
public func formatDuration(_ seconds: Double) -> String {
    let whole = seconds.isFinite ? Int(min(seconds, 1e9).rounded(.up)) : 0
    if whole >= 3600 { return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60) }
    return whole >= 60 ? String(format: "%dm%02ds", whole / 60, whole % 60) : "\(whole)s"
}

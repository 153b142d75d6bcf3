// Numbers for people. Every function is total: any Double (NaN, ±∞, 1e300) or Int gives a
// string, never a trap (`Int(x.rounded())` traps beyond Int's range).
import Foundation

enum Format {
    /// 45s, 3m07s, 2h05m; "?" for NaN and negatives; days and years for the very long.
    static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return s == .infinity ? "∞" : "?" }
        // Beyond a million hours, Int is still exact but minutes no longer mean anything.
        if s >= 3.6e9 { return String(format: "%.3gh", s / 3600) }
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", (t % 3600) / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }

    static func rate(_ r: Double) -> String {
        guard r.isFinite else { return "?" }
        return r >= 10_000 ? String(format: "%.1fk", r / 1000) : String(format: "%.0f", r)
    }

    static func count(_ n: Int) -> String {
        n >= 1_000_000
            ? String(format: "%.2fM", Double(n) / 1e6) : n >= 10_000 ? String(format: "%.1fk", Double(n) / 1e3) : "\(n)"
    }
}

// Times and spans as the database stores them: whole milliseconds since the Unix epoch (UTC).
import Foundation

extension Date {
    /// Milliseconds since the Unix epoch, as the database stores times.
    public var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    /// The date `millis` milliseconds after the Unix epoch.
    public init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}

extension Duration {
    /// Whole milliseconds (how the database stores spans of time).
    public var millis: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

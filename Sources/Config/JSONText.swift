import Foundation

/// JSON and time text as FinSent writes them everywhere (database columns, webhook bodies, API):
/// keys sorted, slashes unescaped, times RFC 3339 UTC with milliseconds.
public enum JSONText {
    public static func encode(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    /// `x` rounded to `digits` significant digits (0.123456789 → 0.12346, 1.23456e-7 → 1.2346e-7 at 5).
    public static func significant(_ x: Double, digits: Int) -> Double {
        guard x != 0, x.isFinite else { return x }
        let exponent = Int(floor(log10(abs(x))))
        let shift = digits - 1 - exponent
        // Multiply or divide by an exact power of ten, so the result is the double nearest the rounded decimal.
        if shift >= 0 {
            let scale = pow(10, Double(shift))
            return (x * scale).rounded() / scale
        }
        let scale = pow(10, Double(-shift))
        return (x / scale).rounded() * scale
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// A number as the JSON shapes carry it: four decimals.
    public static func rounded(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

    /// `2026-11-25T15:35:04.167Z`
    public static func timestamp(_ date: Date) -> String { date.formatted(timestampStyle) }
}

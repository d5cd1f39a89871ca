import Foundation

/// JSON and time text as FinSent writes them everywhere (database columns, webhook bodies, API):
/// keys sorted, slashes unescaped, times RFC 3339 UTC with milliseconds.
public enum JSONText {
    public static func encode(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// A number as the JSON shapes carry it: four decimals.
    public static func rounded(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

    /// `2026-11-25T15:35:04.167Z`
    public static func timestamp(_ date: Date) -> String { date.formatted(timestampStyle) }
}

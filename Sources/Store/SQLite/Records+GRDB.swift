import Foundation
import GRDB

// How the records and states map onto SQLite: enums as their raw strings, times as integer
// milliseconds since the Unix epoch, columns named in each record's CodingKeys.

extension AlertState: DatabaseValueConvertible {}
extension AlertEventKind: DatabaseValueConvertible {}
extension AlertKind: DatabaseValueConvertible {}
extension Severity: DatabaseValueConvertible {}
extension WebhookEventType: DatabaseValueConvertible {}
extension DeliveryStatus: DatabaseValueConvertible {}
extension MentionKind: DatabaseValueConvertible {}

/// A record read from one table with times in milliseconds (GRDB conformance of the Store records).
public protocol MillisecondRecord: FetchableRecord, TableRecord, Decodable {}

extension MillisecondRecord {
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .millisecondsSince1970 }
}

extension FeedRecord: MillisecondRecord { public static let databaseTableName = "feeds" }
extension ItemRecord: MillisecondRecord { public static let databaseTableName = "items" }
extension ScoreRecord: MillisecondRecord { public static let databaseTableName = "scores" }
extension EntityRecord: MillisecondRecord { public static let databaseTableName = "entities" }
extension MentionRecord: MillisecondRecord { public static let databaseTableName = "mentions" }
extension AlertRecord: MillisecondRecord { public static let databaseTableName = "alerts" }
extension AlertEventRecord: MillisecondRecord { public static let databaseTableName = "alert_events" }
extension SilenceRecord: MillisecondRecord { public static let databaseTableName = "silences" }
extension DeliveryRecord: MillisecondRecord { public static let databaseTableName = "webhook_deliveries" }
extension AttemptRecord: MillisecondRecord { public static let databaseTableName = "delivery_attempts" }
extension EndpointRecord: MillisecondRecord { public static let databaseTableName = "webhook_endpoints" }

extension Optional where Wrapped == Date {
    /// The column value of an optional time.
    var millis: Int64? { self?.millis }
}

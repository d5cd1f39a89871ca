import Foundation
import PostgresNIO

/// Decodes a record (its `CodingKeys` are column names) from one PostgreSQL row, as the SQLite
/// backend does through GRDB: times are bigint milliseconds, flags are integers, states are their
/// raw strings. A column the row lacks decodes as nil when the field is optional.
struct PostgresRowDecoder: Decoder {
    let row: PostgresRandomAccessRow
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from row: PostgresRow) throws -> T {
        try T(from: PostgresRowDecoder(row: row.makeRandomAccess()))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "rows decode as keyed records"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "rows decode as keyed records"))
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: PostgresRandomAccessRow
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }

        func contains(_ key: Key) -> Bool { row.contains(key.stringValue) }

        func cell(_ key: Key) throws -> PostgresCell {
            guard row.contains(key.stringValue) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: [key], debugDescription: "no column \(key.stringValue)"))
            }
            return row[key.stringValue]
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            !row.contains(key.stringValue) || row[key.stringValue].bytes == nil
        }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try cell(key).decode(Int.self) != 0 }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try cell(key).decode(String.self) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try cell(key).decode(Double.self) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try cell(key).decode(Int.self) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try cell(key).decode(Int64.self) }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            if type == Date.self { return Date(millis: try cell(key).decode(Int64.self)) as! T }
            return try T(from: CellDecoder(cell: try cell(key), key: key))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "no nested records in a row"))
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: [key], debugDescription: "no arrays in a row"))
        }
        func superDecoder() throws -> any Decoder { throw DecodingError.valueNotFound(Any.self, .init(codingPath: [], debugDescription: "no super")) }
        func superDecoder(forKey key: Key) throws -> any Decoder { try superDecoder() }
    }

    /// One cell, for values that decode through a single-value container (the state enums).
    struct CellDecoder: Decoder, SingleValueDecodingContainer {
        let cell: PostgresCell
        let key: any CodingKey
        var codingPath: [any CodingKey] { [key] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<K: CodingKey>(keyedBy type: K.Type) throws -> KeyedDecodingContainer<K> {
            throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "a cell is one value"))
        }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "a cell is one value"))
        }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

        func decodeNil() -> Bool { cell.bytes == nil }
        func decode(_ type: Bool.Type) throws -> Bool { try cell.decode(Int.self) != 0 }
        func decode(_ type: String.Type) throws -> String { try cell.decode(String.self) }
        func decode(_ type: Double.Type) throws -> Double { try cell.decode(Double.self) }
        func decode(_ type: Int.Type) throws -> Int { try cell.decode(Int.self) }
        func decode(_ type: Int64.Type) throws -> Int64 { try cell.decode(Int64.self) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            if type == Date.self { return Date(millis: try cell.decode(Int64.self)) as! T }
            return try T(from: self)
        }
        // The other fixed-width types are not used by the records.
        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
        func decode(_ type: Int8.Type) throws -> Int8 { Int8(try decode(Int.self)) }
        func decode(_ type: Int16.Type) throws -> Int16 { Int16(try decode(Int.self)) }
        func decode(_ type: Int32.Type) throws -> Int32 { Int32(try decode(Int.self)) }
        func decode(_ type: UInt.Type) throws -> UInt { UInt(try decode(Int.self)) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { UInt8(try decode(Int.self)) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { UInt16(try decode(Int.self)) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { UInt32(try decode(Int.self)) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { UInt64(try decode(Int64.self)) }
    }
}

extension PostgresRandomAccessRow {
    /// The value of a column; nil for NULL.
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}

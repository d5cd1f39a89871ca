/// A JSON document as parsed by `JSONParser`: object keys keep their order and
/// numbers keep their text, so configuration errors can say exactly what was written.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number as written; `isInteger` when it has no fraction or exponent.
    case number(text: String, isInteger: Bool)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a, ai), .number(b, bi)): a == b && ai == bi
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// How the value reads in an error message: strings quoted, containers summarised.
    public var shortDescription: String {
        switch self {
        case .null: "null"
        case let .bool(value): String(value)
        case let .number(text, _): text
        case let .string(value):
            value.count > 40 ? "\"\(value.prefix(40))…\"" : "\"\(value)\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue: Encodable {
    /// Writes the value back as JSON (a stored JSON column passed through into a document).
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case let .bool(b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case let .number(text, isInteger):
            var c = encoder.singleValueContainer()
            if isInteger, let n = Int64(text) { try c.encode(n) } else { try c.encode(Double(text) ?? 0) }
        case let .string(s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case let .array(values):
            var c = encoder.unkeyedContainer()
            for v in values { try c.encode(v) }
        case let .object(fields):
            var c = encoder.container(keyedBy: JSONKey.self)
            for (key, value) in fields { try c.encode(value, forKey: JSONKey(key)) }
        }
    }

    /// A stored JSON text as a value (null when it is absent or does not parse).
    public static func stored(_ text: String?) -> JSONValue {
        guard let text, let value = try? JSONParser.parse(Array(text.utf8)) else { return .null }
        return value
    }
}

struct JSONKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ key: String) { stringValue = key }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

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

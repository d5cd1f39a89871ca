import Foundation

/// Walks a parsed JSON document, converting values to typed settings and
/// collecting every problem with its key path instead of stopping at the first.
final class ConfigReader {
    private(set) var issues: [ConfigIssue] = []

    func report(_ path: String, _ message: String) {
        issues.append(ConfigIssue(path: path, message: message))
    }

    /// An object's members, after reporting keys outside `allowed` (with a suggestion).
    func object(_ value: JSONValue, at path: String, allowed: [String]) -> ObjectFields? {
        guard case let .object(members) = value else {
            report(path, "expected an object, got \(value.shortDescription)")
            return nil
        }
        for (key, _) in members where !allowed.contains(key) {
            let suggestion = Self.closest(to: key, in: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
            report(join(path, key), "unknown key\(suggestion); allowed here: \(allowed.joined(separator: ", "))")
        }
        return ObjectFields(reader: self, path: path, members: Dictionary(members, uniquingKeysWith: { first, _ in first }))
    }

    /// The elements of an array, with the path of each.
    func array(_ value: JSONValue, at path: String) -> [(path: String, value: JSONValue)]? {
        guard case let .array(elements) = value else {
            report(path, "expected an array, got \(value.shortDescription)")
            return nil
        }
        return elements.enumerated().map { ("\(path)[\($0.offset)]", $0.element) }
    }

    func string(_ value: JSONValue, at path: String, allowEmpty: Bool = false) -> String? {
        guard case let .string(text) = value else {
            report(path, "expected a string, got \(value.shortDescription)")
            return nil
        }
        if !allowEmpty && text.trimmingCharacters(in: .whitespaces).isEmpty {
            report(path, "must not be empty")
            return nil
        }
        return text
    }

    func integer(_ value: JSONValue, at path: String, in range: ClosedRange<Int>) -> Int? {
        guard case let .number(text, true) = value, let number = Int(text) else {
            report(path, "expected a whole number, got \(value.shortDescription)")
            return nil
        }
        guard range.contains(number) else {
            report(path, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
            return nil
        }
        return number
    }

    func bool(_ value: JSONValue, at path: String) -> Bool? {
        guard case let .bool(b) = value else {
            report(path, "expected true or false, got \(value.shortDescription)")
            return nil
        }
        return b
    }

    func number(_ value: JSONValue, at path: String) -> Double? {
        guard case let .number(text, _) = value, let number = Double(text), number.isFinite else {
            report(path, "expected a number, got \(value.shortDescription)")
            return nil
        }
        return number
    }

    func duration(_ value: JSONValue, at path: String, minimum: Duration = .zero) -> Duration? {
        guard case let .string(text) = value, let duration = DurationText.parse(text) else {
            report(path, "expected a duration like \"5m\", got \(value.shortDescription)")
            return nil
        }
        guard duration >= minimum else {
            report(path, "must be at least \(DurationText.format(minimum)), got \"\(text)\"")
            return nil
        }
        return duration
    }

    func url(_ value: JSONValue, at path: String, schemes: Set<String>) -> URL? {
        guard let text = string(value, at: path) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), schemes.contains(scheme),
              scheme == "file" ? !url.path.isEmpty : url.host?.isEmpty == false
        else {
            let allowed = schemes.sorted().joined(separator: ", ")
            report(path, "expected an absolute URL (\(allowed)), got \(value.shortDescription)")
            return nil
        }
        return url
    }

    /// An identifier: letters, digits, `.`, `_`, `-`, starting with a letter or digit.
    func identifier(_ value: JSONValue, at path: String) -> String? {
        guard let text = string(value, at: path) else { return nil }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard text.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }),
              text.first?.isLetter == true || text.first?.isNumber == true, text.count <= 64
        else {
            report(path, "expected an id of letters, digits, '.', '_' or '-' (at most 64), got \(value.shortDescription)")
            return nil
        }
        return text
    }

    /// Reports ids that occur more than once in a list.
    func checkUnique(_ ids: [(path: String, id: String)], what: String) {
        var first: [String: String] = [:]
        for (path, id) in ids {
            if let earlier = first[id] {
                report(path, "duplicate \(what) \"\(id)\" (also at \(earlier))")
            } else {
                first[id] = path
            }
        }
    }

    func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The allowed key nearest to a misspelt one, if it is close enough to be a typo.
    static func closest(to key: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, key.count / 3) else { return nil }
        return best.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}

/// The members of one configuration object, read by key with the object's path.
struct ObjectFields {
    let reader: ConfigReader
    let path: String
    let members: [String: JSONValue]

    /// The value at `key`, or nil after reporting it missing.
    func required(_ key: String) -> (path: String, value: JSONValue)? {
        guard let value = members[key] else {
            reader.report(reader.join(path, key), "is required")
            return nil
        }
        return (reader.join(path, key), value)
    }

    /// The value at `key` when present (an explicit null counts as absent).
    func optional(_ key: String) -> (path: String, value: JSONValue)? {
        guard let value = members[key], value != .null else { return nil }
        return (reader.join(path, key), value)
    }
}

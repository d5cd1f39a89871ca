import Foundation

/// A small, non-validating XML parser that builds a tree, written for untrusted feeds.
///
/// Safe by construction rather than by configuration:
/// - A DOCTYPE is skipped whole. Entities it declares are never defined, so nothing is
///   ever loaded from outside (no XXE) and nothing expands (no billion laughs, no
///   quadratic blow-up): the text can never be longer than the input.
/// - Only the five XML entities, character references and HTML's named entities (which
///   feeds use without declaring) are decoded; any other `&name;` stays as written.
/// - Nesting depth and element count are bounded.
///
/// It is lenient where real feeds are sloppy: undeclared well-known prefixes (`dc:`),
/// stray `&`, mismatched end tags (closed up to the matching open element), and a document
/// cut off after its last complete item (the item being read when it ends is dropped).
public struct XMLTreeParser {
    public struct Limits: Sendable {
        public var maxDepth = 128
        public var maxElements = 500_000
        public var maxAttributes = 256
        public init() {}
    }

    let bytes: [UInt8]
    let limits: Limits
    let documentURL: URL?
    var pos = 0
    var elementCount = 0

    /// Parses `text` and returns the root element.
    public static func parse(_ text: String, documentURL: URL? = nil, limits: Limits = Limits()) throws(FeedError) -> XMLElement {
        var parser = XMLTreeParser(bytes: Array(text.utf8), limits: limits, documentURL: documentURL)
        return try parser.document()
    }

    private struct Open {
        let element: XMLElement
        let qualifiedName: [UInt8]
        let namespaces: [String: String]
    }

    mutating func document() throws(FeedError) -> XMLElement {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
        var stack: [Open] = []
        var root: XMLElement?
        var text: [UInt8] = []

        func flushText(_ stack: inout [Open], _ text: inout [UInt8]) {
            guard !text.isEmpty else { return }
            if let top = stack.last {
                top.element.children.append(.text(XMLTreeParser.decodeEntities(text)))
            }
            text.removeAll(keepingCapacity: true)
        }

        while pos < bytes.count {
            let c = bytes[pos]
            if c != UInt8(ascii: "<") {
                let start = pos
                while pos < bytes.count && bytes[pos] != UInt8(ascii: "<") { pos += 1 }
                if !stack.isEmpty { text.append(contentsOf: bytes[start..<pos]) }
                else if bytes[start..<pos].contains(where: { !Self.isSpace($0) }) && root == nil {
                    throw FeedError.notXML("text before the first element")
                }
                continue
            }
            if lookingAt("<!--") {
                guard let end = find("-->", from: pos + 4) else { throw FeedError.malformed("unterminated comment (truncated document?)") }
                pos = end + 3
            } else if lookingAt("<![CDATA[") {
                guard let end = find("]]>", from: pos + 9) else { throw FeedError.malformed("unterminated CDATA section (truncated document?)") }
                if !stack.isEmpty {
                    flushText(&stack, &text)
                    stack.last!.element.children.append(.text(String(decoding: bytes[(pos + 9)..<end], as: UTF8.self)))
                }
                pos = end + 3
            } else if lookingAt("<?") {
                guard let end = find("?>", from: pos + 2) else { throw FeedError.malformed("unterminated processing instruction") }
                pos = end + 2
            } else if lookingAt("<!") {
                try skipDeclaration()
            } else if lookingAt("</") {
                flushText(&stack, &text)
                pos += 2
                let name = readName()
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: ">") {
                    pos += 1
                } else if pos < bytes.count || name.isEmpty {
                    throw FeedError.malformed("unterminated end tag </\(String(decoding: name, as: UTF8.self))")
                } else {
                    root?.cutOff = true
                }
                // else: the document's last bytes are an end tag short of its ">"; everything is read, so close it.
                if let index = stack.lastIndex(where: { $0.qualifiedName == name }) {
                    stack.removeSubrange(index...)
                }
                if stack.isEmpty, root != nil { break }
            } else {
                flushText(&stack, &text)
                if root != nil && stack.isEmpty { break }  // content after the root element: ignore
                let (element, qualifiedName, namespaces, selfClosing) = try startTag(parent: stack.last)
                if let parent = stack.last { parent.element.children.append(.element(element)) } else { root = element }
                if !selfClosing {
                    guard stack.count < limits.maxDepth else {
                        throw FeedError.malformed("elements nested deeper than \(limits.maxDepth) levels")
                    }
                    stack.append(Open(element: element, qualifiedName: qualifiedName, namespaces: namespaces))
                } else if stack.isEmpty {
                    break
                }
            }
        }
        guard let root else { throw FeedError.notXML("no root element") }
        if !stack.isEmpty {
            // Cut off (a server error mid-response, a connection closed early): keep what is complete.
            // An item or entry still open is dropped whole, so no half-read item is ever stored; the
            // elements around it are closed.
            if let cut = stack.firstIndex(where: { ["item", "entry"].contains($0.element.name) }) {
                guard cut > 0 else { throw FeedError.malformed("document ends inside its only <\(stack[cut].element.name)> (truncated?)") }
                stack[cut - 1].element.children.removeLast()
            }
            stack.removeAll()
            root.cutOff = true
        }
        return root
    }

    // MARK: - Tags

    private mutating func startTag(parent: Open?) throws(FeedError) -> (XMLElement, [UInt8], [String: String], Bool) {
        pos += 1
        let qualifiedName = readName()
        guard !qualifiedName.isEmpty else { throw FeedError.malformed("\"<\" not followed by a tag name at byte \(pos)") }
        elementCount += 1
        guard elementCount <= limits.maxElements else { throw FeedError.malformed("more than \(limits.maxElements) elements") }
        var raw: [([UInt8], String)] = []
        var selfClosing = false
        while true {
            skipSpace()
            guard pos < bytes.count else { throw FeedError.malformed("document ends inside a start tag (truncated?)") }
            if bytes[pos] == UInt8(ascii: ">") { pos += 1; break }
            if bytes[pos] == UInt8(ascii: "/") && pos + 1 < bytes.count && bytes[pos + 1] == UInt8(ascii: ">") {
                pos += 2; selfClosing = true; break
            }
            let name = readName()
            guard !name.isEmpty else { throw FeedError.malformed("bad attribute in <\(String(decoding: qualifiedName, as: UTF8.self))>") }
            skipSpace()
            var value = ""
            if pos < bytes.count && bytes[pos] == UInt8(ascii: "=") {
                pos += 1
                skipSpace()
                guard pos < bytes.count else { throw FeedError.malformed("document ends inside a start tag (truncated?)") }
                let quote = bytes[pos]
                if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                    guard let end = bytes[(pos + 1)...].firstIndex(of: quote) else {
                        throw FeedError.malformed("unterminated attribute value (truncated?)")
                    }
                    value = Self.decodeEntities(bytes[(pos + 1)..<end])
                    pos = end + 1
                } else {  // unquoted (HTML habit)
                    let start = pos
                    while pos < bytes.count && !Self.isSpace(bytes[pos]) && bytes[pos] != UInt8(ascii: ">") { pos += 1 }
                    value = Self.decodeEntities(bytes[start..<pos])
                }
            }
            raw.append((name, value))
            guard raw.count <= limits.maxAttributes else { throw FeedError.malformed("more than \(limits.maxAttributes) attributes on one element") }
        }

        var namespaces = parent?.namespaces ?? [:]
        var base = parent?.element.base ?? documentURL
        var explicitBase = parent?.element.hasExplicitBase ?? false
        for (name, value) in raw {
            if name == Array("xmlns".utf8) { namespaces[""] = value }
            else if name.starts(with: Array("xmlns:".utf8)) { namespaces[String(decoding: name.dropFirst(6), as: UTF8.self)] = value }
            else if name == Array("xml:base".utf8) {
                base = URL(string: value.trimmingCharacters(in: .whitespaces), relativeTo: base)?.absoluteURL ?? base
                explicitBase = true
            }
        }
        var attributes: [String: String] = [:]
        for (name, value) in raw {
            let (prefix, local) = Self.split(name)
            if prefix == "xmlns" || (prefix == nil && local == "xmlns") || (prefix == "xml" && local == "base") { continue }
            if let prefix {
                let uri = namespaces[prefix] ?? XMLNamespace.conventional[prefix] ?? prefix
                attributes["\(uri)|\(local)"] = value
                if attributes[local] == nil { attributes[local] = value }
            } else {
                attributes[local] = value
            }
        }
        let (prefix, local) = Self.split(qualifiedName)
        let uri = prefix.map { namespaces[$0] ?? XMLNamespace.conventional[$0] ?? $0 } ?? namespaces[""] ?? ""
        return (XMLElement(namespace: uri, name: local, attributes: attributes, base: base, hasExplicitBase: explicitBase), qualifiedName, namespaces, selfClosing)
    }

    /// `<!DOCTYPE …>` (with an internal subset in brackets) or another `<!…>` declaration: skipped, never interpreted.
    private mutating func skipDeclaration() throws(FeedError) {
        pos += 2
        var depth = 0
        var quote: UInt8 = 0
        while pos < bytes.count {
            let c = bytes[pos]
            pos += 1
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == UInt8(ascii: "[") {
                depth += 1
            } else if c == UInt8(ascii: "]") {
                depth -= 1
            } else if c == UInt8(ascii: "<") && lookingAt("!--", at: pos) {
                guard let end = find("-->", from: pos + 3) else { break }
                pos = end + 3
            } else if c == UInt8(ascii: ">") && depth <= 0 {
                return
            }
        }
        throw FeedError.malformed("unterminated <! declaration (truncated?)")
    }

    // MARK: - Scanning

    private mutating func readName() -> [UInt8] {
        let start = pos
        while pos < bytes.count {
            let c = bytes[pos]
            if Self.isSpace(c) || c == UInt8(ascii: ">") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=")
                || c == UInt8(ascii: "<") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { break }
            pos += 1
        }
        return Array(bytes[start..<pos])
    }

    private mutating func skipSpace() {
        while pos < bytes.count && Self.isSpace(bytes[pos]) { pos += 1 }
    }

    private func lookingAt(_ literal: StaticString, at index: Int? = nil) -> Bool {
        let start = index ?? pos
        let count = literal.utf8CodeUnitCount
        guard start + count <= bytes.count else { return false }
        let p = literal.utf8Start
        for i in 0..<count where bytes[start + i] != p[i] { return false }
        return true
    }

    private func find(_ literal: StaticString, from start: Int) -> Int? {
        let count = literal.utf8CodeUnitCount
        let p = literal.utf8Start
        guard count > 0, start + count <= bytes.count else { return nil }
        var i = start
        let last = bytes.count - count
        while i <= last {
            if bytes[i] == p[0] {
                var match = true
                for k in 1..<count where bytes[i + k] != p[k] { match = false; break }
                if match { return i }
            }
            i += 1
        }
        return nil
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    static func split(_ name: [UInt8]) -> (prefix: String?, local: String) {
        if let colon = name.firstIndex(of: UInt8(ascii: ":")) {
            return (String(decoding: name[..<colon], as: UTF8.self), String(decoding: name[(colon + 1)...], as: UTF8.self))
        }
        return (nil, String(decoding: name, as: UTF8.self))
    }

    /// Decodes `&amp;`-style references: XML's five, numeric ones and HTML's named entities.
    /// Anything else (an undeclared DTD entity, a stray `&`) is kept as written.
    static func decodeEntities<C: Collection>(_ raw: C) -> String where C.Element == UInt8 {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        return HTMLText.decodeEntities(String(decoding: raw, as: UTF8.self))
    }
}

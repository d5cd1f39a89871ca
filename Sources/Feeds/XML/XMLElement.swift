import Foundation

/// An element of a parsed XML document, with its namespace resolved.
public final class XMLElement: @unchecked Sendable {
    public enum Child {
        case element(XMLElement)
        case text(String)
    }

    /// The namespace URI ("" when none).
    public let namespace: String
    /// The local name, without prefix.
    public let name: String
    /// Attributes by local name (`xml:base` and `xmlns*` excluded), and by "namespace|name" for namespaced ones.
    public let attributes: [String: String]
    /// The base URL for relative references inside this element (from `xml:base` and the document URL).
    public let base: URL?
    /// Whether `base` comes from an `xml:base` attribute (rather than the document's URL).
    public let hasExplicitBase: Bool
    public internal(set) var children: [Child] = []
    /// On a root element: the document ended before this element closed (it was cut off); what
    /// was complete is here, the item or entry it ended in is not.
    public internal(set) var cutOff = false

    init(namespace: String, name: String, attributes: [String: String], base: URL?, hasExplicitBase: Bool) {
        self.hasExplicitBase = hasExplicitBase
        self.namespace = namespace
        self.name = name
        self.attributes = attributes
        self.base = base
    }

    /// Child elements.
    public var elements: [XMLElement] {
        children.compactMap { if case let .element(e) = $0 { e } else { nil } }
    }

    /// The first child element with this local name (and namespace, when given).
    public func first(_ name: String, in namespace: String? = nil) -> XMLElement? {
        for case let .element(e) in children where e.name == name && (namespace == nil || e.namespace == namespace) {
            return e
        }
        return nil
    }

    /// All child elements with this local name (and namespace, when given).
    public func all(_ name: String, in namespace: String? = nil) -> [XMLElement] {
        elements.filter { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    /// The element's own text (CDATA included), not that of child elements.
    public var text: String {
        var out = ""
        for case let .text(t) in children { out += t }
        return out
    }

    /// All text inside the element, descendants included, in document order.
    public var allText: String {
        var out = ""
        func walk(_ e: XMLElement) {
            for child in e.children {
                switch child {
                case let .text(t): out += t
                case let .element(c): walk(c)
                }
            }
        }
        walk(self)
        return out
    }

    /// The element's content re-serialised as markup (for Atom `type="xhtml"` content).
    public var innerMarkup: String { markup(escapingText: true) }

    /// The element's content as HTML source: text as it is (it may hold escaped markup), child
    /// elements as bare tags. For RSS descriptions and Atom `type="html"` that carry unescaped markup.
    public var htmlSource: String { markup(escapingText: false) }

    /// Child elements as bare tags (attributes dropped: only the text is wanted), text escaped or as it is.
    func markup(escapingText: Bool) -> String {
        var out = ""
        func walk(_ e: XMLElement) {
            for child in e.children {
                switch child {
                case let .text(t):
                    out += escapingText ? t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;") : t
                case let .element(c):
                    out += "<\(c.name)>"
                    walk(c)
                    out += "</\(c.name)>"
                }
            }
        }
        walk(self)
        return out
    }

    /// The first descendant (depth first, this element included) with this local name, namespace and depth limit.
    public func descendant(_ name: String, in namespaces: Set<String>, maxDepth: Int = 8) -> XMLElement? {
        if self.name == name && namespaces.contains(namespace) { return self }
        guard maxDepth > 0 else { return nil }
        for child in elements {
            if let found = child.descendant(name, in: namespaces, maxDepth: maxDepth - 1) { return found }
        }
        return nil
    }

    public func attribute(_ name: String) -> String? { attributes[name] }
}

/// Well-known namespace URIs.
public enum XMLNamespace {
    public static let atom = "http://www.w3.org/2005/Atom"
    public static let atom03 = "http://purl.org/atom/ns#"
    public static let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    public static let rss10 = "http://purl.org/rss/1.0/"
    public static let rss09 = "http://my.netscape.com/rdf/simple/0.9/"
    public static let dc = "http://purl.org/dc/elements/1.1/"
    public static let dcterms = "http://purl.org/dc/terms/"
    public static let xhtml = "http://www.w3.org/1999/xhtml"
    public static let itunes = "http://www.itunes.com/dtds/podcast-1.0.dtd"
    /// The spelling in Apple's own early documentation, still in many podcast feeds.
    public static let itunesAsApplePrintsIt = "http://www.itunes.com/DTDs/Podcast-1.0.dtd"
    public static let content = "http://purl.org/rss/1.0/modules/content/"
    public static let media = "http://search.yahoo.com/mrss/"
    public static let xml = "http://www.w3.org/XML/1998/namespace"

    /// Prefixes some feeds use without declaring them.
    static let conventional: [String: String] = [
        "dc": dc, "dcterms": dcterms, "content": content, "itunes": itunes, "media": media, "atom": atom, "rdf": rdf, "xml": xml,
    ]
}
